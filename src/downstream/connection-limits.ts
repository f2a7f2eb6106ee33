import type { ConnectionGate } from '../session/index.js';
import { clientKey } from './client-key.js';

/**
 * Open connections per client (see clientKey: an IPv4 address or an IPv6 /64), across every
 * listener that shares this instance. A connection over the limit is refused at accept, before
 * a TLS handshake or a session costs anything. Memory is one map entry per client with an open
 * connection, so it is bounded by the connections themselves.
 */
export class PerClientConnectionLimit implements ConnectionGate {
  private readonly open = new Map<string, number>();
  private total = 0;

  constructor(private readonly maxPerClient: number) {
    if (!Number.isInteger(maxPerClient) || maxPerClient < 1) {
      throw new RangeError(`maxPerClient must be a positive integer, got ${maxPerClient}`);
    }
  }

  admit(remoteAddress: string | undefined): boolean {
    const key = clientKey(remoteAddress);
    const count = this.open.get(key) ?? 0;
    if (count >= this.maxPerClient) return false;
    this.open.set(key, count + 1);
    this.total++;
    return true;
  }

  release(remoteAddress: string | undefined): void {
    const key = clientKey(remoteAddress);
    const count = this.open.get(key);
    if (count === undefined) return;
    this.total--;
    if (count <= 1) this.open.delete(key);
    else this.open.set(key, count - 1);
  }

  /** Open connections of the client this address belongs to. */
  countOf(remoteAddress: string | undefined): number {
    return this.open.get(clientKey(remoteAddress)) ?? 0;
  }

  /** Open connections over all clients. */
  get openConnections(): number {
    return this.total;
  }

  /** Clients with at least one open connection. */
  get clients(): number {
    return this.open.size;
  }
}
