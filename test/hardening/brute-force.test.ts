import { afterEach, describe, expect, it } from 'vitest';
import type { BindRejectedEvent } from '../../src/broker/events.js';
import { hashPassword } from '../../src/config/index.js';
import { DEFAULT_BIND_REFUSAL_FLOOR_MS } from '../../src/downstream/refusal-delay.js';
import { Status } from '../../src/smpp/index.js';
import { PASSWORD, RawClient, account, bindPdu, cleanupAll, makeConfig, sleep, startProxy } from './harness.js';

afterEach(cleanupAll);

/** One hash for the file: making it costs a full scrypt run. */
const HASHED = hashPassword(PASSWORD);

function config(lockout: Record<string, unknown>) {
  return makeConfig({
    server: { max_connections: 1_000, max_connections_per_ip: 200, bind_lockout: lockout },
    accounts: { plain: account(), hashed: { ...account(), password: undefined, password_hash: HASHED } },
    carriers: { sandbox: { simulator: {} } },
    routes: [{ name: 'all', prefix: [''], carriers: [{ carrier: 'sandbox', cost: 0.01 }] }],
  });
}

interface BindTry {
  status: number;
  /** The whole bind_*_resp frame, sequence number zeroed. */
  frame: string;
  ms: number;
}

/** Connects, sends one bind, waits for its response, disconnects. */
async function tryBind(port: number, systemId: string, password: string, localAddress?: string): Promise<BindTry> {
  const client = await RawClient.connect(port, localAddress);
  const started = performance.now();
  client.send(bindPdu('bind_transceiver', systemId, password, 7));
  const resp = await client.responseTo(7, 15_000);
  const ms = performance.now() - started;
  client.destroy();
  const frame = JSON.stringify({ command: resp.command, status: resp.status, body: resp.body, tlvs: resp.tlvs.length });
  return { status: resp.status, frame, ms };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

describe('brute force', () => {
  it('1,000 bind attempts from one address in well under a minute: 5 are checked, the rest refused unchecked, the lock holds', async () => {
    const { proxy, port } = await startProxy(config({ failures: 5, window: '1m', duration: '5m' }));
    const rejected: BindRejectedEvent[] = [];
    proxy.events.on('bind_rejected', (e) => rejected.push(e));

    const started = Date.now();
    const results: BindTry[] = [];
    const WAVE = 100;
    for (let wave = 0; wave < 1_000 / WAVE; wave++) {
      results.push(
        ...(await Promise.all(
          Array.from({ length: WAVE }, (_, i) =>
            // Alternate guesses at a real account and at names that do not exist.
            (wave * WAVE + i) % 2 === 0 ? tryBind(port, 'plain', `guess${i}`) : tryBind(port, `nobody${i}`, PASSWORD),
          ),
        )),
      );
    }
    const elapsed = Date.now() - started;
    expect(elapsed).toBeLessThan(60_000);

    expect(results).toHaveLength(1_000);
    expect(results.every((r) => r.status === Status.ESME_RBINDFAIL)).toBe(true);
    // Every refusal is the same frame: nothing tells a locked client from a wrong guess.
    expect(new Set(results.map((r) => r.frame)).size).toBe(1);
    // Nothing is answered before the floor, locked or not.
    expect(Math.min(...results.map((r) => r.ms))).toBeGreaterThanOrEqual(DEFAULT_BIND_REFUSAL_FLOOR_MS - 5);

    const checked = rejected.filter((e) => !/locked out/.test(e.reason));
    expect(checked).toHaveLength(5);
    expect(rejected.filter((e) => /locked out/.test(e.reason))).toHaveLength(995);
    expect(proxy.lockedOutClients).toBe(1);

    // The right password from the locked address is refused too; another address binds.
    expect((await tryBind(port, 'plain', PASSWORD)).status).toBe(Status.ESME_RBINDFAIL);
    expect((await tryBind(port, 'plain', PASSWORD, '127.0.0.2')).status).toBe(Status.ESME_ROK);
    // The connection cap let every attempt through and every connection was released.
    await expect.poll(() => proxy.openConnections, { timeout: 5_000 }).toBe(0);
  }, 60_000);

  it('lets the client in again once the lockout ends', async () => {
    const { port } = await startProxy(config({ failures: 3, window: '1m', duration: '1500ms' }));
    for (let i = 0; i < 3; i++) expect((await tryBind(port, 'plain', 'wrong')).status).toBe(Status.ESME_RBINDFAIL);
    expect((await tryBind(port, 'plain', PASSWORD)).status).toBe(Status.ESME_RBINDFAIL);
    await sleep(1_600);
    expect((await tryBind(port, 'plain', PASSWORD)).status).toBe(Status.ESME_ROK);
  }, 20_000);

  it('answers an unknown account and a wrong password (plain or hashed) with the same status in the same time', async () => {
    // Lockout off here: this test is about the answer itself, repeated many times from one address.
    const { port } = await startProxy(config({ failures: 0 }));
    const kinds = {
      unknown: () => tryBind(port, 'nosuchacct', PASSWORD),
      plainWrong: () => tryBind(port, 'plain', 'wrongpw'),
      hashedWrong: () => tryBind(port, 'hashed', 'wrongpw'),
    } as const;
    const samples: Record<keyof typeof kinds, BindTry[]> = { unknown: [], plainWrong: [], hashedWrong: [] };
    // Warm up: the first hashed check of a process pays for thread-pool start-up.
    await Promise.all(Object.values(kinds).map((run) => run()));
    for (let round = 0; round < 15; round++) {
      const tries = await Promise.all(Object.values(kinds).map((run) => run()));
      (Object.keys(kinds) as (keyof typeof kinds)[]).forEach((kind, i) => samples[kind].push(tries[i]!));
    }
    const all = Object.values(samples).flat();
    expect(all.every((t) => t.status === Status.ESME_RBINDFAIL)).toBe(true);
    expect(new Set(all.map((t) => t.frame)).size).toBe(1);
    const medians = Object.fromEntries(Object.entries(samples).map(([kind, tries]) => [kind, median(tries.map((t) => t.ms))]));
    const values = Object.values(medians);
    // Without the floor a wrong plain password answers in about 1 ms and the other two after an
    // scrypt run (about 130 ms); with it all three wait out the same floor.
    expect(Math.min(...values)).toBeGreaterThanOrEqual(DEFAULT_BIND_REFUSAL_FLOOR_MS - 5);
    expect(Math.max(...values) - Math.min(...values), JSON.stringify(medians)).toBeLessThan(60);
  }, 40_000);
});
