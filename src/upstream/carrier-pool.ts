import { EventEmitter } from 'node:events';
import type { CarrierConfig } from '../config/types.js';
import type { CarrierHealth } from '../routing/index.js';
import { Connector, isSessionError, type IncomingRequestOf, type SmppSession, type TlsClientOptions } from '../session/index.js';
import type { Pdu } from '../smpp/index.js';
import { TokenBucket } from '../util/token-bucket.js';
import type { ProxyEvents } from '../broker/events.js';
import { attachPduEvents } from '../broker/pdu-events.js';
import { CircuitBreaker } from './circuit-breaker.js';

/** Where and how to bind to a carrier: a real SMSC, or an in-process simulator on loopback. */
export interface CarrierEndpoint {
  host: string;
  port: number;
  tls: TlsClientOptions | undefined;
  systemId: string;
  password: string;
  systemType: string;
}

/** What became of one attempt to hand a request to this carrier. */
export type SendOutcome =
  /** The carrier answered; any command_status, the caller decides. */
  | { kind: 'response'; pdu: Pdu }
  /** Nothing was sent: the carrier cannot take it now (try the next one). */
  | { kind: 'unavailable'; reason: 'not_bound' | 'window_full' | 'throttled' | 'circuit_open' }
  /** Sent, but no usable answer: timeout, or the session was lost before the response. */
  | { kind: 'failed'; reason: 'timeout' | 'session_lost'; status?: number };

export interface CarrierPoolEvents {
  /** deliver_sm or data_sm from the carrier: receipts and MO. The listener must respond. The session it came on is given so the answer can be held on the wire. */
  deliver: [IncomingRequestOf<'deliver_sm'> | IncomingRequestOf<'data_sm'>, SmppSession];
}

export interface CarrierPoolOptions {
  events: ProxyEvents;
  /** How long to wait for a carrier's unbind_resp etc. on shutdown. */
  unbindTimeoutMs: number;
  maxPdu: number;
  now?: () => number;
}

/**
 * The pool of binds to one carrier (an Envoy "cluster"): `sessions` transmitting binds that
 * share the load round-robin, plus receiver binds when the carrier is bound as a transmitter.
 * It applies the carrier's throughput limit and circuit breaker, and never queues: when no
 * bind has window space the answer is 'unavailable' at once, so the broker can fail over.
 */
export class CarrierPool extends EventEmitter<CarrierPoolEvents> {
  private readonly senders: Connector[] = [];
  private readonly receivers: Connector[] = [];
  private readonly bucket: TokenBucket;
  private readonly breaker: CircuitBreaker;
  private next = 0;
  private stopped = false;

  constructor(
    readonly config: CarrierConfig,
    private readonly endpoint: CarrierEndpoint,
    private readonly options: CarrierPoolOptions,
  ) {
    super();
    const now = options.now ?? Date.now;
    this.bucket = new TokenBucket(config.throughput, now);
    this.breaker = new CircuitBreaker(config.circuitBreaker.failures, config.circuitBreaker.cooldown, now);
    for (let i = 0; i < config.sessions; i++) this.senders.push(this.connector(config.bind));
    if (config.bind === 'transmitter') {
      for (let i = 0; i < config.receiverSessions; i++) this.receivers.push(this.connector('receiver'));
    }
  }

  get name(): string {
    return this.config.name;
  }

  start(): void {
    for (const c of [...this.senders, ...this.receivers]) c.start();
  }

  /** Unbinds every session gracefully (in-flight requests finish first) and stops rebinding. */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.senders, ...this.receivers].map((c) => c.stop()));
  }

  /** Bound sessions that can carry submits. */
  get boundSenders(): number {
    let n = 0;
    for (const c of this.senders) if (c.session !== undefined && !c.session.isClosed) n++;
    return n;
  }

  get boundReceivers(): number {
    let n = 0;
    for (const c of this.receivers) if (c.session !== undefined && !c.session.isClosed) n++;
    return n;
  }

  /** Requests awaiting the carrier's response, over all sessions. */
  get inFlight(): number {
    let n = 0;
    for (const c of this.senders) n += c.session?.pendingRequests ?? 0;
    return n;
  }

  health(): CarrierHealth {
    return { bound: this.boundSenders > 0, circuitOpen: this.breaker.isOpen };
  }

  /**
   * Sends one request frame (submit_sm, data_sm, query_sm, cancel_sm, replace_sm) on the next
   * bind with window space. The frame's sequence number is replaced by the session's own.
   */
  send(frame: Buffer, options: { bypassLimits?: boolean } = {}): SendOutcome | Promise<SendOutcome> {
    if (this.boundSenders === 0) return { kind: 'unavailable', reason: 'not_bound' };
    if (!options.bypassLimits) {
      if (this.breaker.isOpen) return { kind: 'unavailable', reason: 'circuit_open' };
      if (!this.bucket.tryTake()) return { kind: 'unavailable', reason: 'throttled' };
    }
    const count = this.senders.length;
    for (let i = 0; i < count; i++) {
      const connector = this.senders[(this.next + i) % count]!;
      const session = connector.session;
      if (session === undefined || session.isClosed || !session.canRequest) continue;
      const pending = session.requestRaw(frame);
      if (pending === null) continue;
      this.next = (this.next + i + 1) % count;
      if (!options.bypassLimits) this.breaker.noteAttempt();
      return this.settle(pending, options.bypassLimits === true);
    }
    return { kind: 'unavailable', reason: 'window_full' };
  }

  private async settle(pending: Promise<Pdu>, bypassLimits: boolean): Promise<SendOutcome> {
    try {
      const pdu = await pending;
      if (!bypassLimits) this.recordStatus(pdu.status);
      return { kind: 'response', pdu };
    } catch (error) {
      if (!bypassLimits) this.breaker.recordFailure();
      if (isSessionError(error) && error.code === 'RESPONSE_TIMEOUT') return { kind: 'failed', reason: 'timeout' };
      if (isSessionError(error) && error.code === 'GENERIC_NACK' && error.status !== undefined) {
        // generic_nack answers the request with a status: treat it like a response with that status.
        return { kind: 'failed', reason: 'session_lost', status: error.status };
      }
      return { kind: 'failed', reason: 'session_lost' };
    }
  }

  private recordStatus(status: number): void {
    // Only the carrier's "try later" answers count against its health; a permanent error is a
    // verdict on one message, not on the carrier.
    if (status === 0x14 || status === 0x58 || status === 0x08) this.breaker.recordFailure();
    else this.breaker.recordSuccess();
  }

  private connector(bindType: 'transceiver' | 'transmitter' | 'receiver'): Connector {
    const c = this.config;
    const connector = new Connector({
      host: this.endpoint.host,
      port: this.endpoint.port,
      ...(this.endpoint.tls ? { tls: this.endpoint.tls } : {}),
      bindType,
      bind: { system_id: this.endpoint.systemId, password: this.endpoint.password, system_type: this.endpoint.systemType },
      backoff: { initialMs: c.reconnect.initial, maxMs: c.reconnect.max },
      onSession: (session) => this.attach(session),
      session: {
        windowSize: c.window,
        responseTimeoutMs: c.responseTimeout,
        enquireLinkIntervalMs: c.enquireLinkInterval,
        unbindTimeoutMs: this.options.unbindTimeoutMs,
        maxPdu: this.options.maxPdu,
      },
    });
    connector.on('up', (session) => this.onUp(session, bindType));
    connector.on('down', (reason) => {
      this.options.events.emit('bind', {
        side: 'carrier',
        peer: c.name,
        sessionId: '',
        bindType,
        remote: `${this.endpoint.host}:${this.endpoint.port}`,
        up: false,
        reason: `${reason.code}: ${reason.message}`,
        at: Date.now(),
      });
      this.emitState();
    });
    return connector;
  }

  /**
   * Listeners go on before the bind is sent: a carrier may send queued receipts right behind
   * its bind_resp, and the bind PDUs themselves belong in the audit trail.
   */
  private attach(session: SmppSession): void {
    attachPduEvents(session, this.options.events, 'carrier', this.config.name);
    session.on('request', (req) => {
      if (req.command === 'deliver_sm' || req.command === 'data_sm') {
        const delivery = req as IncomingRequestOf<'deliver_sm'> | IncomingRequestOf<'data_sm'>;
        if (this.listenerCount('deliver') === 0) delivery.respond(0x08);
        else this.emit('deliver', delivery, session);
      } else if (!req.responded && (req.command as string) !== 'alert_notification' && (req.command as string) !== 'outbind') {
        // A carrier has no business sending us submits; the state table already refuses most.
        req.respond(0x03);
      }
    });
  }

  private onUp(session: SmppSession, bindType: 'transceiver' | 'transmitter' | 'receiver'): void {
    this.options.events.emit('bind', {
      side: 'carrier',
      peer: this.config.name,
      sessionId: session.id,
      bindType,
      remote: `${this.endpoint.host}:${this.endpoint.port}`,
      up: true,
      at: Date.now(),
    });
    this.emitState();
    if (this.stopped) void session.unbind();
  }

  private emitState(): void {
    this.options.events.emit('carrier_state', {
      carrier: this.config.name,
      boundSessions: this.boundSenders + this.boundReceivers,
      circuitOpen: this.breaker.isOpen,
      at: Date.now(),
    });
  }
}
