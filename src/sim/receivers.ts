import type { BindType, SmppSession } from '../session/index.js';
import { RoomWaiter } from './room-waiter.js';

export interface BoundSession {
  readonly session: SmppSession;
  readonly systemId: string;
  readonly bindType: BindType;
  readonly room: RoomWaiter;
}

/**
 * The bound sessions, and for each system_id the ones that can receive (receiver and
 * transceiver binds): where receipts and MO go. Picks rotate so traffic spreads across an ESME's
 * receivers the way an SMSC balances them.
 */
export class Receivers {
  private readonly bound = new Map<SmppSession, BoundSession>();
  private readonly bySystemId = new Map<string, BoundSession[]>();
  private readonly cursor = new Map<string, number>();

  get size(): number {
    return this.bound.size;
  }

  all(): BoundSession[] {
    return [...this.bound.values()];
  }

  add(entry: BoundSession): void {
    this.bound.set(entry.session, entry);
    if (entry.bindType === 'transmitter') return;
    const list = this.bySystemId.get(entry.systemId) ?? [];
    list.push(entry);
    this.bySystemId.set(entry.systemId, list);
  }

  remove(session: SmppSession): BoundSession | undefined {
    const entry = this.bound.get(session);
    if (entry === undefined) return undefined;
    this.bound.delete(session);
    const list = this.bySystemId.get(entry.systemId);
    if (list !== undefined) {
      const rest = list.filter((e) => e.session !== session);
      if (rest.length > 0) this.bySystemId.set(entry.systemId, rest);
      else this.bySystemId.delete(entry.systemId);
    }
    return entry;
  }

  /** Receiving sessions of a system_id that are still bound and not unbinding. */
  of(systemId: string): BoundSession[] {
    return (this.bySystemId.get(systemId) ?? []).filter((e) => !e.session.isClosed);
  }

  /** The system_id of some bound receiver, for MO sent without naming one. */
  anySystemId(): string | undefined {
    for (const [systemId, list] of this.bySystemId) if (list.some((e) => !e.session.isClosed)) return systemId;
    return undefined;
  }

  /**
   * The receivers of a system_id, starting with the next one in turn. Callers try them in this
   * order with request(), which (unlike a look at canRequest) also registers a refusal, so the
   * session owes a 'drain' when room comes back.
   */
  rotation(systemId: string): BoundSession[] {
    const list = this.of(systemId);
    if (list.length <= 1) return list;
    const start = (this.cursor.get(systemId) ?? 0) % list.length;
    this.cursor.set(systemId, (start + 1) % list.length);
    return [...list.slice(start), ...list.slice(0, start)];
  }
}
