import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { expect } from 'vitest';
import { stringify } from 'yaml';
import { startRuntime, type Runtime } from '../../src/cli/start.js';
import { parseConfig, type Config } from '../../src/config/index.js';
import type { SmppSession } from '../../src/session/index.js';
import type { CarrierSimulator } from '../../src/sim/carrier-sim.js';
import { countBy, readStream, type StoredEvent } from '../audit/stream-reader.js';
import { track } from '../helpers/cleanup.js';
import { CARRIER_PASSWORD, silentLogger, startCarrierSim } from '../helpers/proxy.js';
import { waitFor as pollUntil } from '../helpers/wait.js';

export { cleanupAll, tempDir, track } from '../helpers/cleanup.js';
export { sleep } from '../helpers/wait.js';
export { CARRIER_PASSWORD } from '../helpers/proxy.js';

/**
 * Shared pieces of the audit end-to-end tests: the real runtime (store, recorder, publisher,
 * proxy) against a real nats-server and simulated carriers on loopback, plus tallies of what
 * each SMPP peer saw, so the stream can be compared with the traffic that actually happened.
 */

export const PREFIX = 'smpp';
export const ESME_PASSWORD = 'esmepw';

/** Polls until `check` holds; these suites wait on whole runs, so the default is generous. */
export function waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  return pollUntil(check, what, timeoutMs, 20);
}

/** A carrier simulator that only accepts the credentials auditConfigDocument() writes into the config. */
export function startCarrier(systemId: string, receiptDelayMs = 20): Promise<CarrierSimulator> {
  return startCarrierSim(systemId, {
    receiptDelayMs,
    receiptRetryMs: 500,
    // The simulator never sends enquire_link of its own, so every enquire_link on a carrier
    // bind is the proxy's and the simulator's received log counts them.
    session: { enquireLinkIntervalMs: 0 },
  });
}

export interface CarrierSpec {
  name: string;
  sim: CarrierSimulator;
  sessions?: number;
}

export interface RouteSpec {
  name: string;
  prefix: string;
  carrier: string;
  cost: number;
}

export interface AuditConfigOptions {
  natsUrl: string;
  storePath: string;
  streamName: string;
  accounts: readonly string[];
  carriers: readonly CarrierSpec[];
  routes: readonly RouteSpec[];
  /** The proxy's enquire_link towards carriers and ESMEs; a few happen during a run. */
  enquireLinkInterval?: string;
  /** Below enquireLinkInterval; default 1500ms. */
  responseTimeout?: string;
  /** The proxy's SMPP listener; default a free port. */
  listenPort?: number;
  logLevel?: string;
}

/** The YAML document of a proxy that publishes to the given NATS server. */
export function auditConfigDocument(o: AuditConfigOptions): Record<string, unknown> {
  const keepalive = o.enquireLinkInterval ?? '2s';
  // A keepalive must be answered before the next is due, so the response timeout follows it.
  const responseTimeout = o.responseTimeout ?? '1500ms';
  return {
    server: { listen: `127.0.0.1:${o.listenPort ?? 0}`, system_id: 'AUDITPROXY', enquire_link_interval: keepalive, response_timeout: responseTimeout, window: 100 },
    admin: { listen: false },
    store: { path: o.storePath },
    nats: {
      enabled: true,
      servers: [o.natsUrl],
      subject_prefix: PREFIX,
      stream: { name: o.streamName, duplicate_window: '2m' },
    },
    log: { level: o.logLevel ?? 'silent' },
    accounts: Object.fromEntries(
      o.accounts.map((name) => [name, { password: ESME_PASSWORD, allowed_ips: ['127.0.0.0/8'], max_binds: 4, window: 100 }]),
    ),
    carriers: Object.fromEntries(
      o.carriers.map((c) => [
        c.name,
        {
          host: '127.0.0.1',
          port: c.sim.port,
          system_id: c.name,
          password: CARRIER_PASSWORD,
          sessions: c.sessions ?? 1,
          window: 100,
          enquire_link_interval: keepalive,
          reconnect: { initial: '50ms', max: '500ms' },
          response_timeout: responseTimeout,
        },
      ]),
    ),
    routes: o.routes.map((r) => ({ name: r.name, prefix: [r.prefix], carriers: [{ carrier: r.carrier, cost: r.cost }] })),
  };
}

export function auditConfig(o: AuditConfigOptions): Config {
  return parseConfig(stringify(auditConfigDocument(o)), 'audit-e2e.yaml');
}

/** startRuntime as `smpp-proxy start` runs it, once every carrier bind is up. */
export async function startAuditRuntime(config: Config): Promise<{ runtime: Runtime; port: number }> {
  const runtime = await startRuntime(config, silentLogger);
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await runtime.stop();
  };
  track(stop);
  const port = runtime.proxy.addresses.smpp?.port;
  if (port === undefined) throw new Error('the proxy has no plain SMPP listener');
  const carriers = Object.values(config.carriers);
  await waitFor(
    () => carriers.every((c) => runtime.proxy.pools.get(c.name)?.health().bound === true),
    'every carrier bound',
  );
  return { runtime: { ...runtime, stop }, port };
}

/** Resolves once the outbox is empty and nothing is awaiting a JetStream acknowledgement. */
export async function waitForDrain(runtime: Runtime, timeoutMs = 30_000): Promise<void> {
  const publisher = runtime.publisher;
  if (publisher === undefined) throw new Error('the runtime has no publisher: nats is disabled');
  try {
    await waitFor(() => publisher.stats.depth === 0 && publisher.stats.inFlight === 0, 'the audit outbox to drain', timeoutMs);
  } catch (error) {
    // Say where the publisher stands: stuck in flight, paused, or disconnected read differently.
    throw new Error(`${(error as Error).message}; publisher: ${JSON.stringify(publisher.stats)}`, { cause: error });
  }
}

// ------------------------------------------------------------------------------ peer tallies

/** PDUs one session saw, by "<in|out>.<command>", plus every frame it sent. */
export class PduTally {
  readonly counts = new Map<string, number>();
  /**
   * Frames this side wrote, base64, by "<command>:<sequence>": a response carries the peer's
   * sequence number, which may equal one of our own requests'.
   */
  readonly sentFrames = new Map<string, string>();

  /**
   * Counts from now on. A TestEsme is bound by the time a test can attach, so its bind request
   * and response are counted here from the session's bind type.
   */
  static attach(session: SmppSession): PduTally {
    const tally = new PduTally();
    if (session.bindType !== undefined) {
      tally.add('out', `bind_${session.bindType}`);
      tally.add('in', `bind_${session.bindType}_resp`);
    }
    session.on('pdu_in', (info) => tally.add('in', String(info.command)));
    session.on('pdu_out', (info) => {
      tally.add('out', String(info.command));
      tally.sentFrames.set(`${String(info.command)}:${info.sequence}`, info.frame.toString('base64'));
    });
    return tally;
  }

  add(direction: 'in' | 'out', command: string): void {
    const key = `${direction}.${command}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  get(direction: 'in' | 'out', command: string): number {
    return this.counts.get(`${direction}.${command}`) ?? 0;
  }
}

/** The proxy's view of an ESME's session is the mirror of the ESME's own: its in is our out. */
export function esmeSubjects(account: string, tallies: readonly PduTally[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const tally of tallies) {
    for (const [key, count] of tally.counts) {
      const [direction, command] = key.split('.') as ['in' | 'out', string];
      const proxyDirection = direction === 'in' ? 'out' : 'in';
      const subject = `${PREFIX}.pdu.esme.${account}.${proxyDirection}.${command}`;
      out.set(subject, (out.get(subject) ?? 0) + count);
    }
  }
  return out;
}

/**
 * What a carrier simulator saw, as the subjects of the proxy's carrier side. It records every
 * PDU it received; what it sent is known from its counters: one bind response per bind, one
 * submit_sm_resp per answered submit, one deliver_sm per receipt attempt, one
 * enquire_link_resp per enquire_link (it sends none of its own, see startCarrier).
 */
export function carrierSubjects(carrier: string, sim: CarrierSimulator): Map<string, number> {
  const out = new Map<string, number>();
  const add = (direction: 'in' | 'out', command: string, count: number): void => {
    if (count === 0) return;
    const subject = `${PREFIX}.pdu.carrier.${carrier}.${direction}.${command}`;
    out.set(subject, (out.get(subject) ?? 0) + count);
  };
  const received = new Map<string, number>();
  for (const record of sim.received) received.set(record.command, (received.get(record.command) ?? 0) + 1);
  for (const [command, count] of received) {
    add('out', command, count);
    // Every bind is answered.
    if (command.startsWith('bind_')) add('in', `${command}_resp`, count);
  }
  add('in', 'submit_sm_resp', sim.submits.filter((s) => s.status !== undefined).length);
  add('in', 'deliver_sm', sim.stats.receiptsSent);
  add('in', 'enquire_link_resp', received.get('enquire_link') ?? 0);
  return out;
}

export function mergeCounts(...maps: ReadonlyMap<string, number>[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const map of maps) for (const [key, count] of map) out.set(key, (out.get(key) ?? 0) + count);
  return out;
}

// ------------------------------------------------------------------------------ the stream

/** Messages per subject in the stream, from the server's own bookkeeping. */
export async function streamSubjectCounts(nc: NatsConnection, stream: string, filter = `${PREFIX}.>`): Promise<Map<string, number>> {
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(stream, { subjects_filter: filter });
  return new Map(Object.entries(info.state.subjects ?? {}));
}

/** Sorted entries, so a failed comparison prints a readable diff. */
export function sortedEntries(map: ReadonlyMap<string, number>): Array<[string, number]> {
  return [...map].sort(([a], [b]) => a.localeCompare(b));
}

/**
 * Waits for the outbox to drain, then reads the whole stream until its per-subject counts equal
 * `expected()` (what the peers saw). Keepalives go on while the stream is read, so a snapshot
 * may be a keepalive behind; a missing or duplicated event never lets the two agree, and the
 * final comparison prints the difference. The server's own per-subject bookkeeping must agree
 * with what was read, too.
 */
export async function readMatchingStream(
  nc: NatsConnection,
  stream: string,
  runtime: Runtime,
  expected: () => ReadonlyMap<string, number>,
  timeoutMs = 20_000,
): Promise<{ stored: StoredEvent[]; counts: Map<string, number> }> {
  let stored: StoredEvent[] = [];
  let counts = new Map<string, number>();
  try {
    await waitFor(
      async () => {
        await waitForDrain(runtime, timeoutMs);
        stored = await readStream(nc, stream);
        counts = countBy(stored, (s) => s.subject);
        return JSON.stringify(sortedEntries(counts)) === JSON.stringify(sortedEntries(expected()));
      },
      'the stream to match the traffic',
      timeoutMs,
    );
  } catch (error) {
    // The count difference below is the failure; why the wait gave up goes with it.
    console.error(`stream never matched: ${(error as Error).message}; publisher: ${JSON.stringify(runtime.publisher?.stats)}`);
    expect(sortedEntries(counts)).toEqual(sortedEntries(expected()));
    throw error;
  }
  const withoutKeepalive = (m: ReadonlyMap<string, number>) => sortedEntries(m).filter(([subject]) => !subject.includes('.enquire_link'));
  expect(withoutKeepalive(await streamSubjectCounts(nc, stream))).toEqual(withoutKeepalive(counts));
  return { stored, counts };
}

/**
 * Each stored message is one event under its own id, sent as its Nats-Msg-Id, and no id is
 * missing: one recorder numbers its events with one boot prefix and a counter from 1, so the
 * counters in the stream must be exactly 1..n for each prefix.
 */
export function expectEveryEventOnce(stored: readonly StoredEvent[]): void {
  expect(stored.filter((s) => s.msgId !== s.json.id)).toEqual([]);
  expect(new Set(stored.map((s) => s.msgId)).size).toBe(stored.length);
  const counters = new Map<string, number[]>();
  for (const s of stored) {
    const id = s.json.id as string;
    const cut = id.lastIndexOf('-');
    const boot = id.slice(0, cut);
    const list = counters.get(boot) ?? [];
    list.push(parseInt(id.slice(cut + 1), 36));
    counters.set(boot, list);
  }
  for (const [boot, list] of counters) {
    list.sort((a, b) => a - b);
    const gaps = list.filter((n, i) => n !== i + 1).slice(0, 5);
    expect({ boot, first: list[0], last: list.at(-1), count: list.length, gaps }).toEqual({ boot, first: 1, last: list.length, count: list.length, gaps: [] });
  }
}
