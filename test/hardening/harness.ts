import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import type { Config } from '../../src/config/index.js';
import { connectAndBind, type BindType, type IncomingRequest, type SmppSession } from '../../src/session/index.js';
import { FrameSplitter, decodePdu, encodePdu, type Pdu, type PduOf, type SubmitSmBody, type Tlv } from '../../src/smpp/index.js';
import type { CarrierSimulator } from '../../src/sim/carrier-sim.js';
import type { CarrierSimulatorOptions } from '../../src/sim/options.js';
import { submitSmPdu } from '../../src/sim/pdus.js';
import { track } from '../helpers/cleanup.js';
import { DeliveryLog } from '../helpers/delivery-log.js';
import { bindRequestPdu } from '../helpers/pdus.js';
import { PASSWORD, loopbackAccount, startCarrierSim, startProxy as startTestProxy, testConfig, type RunningProxy, type StartProxyOptions } from '../helpers/proxy.js';
import { waitFor as pollUntil } from '../helpers/wait.js';

export { cleanupAll, tempDir, track } from '../helpers/cleanup.js';
export { sleep } from '../helpers/wait.js';
export { CARRIER_PASSWORD, PASSWORD, remoteCarrier, silentLogger, type RunningProxy } from '../helpers/proxy.js';

/** Polls `check` until it holds; fails with `what` after the timeout (10 s by default: these runs are heavy). */
export async function waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  await pollUntil(check, what, timeoutMs);
}

// ------------------------------------------------------------------------------------ carriers

/** A carrier simulator on loopback that the proxy binds to like any SMSC. */
export async function startCarrier(systemId: string, options: CarrierSimulatorOptions = {}): Promise<CarrierSimulator> {
  return startCarrierSim(systemId, {
    receiptDelayMs: 20,
    receiptRetryMs: 100,
    recordLimit: 1_000,
    session: { enquireLinkIntervalMs: 0, unbindTimeoutMs: 500 },
    ...options,
  });
}

// ------------------------------------------------------------------------------------ proxy

/** A YAML mapping of an account that may bind from loopback. */
export function account(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return loopbackAccount({ max_binds: 8, ...extra });
}

/** A config on the path a real file takes: free loopback port, no admin listener, NATS off. */
export function makeConfig(sections: Record<string, unknown>, storePath = './unused-store'): Config {
  return testConfig(sections, { systemId: 'HARDPROXY', fileName: 'hardening.yaml', storePath });
}

/**
 * Starts the proxy (an in-memory store unless the options give one, sandbox carriers in
 * process) and waits until every carrier has a bound session.
 */
export async function startProxy(config: Config, options: StartProxyOptions = {}): Promise<RunningProxy> {
  return startTestProxy(config, { boundTimeoutMs: 10_000, ...options });
}

// ------------------------------------------------------------------------------------ ESMEs

/** What an ESME answers each deliver_sm with. */
export type DeliverAnswer = (pdu: PduOf<'deliver_sm'>, index: number) => number;

/** A bound ESME (our session layer) that records every deliver_sm and answers it with `answer`. */
export class Esme {
  private readonly received = new DeliveryLog<PduOf<'deliver_sm'>>();

  private constructor(
    readonly session: SmppSession,
    public answer: DeliverAnswer,
  ) {
    session.on('request', (req: IncomingRequest) => {
      if (req.command !== 'deliver_sm') {
        if (!req.responded && req.command !== 'alert_notification' && req.command !== 'outbind') req.respond(0x03);
        return;
      }
      const pdu = req.pdu as PduOf<'deliver_sm'>;
      const index = this.received.items.length;
      this.received.add(pdu);
      req.respond(this.answer(pdu, index), { message_id: '' } as never);
    });
  }

  get deliveries(): readonly PduOf<'deliver_sm'>[] {
    return this.received.items;
  }

  static async bind(
    port: number,
    systemId: string,
    options: { password?: string; bindType?: BindType; answer?: DeliverAnswer; window?: number; localAddress?: string } = {},
  ): Promise<Esme> {
    const session = await connectAndBind({
      host: '127.0.0.1',
      port,
      bindType: options.bindType ?? 'transceiver',
      bind: { system_id: systemId, password: options.password ?? PASSWORD },
      session: { enquireLinkIntervalMs: 0, responseTimeoutMs: 20_000, windowSize: options.window ?? 64, unbindTimeoutMs: 2_000 },
    });
    const esme = new Esme(session, options.answer ?? (() => 0));
    track(() => esme.close());
    return esme;
  }

  /** Sends a submit_sm; resolves with its response whatever the status. Waits for window room. */
  async submit(fields: Partial<SubmitSmBody> = {}, tlvs: Tlv[] = []): Promise<PduOf<'submit_sm_resp'>> {
    for (;;) {
      const pending = this.session.request(submitSmPdu(fields, { tlvs }));
      if (pending !== null) return pending;
      if (this.session.isClosed) throw new Error('the ESME session is closed');
      await Promise.race([once(this.session, 'drain'), this.session.whenClosed()]);
    }
  }

  async waitForDeliveries(count: number, timeoutMs = 10_000): Promise<readonly PduOf<'deliver_sm'>[]> {
    return this.received.waitForCount(count, timeoutMs);
  }

  async close(): Promise<void> {
    if (!this.session.isClosed) await this.session.unbind();
  }
}

export function bindPdu(command: 'bind_transmitter' | 'bind_receiver' | 'bind_transceiver', systemId: string, password: string, sequence: number): Buffer {
  return encodePdu(bindRequestPdu(command, systemId, password, { sequence }));
}

// ------------------------------------------------------------------------------------ raw peers

/**
 * A TCP client that writes whatever bytes a test wants and decodes what comes back: the way to
 * play a broken or hostile ESME that our own session layer would refuse to imitate.
 */
export class RawClient {
  readonly received: Pdu[] = [];
  /** Frames that came back but did not decode. */
  undecodable = 0;
  /** Octets received in total. */
  bytesIn = 0;
  readonly closed: Promise<void>;
  private readonly splitter = new FrameSplitter(1 << 20);
  private readonly bySequence = new Map<number, Pdu[]>();
  private waiters = new Set<() => void>();
  private ended = false;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.bytesIn += chunk.length;
      this.splitter.push(chunk);
      for (let frame = this.splitter.next(); frame !== undefined; frame = this.splitter.next()) {
        if (!Buffer.isBuffer(frame)) break;
        const result = decodePdu(frame);
        if (!result.ok) {
          this.undecodable++;
          continue;
        }
        this.received.push(result.pdu);
        const list = this.bySequence.get(result.pdu.sequence);
        if (list === undefined) this.bySequence.set(result.pdu.sequence, [result.pdu]);
        else list.push(result.pdu);
      }
      this.wake();
    });
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.ended = true;
        this.wake();
        resolve();
      }),
    );
  }

  static async connect(port: number, localAddress?: string): Promise<RawClient> {
    const client = await RawClient.open(port, localAddress);
    track(() => client.destroy());
    return client;
  }

  /** Like connect(), but left out of the test's cleanup list: the caller destroys it (bulk runs that measure memory). */
  static async open(port: number, localAddress?: string): Promise<RawClient> {
    const socket = connect({ host: '127.0.0.1', port, ...(localAddress === undefined ? {} : { localAddress }) });
    socket.on('error', () => undefined);
    await once(socket, 'connect');
    return new RawClient(socket);
  }

  get isClosed(): boolean {
    return this.ended;
  }

  send(data: Pdu | Buffer): void {
    this.socket.write(Buffer.isBuffer(data) ? data : encodePdu(data));
  }

  /** Responses that carried this sequence number, in arrival order. */
  responsesTo(sequence: number): Pdu[] {
    return this.bySequence.get(sequence) ?? [];
  }

  /** Waits until `condition` holds, the socket closes, or the timeout passes; returns whether it held. */
  async until(condition: () => boolean, timeoutMs = 10_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (this.ended || Date.now() >= deadline) return condition();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.max(1, deadline - Date.now()));
        function done(): void {
          clearTimeout(timer);
          resolve();
        }
        this.waiters.add(done);
      });
    }
    return true;
  }

  /** The first response with this sequence number; throws when none arrives in time. */
  async responseTo(sequence: number, timeoutMs = 10_000): Promise<Pdu> {
    await this.until(() => this.responsesTo(sequence).length > 0, timeoutMs);
    const found = this.responsesTo(sequence)[0];
    if (found === undefined) throw new Error(`no response to sequence ${sequence} (closed: ${this.ended})`);
    return found;
  }

  /** Resolves true once the server has closed the connection, false when it is still open after the timeout. */
  async closedWithin(timeoutMs: number): Promise<boolean> {
    if (this.ended) return true;
    let timer: NodeJS.Timeout | undefined;
    const result = await Promise.race([this.closed.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), timeoutMs)))]);
    clearTimeout(timer);
    return result;
  }

  /** Forgets everything received so far (long runs keep memory flat). */
  forget(): void {
    this.received.length = 0;
    this.bySequence.clear();
  }

  destroy(): void {
    this.socket.destroy();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = new Set();
    for (const wake of waiters) wake();
  }
}

/** A raw client bound as `bindType`; throws when the bind is refused. */
export async function boundRawClient(
  port: number,
  systemId: string,
  bindType: 'bind_transmitter' | 'bind_receiver' | 'bind_transceiver' = 'bind_transceiver',
  password = PASSWORD,
): Promise<RawClient> {
  const client = await RawClient.connect(port);
  client.send(bindPdu(bindType, systemId, password, 1));
  const resp = await client.responseTo(1);
  if (resp.status !== 0) throw new Error(`bind refused with 0x${resp.status.toString(16)}`);
  return client;
}
