import { mkdtemp, rm } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { stringify } from 'yaml';
import { SmppProxy, type ProxyOptions } from '../../src/broker/proxy.js';
import { parseConfig, type Config } from '../../src/config/index.js';
import { SmppSession, type BindType, type IncomingRequestOf } from '../../src/session/index.js';
import {
  findTlv,
  isReceipt,
  parseReceiptText,
  receiptedMessageIdOf,
  Status,
  TlvTag,
  type PduOf,
  type SubmitSmBody,
  type Tlv,
} from '../../src/smpp/index.js';
import { CarrierSimulator, type SubmitRecord } from '../../src/sim/carrier-sim.js';
import { openMemoryStore } from '../../src/store/index.js';
import type { CarrierSimulatorOptions } from '../../src/sim/options.js';
import { submitSmPdu } from '../../src/sim/pdus.js';
import { createSandbox } from '../../src/sim/sandbox.js';

/** Everything a test file opened, closed in reverse order by cleanupAll(). */
const opened: Array<() => Promise<void> | void> = [];

export function track(cleanup: () => Promise<void> | void): void {
  opened.push(cleanup);
}

export async function cleanupAll(): Promise<void> {
  for (const task of opened.splice(0).reverse()) {
    try {
      await task();
    } catch {
      // One failed cleanup must not leave the rest open for the next test.
    }
  }
}

export const silentLogger = pino({ level: 'silent' });

export async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  track(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Polls `check` until it holds; fails with `what` after the timeout. */
export async function waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// ---------------------------------------------------------------------------------- carriers

export const CARRIER_PASSWORD = 'pw';

/**
 * A simulated carrier the proxy reaches over loopback like a real SMSC, so a test can stop,
 * restart and reconfigure it. It only accepts the credentials remoteCarrier() puts in the config.
 */
export async function startCarrier(systemId: string, options: CarrierSimulatorOptions = {}): Promise<CarrierSimulator> {
  const sim = new CarrierSimulator({
    receiptDelayMs: 50,
    receiptRetryMs: 200,
    ...options,
    accounts: [{ systemId, password: CARRIER_PASSWORD }],
  });
  await sim.start();
  track(() => sim.stop());
  return sim;
}

/** The YAML mapping of a remote carrier at a simulator (or a port), with short timers for tests. */
export function remoteCarrier(
  target: CarrierSimulator | number,
  systemId: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    host: '127.0.0.1',
    port: typeof target === 'number' ? target : target.port,
    system_id: systemId,
    password: CARRIER_PASSWORD,
    reconnect: { initial: '50ms', max: '200ms' },
    response_timeout: '2s',
    ...extra,
  };
}

/** short_message of a submit a carrier recorded; data_sm has none. */
export function shortMessageOf(record: SubmitRecord): Buffer {
  if (record.pdu.command !== 'submit_sm') throw new Error(`expected a submit_sm, got ${record.pdu.command}`);
  return record.pdu.body.short_message;
}

// ---------------------------------------------------------------------------------- proxy

export const PASSWORD = 'secret';

/** A YAML mapping of an account that may bind from loopback. */
export function account(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { password: PASSWORD, allowed_ips: ['127.0.0.0/8', '::1'], max_binds: 4, ...extra };
}

/**
 * A config from the given sections (YAML mappings as objects), on the loaded path a real file
 * takes: listening on a free loopback port, no admin listener, NATS off.
 */
export function makeConfig(sections: Record<string, unknown>, storePath = 'store-path-unused-by-this-test'): Config {
  const { server, ...rest } = sections;
  const document = {
    server: { listen: '127.0.0.1:0', system_id: 'E2EPROXY', ...(server as object | undefined) },
    admin: { listen: false },
    store: { path: storePath },
    nats: { enabled: false },
    log: { level: 'silent' },
    ...rest,
  };
  return parseConfig(stringify(document), 'e2e.yaml');
}

export interface RunningProxy {
  proxy: SmppProxy;
  port: number;
  stop(): Promise<void>;
}

/**
 * Starts the proxy (sandbox carriers through createSandbox) and waits until every carrier is
 * bound. The store is a fresh in-memory one unless the test passes a store, or asks for the
 * durable store at config.store.path with `durable`.
 */
export async function startProxy(
  config: Config,
  options: Partial<ProxyOptions> & { waitForCarriers?: readonly string[]; durable?: boolean } = {},
): Promise<RunningProxy> {
  const { waitForCarriers, durable, ...proxyOptions } = options;
  let store = proxyOptions.store;
  if (store === undefined && durable !== true) {
    const memory = openMemoryStore();
    track(() => memory.close());
    store = memory;
  }
  const proxy = await SmppProxy.start(config, {
    logger: silentLogger,
    sandbox: (carrier) => createSandbox(carrier, silentLogger),
    ...proxyOptions,
    ...(store === undefined ? {} : { store }),
  });
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await proxy.stop(3_000);
  };
  track(stop);
  const port = proxy.addresses.smpp?.port;
  if (port === undefined) throw new Error('the proxy has no plain SMPP listener');
  const carriers = waitForCarriers ?? Object.keys(config.carriers);
  await waitForBound(proxy, carriers);
  return { proxy, port, stop };
}

export async function waitForBound(proxy: SmppProxy, carriers: readonly string[], timeoutMs = 5_000): Promise<void> {
  await waitFor(() => carriers.every((name) => proxy.pools.get(name)?.health().bound === true), `carriers ${carriers.join(', ')} bound`, timeoutMs);
}

export async function waitForUnbound(proxy: SmppProxy, carrier: string, timeoutMs = 5_000): Promise<void> {
  await waitFor(() => proxy.pools.get(carrier)?.health().bound === false, `carrier ${carrier} unbound`, timeoutMs);
}

// ---------------------------------------------------------------------------------- ESMEs

export type Delivery = IncomingRequestOf<'deliver_sm'>;
/** Decides the deliver_sm_resp status for each delivery an ESME receives; undefined leaves it for the test to answer. */
export type DeliveryAnswer = (delivery: Delivery, index: number) => number | undefined;

/**
 * A customer's ESME bound to the proxy with our own session layer. It records every deliver_sm
 * it receives and answers each with what `answer` says (ESME_ROK by default).
 */
export class TestEsme {
  readonly deliveries: Delivery[] = [];
  /** Called with each new delivery. */
  private readonly waiters = new Set<(delivery: Delivery) => void>();
  answer: DeliveryAnswer = () => Status.ESME_ROK;

  private constructor(readonly session: SmppSession) {
    session.on('request', (req) => {
      if (req.command !== 'deliver_sm') {
        if (!req.responded && req.command !== 'alert_notification' && req.command !== 'outbind') req.respond(Status.ESME_RINVCMDID);
        return;
      }
      const delivery = req as Delivery;
      const index = this.deliveries.length;
      this.deliveries.push(delivery);
      const status = this.answer(delivery, index);
      if (status !== undefined) delivery.respond(status, { message_id: '' });
      for (const wake of [...this.waiters]) wake(delivery);
    });
  }

  /**
   * Connects and binds. The delivery handler is attached before the bind is sent: a proxy
   * holding queued receipts sends them right behind the bind_resp, often in the same TCP segment.
   */
  static async bind(
    port: number,
    systemId: string,
    options: { password?: string; bindType?: BindType; answer?: DeliveryAnswer } = {},
  ): Promise<TestEsme> {
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port });
      s.once('connect', () => {
        s.off('error', reject);
        resolve(s);
      });
      s.once('error', reject);
    });
    const session = new SmppSession(socket, { role: 'esme', enquireLinkIntervalMs: 0, responseTimeoutMs: 15_000, windowSize: 64 });
    const esme = new TestEsme(session);
    if (options.answer) esme.answer = options.answer;
    try {
      await session.bind(options.bindType ?? 'transceiver', { system_id: systemId, password: options.password ?? PASSWORD });
    } catch (error) {
      session.close('bind failed');
      throw error;
    }
    track(() => esme.close());
    return esme;
  }

  /** Sends a submit_sm and resolves with its response, whatever the status. */
  async submit(fields: Partial<SubmitSmBody> = {}, tlvs: Tlv[] = []): Promise<PduOf<'submit_sm_resp'>> {
    const pending = this.session.request(submitSmPdu(fields, { tlvs }));
    if (pending === null) throw new Error('the ESME window is full');
    return pending;
  }

  /** Resolves once `count` deliveries have arrived in total. */
  async waitForDeliveries(count: number, timeoutMs = 5_000): Promise<Delivery[]> {
    if (this.deliveries.length >= count) return this.deliveries;
    await new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (this.deliveries.length < count) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${count} deliveries (got ${this.deliveries.length})`));
      }, timeoutMs);
      this.waiters.add(check);
    });
    return this.deliveries;
  }

  /** Resolves with the first delivery (received already or later) that `match` accepts. */
  async waitForDelivery(match: (delivery: Delivery) => boolean, timeoutMs = 5_000): Promise<Delivery> {
    const found = this.deliveries.find(match);
    if (found !== undefined) return found;
    return new Promise<Delivery>((resolve, reject) => {
      // Only the newcomer is looked at: the ones before it were checked already.
      const check = (delivery: Delivery): void => {
        if (!match(delivery)) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(delivery);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for a matching delivery (got ${this.deliveries.length} others)`));
      }, timeoutMs);
      this.waiters.add(check);
    });
  }

  async close(): Promise<void> {
    if (!this.session.isClosed) await this.session.unbind();
  }
}

export interface ReceiptView {
  /** receipted_message_id, when the TLV is present. */
  tlvId: string | undefined;
  /** The id in the receipt text. */
  textId: string | undefined;
  stat: string | undefined;
}

/** The ids and stat a customer reads from a receipt, or undefined when the delivery is not one. */
export function readReceiptView(delivery: Delivery): ReceiptView | undefined {
  const body = delivery.pdu.body;
  if (!isReceipt(body.esm_class)) return undefined;
  const text = body.short_message.length > 0 ? body.short_message : findTlv(delivery.pdu.tlvs, TlvTag.message_payload)?.value;
  const parsed = text === undefined ? undefined : parseReceiptText(text);
  return { tlvId: receiptedMessageIdOf(delivery.pdu.tlvs), textId: parsed?.id, stat: parsed?.stat };
}

/** A matcher for waitForDelivery: the receipt for `proxyId`, by TLV or text. */
export function receiptFor(proxyId: string): (delivery: Delivery) => boolean {
  return (delivery) => {
    const view = readReceiptView(delivery);
    return view !== undefined && (view.tlvId === proxyId || view.textId === proxyId);
  };
}

/** The error a failed bind rejects with, or undefined when the bind succeeded (and was undone). */
export async function bindError(
  port: number,
  systemId: string,
  password: string,
  bindType: BindType = 'transceiver',
): Promise<{ code: string; status: number | undefined } | undefined> {
  try {
    const esme = await TestEsme.bind(port, systemId, { password, bindType });
    await esme.close();
    return undefined;
  } catch (error) {
    const e = error as { code?: string; status?: number };
    return { code: e.code ?? String(error), status: e.status };
  }
}
