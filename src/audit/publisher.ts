import { jetstreamManager } from '@nats-io/jetstream';
import {
  connect,
  createInbox,
  headers as natsHeaders,
  InvalidArgumentError,
  InvalidSubjectError,
  type ConnectionOptions,
  type Msg,
  type NatsConnection,
  type Subscription,
} from '@nats-io/transport-node';
import type { Logger } from '../observability/logger.js';
import type { AuditOutbox, OutboxRecordStored } from './outbox-port.js';
import { ensureStream, validateStreamOptions, type AuditStreamOptions } from './stream.js';

/**
 * Drains the audit outbox into JetStream, in order, as fast as JetStream acknowledges.
 *
 * Why not js.publish per event: awaiting each PubAck caps out near 10,000 events/s on the
 * project's machine. Instead every event is a plain publish carrying `Nats-Msg-Id` and a reply
 * subject under one wildcard inbox subscription; JetStream sends its PubAck there, and the
 * token after the inbox prefix says which outbox sequence it acknowledges. That measured about
 * 58,000 acknowledged events/s, with every event individually confirmed.
 *
 * Guarantees:
 * - Nothing is forgotten until JetStream acknowledged it: the outbox cursor (ackUpTo) only moves
 *   over a contiguous run of acknowledged sequences, so a crash at any point resumes at the
 *   first unacknowledged event.
 * - Anything not acknowledged in time, or outstanding across a reconnect, is sent again with
 *   the same Nats-Msg-Id; the stream's duplicate window drops the copies. An event is stored
 *   twice only if a copy arrives after the window has passed (e.g. a crash, then a restart
 *   later than the window, after the event was stored but before the cursor was saved).
 * - At most maxInFlight events are outstanding, so a slow or absent NATS costs bounded memory;
 *   the backlog waits in the outbox, on disk, and the SMPP side never waits for any of this.
 */
export interface OutboxPublisherOptions {
  outbox: AuditOutbox;
  servers: string | string[];
  stream: AuditStreamOptions;
  /** Extra connection options (credentials, TLS). Reconnect behaviour is set here, not there. */
  connection?: Partial<ConnectionOptions>;
  /** Client name shown by the server's monitoring. */
  name?: string;
  /** Events sent and not yet acknowledged, at most. */
  maxInFlight?: number;
  /** Events read from the outbox per read. */
  readBatch?: number;
  /** Resend an event not acknowledged within this long (doubling per attempt up to maxAckTimeoutMs). */
  ackTimeoutMs?: number;
  maxAckTimeoutMs?: number;
  /** How often to look at the outbox when nobody called wake(). */
  pollIntervalMs?: number;
  /** How often, at most, the acknowledged cursor is written to the outbox. */
  cursorSaveIntervalMs?: number;
  /** Backoff between connection or stream set-up attempts. */
  retryInitialMs?: number;
  retryMaxMs?: number;
  logger?: Logger;
  now?: () => number;
}

export interface PublisherStats {
  connected: boolean;
  streamReady: boolean;
  /** Events waiting in the outbox, including those in flight. */
  depth: number;
  inFlight: number;
  /** How far behind the publisher is: age of the oldest event not yet acknowledged (ms). */
  lagMs: number;
  /** Events JetStream acknowledged as stored. */
  published: number;
  /** Acknowledgements that said "duplicate": copies the stream dropped. */
  duplicates: number;
  /** Events sent again after a timeout, an error or a reconnect. */
  resent: number;
  /** Events that JetStream or the client refuse for good (too large, bad subject), skipped. */
  rejected: number;
  /** Highest outbox sequence acknowledged in a contiguous run. */
  ackedThrough: number;
  lastError: string | undefined;
  lastErrorAt: number | undefined;
  lastAckAt: number | undefined;
}

interface Flight {
  seq: number;
  id: string;
  subject: string;
  payload: Buffer | string;
  sentAt: number;
  attempts: number;
  acked: boolean;
}

/** JetStream error codes that no resend can cure: the event is skipped, loudly. */
const PERMANENT_PUBLISH_ERRORS = new Set([
  10054, // message size exceeds maximum allowed
]);

const DUPLICATE_FLAG = /"duplicate":\s*true/;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class OutboxPublisher {
  private readonly outbox: AuditOutbox;
  private readonly servers: string | string[];
  private readonly streamOptions: AuditStreamOptions;
  private readonly connectionOptions: Partial<ConnectionOptions>;
  private readonly name: string;
  private readonly maxInFlight: number;
  private readonly readBatch: number;
  private readonly refillThreshold: number;
  private readonly ackTimeoutMs: number;
  private readonly maxAckTimeoutMs: number;
  private readonly pollIntervalMs: number;
  private readonly cursorSaveIntervalMs: number;
  private readonly retryInitialMs: number;
  private readonly retryMaxMs: number;
  private readonly logger: Logger | undefined;
  private readonly now: () => number;

  private nc: NatsConnection | undefined;
  private sub: Subscription | undefined;
  private inboxPrefix = '';
  private running = false;
  private connected = false;
  private streamReady = false;
  private ensuringStream = false;
  /** No sends before this time: set after a JetStream error so a broken stream is not hammered. */
  private pausedUntil = 0;
  private pauseDelay: number;

  private readonly inFlight = new Map<number, Flight>();
  private readCursor = 0;
  private ackedThrough = 0;
  private savedThrough = 0;
  private pumping = false;
  private pumpAgain = false;
  private saving = false;
  private saveTimer: NodeJS.Timeout | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private resumeTimer: NodeJS.Timeout | undefined;
  private connectLoop: Promise<void> | undefined;
  private unsubscribeAppended: (() => void) | undefined;
  private drainWaiters: Array<() => void> = [];
  private lastProgressAt: number;

  private publishedCount = 0;
  private duplicateCount = 0;
  private resentCount = 0;
  private rejectedCount = 0;
  private lastError: string | undefined;
  private lastErrorAt: number | undefined;
  private lastAckAt: number | undefined;

  constructor(options: OutboxPublisherOptions) {
    validateStreamOptions(options.stream);
    this.outbox = options.outbox;
    this.servers = options.servers;
    this.streamOptions = options.stream;
    this.connectionOptions = options.connection ?? {};
    this.name = options.name ?? 'smpp-proxy-audit';
    this.maxInFlight = positive(options.maxInFlight ?? 8_192, 'maxInFlight');
    this.readBatch = positive(options.readBatch ?? 1_000, 'readBatch');
    this.refillThreshold = Math.max(1, Math.min(this.readBatch, Math.floor(this.maxInFlight / 4)));
    this.ackTimeoutMs = positive(options.ackTimeoutMs ?? 5_000, 'ackTimeoutMs');
    this.maxAckTimeoutMs = Math.max(this.ackTimeoutMs, options.maxAckTimeoutMs ?? 60_000);
    this.pollIntervalMs = positive(options.pollIntervalMs ?? 200, 'pollIntervalMs');
    this.cursorSaveIntervalMs = Math.max(0, options.cursorSaveIntervalMs ?? 20);
    this.retryInitialMs = positive(options.retryInitialMs ?? 250, 'retryInitialMs');
    this.retryMaxMs = Math.max(this.retryInitialMs, options.retryMaxMs ?? 10_000);
    this.pauseDelay = this.retryInitialMs;
    this.logger = options.logger;
    this.now = options.now ?? Date.now;
    this.lastProgressAt = this.now();
  }

  /** Starts connecting in the background and returns at once: NATS may be down for a while. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.lastProgressAt = this.now();
    this.unsubscribeAppended = this.outbox.onAppended?.(() => this.wake());
    this.pollTimer = setInterval(() => this.wake(), this.pollIntervalMs);
    const sweepEvery = Math.max(50, Math.min(1_000, Math.floor(this.ackTimeoutMs / 4)));
    this.sweepTimer = setInterval(() => this.resendOverdue(), sweepEvery);
    this.connectLoop = this.connectUntilUp();
  }

  /** New events are in the outbox: send them now rather than at the next poll. */
  wake(): void {
    if (!this.running) return;
    void this.pump();
  }

  /**
   * Stops publishing. With a flush timeout, first waits (bounded) until the outbox is empty and
   * everything in flight is acknowledged; the acknowledged cursor is saved either way, and
   * anything unacknowledged stays in the outbox for the next start.
   */
  async stop(options: { flushTimeoutMs?: number } = {}): Promise<void> {
    if (!this.running) return;
    const flushTimeoutMs = options.flushTimeoutMs ?? 5_000;
    if (flushTimeoutMs > 0) await this.waitDrained(flushTimeoutMs);
    this.running = false;
    this.unsubscribeAppended?.();
    this.unsubscribeAppended = undefined;
    for (const timer of [this.pollTimer, this.sweepTimer, this.resumeTimer, this.saveTimer]) {
      if (timer !== undefined) clearTimeout(timer);
    }
    this.pollTimer = this.sweepTimer = this.resumeTimer = this.saveTimer = undefined;
    const nc = this.nc;
    this.nc = undefined;
    this.connected = false;
    this.streamReady = false;
    if (nc !== undefined && !nc.isClosed()) {
      // Acks still on the wire are not waited for: they would only move the cursor a little.
      await nc.close().catch(() => undefined);
    }
    await this.connectLoop?.catch(() => undefined);
    await this.saveCursorNow();
    for (const resolve of this.drainWaiters.splice(0)) resolve();
  }

  /**
   * Resolves true once the outbox is empty and nothing is in flight, false after timeoutMs.
   * Events appended meanwhile count too, so call it after traffic stops.
   */
  async waitDrained(timeoutMs: number): Promise<boolean> {
    const deadline = this.now() + timeoutMs;
    while (this.running) {
      if (this.isDrained()) {
        await this.saveCursorNow();
        if (this.isDrained()) return true;
      }
      const remaining = deadline - this.now();
      if (remaining <= 0) return false;
      this.wake();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.min(remaining, 50));
        this.drainWaiters.push(done);
        function done() {
          clearTimeout(timer);
          resolve();
        }
      });
    }
    return this.isDrained();
  }

  get stats(): PublisherStats {
    return {
      connected: this.connected,
      streamReady: this.streamReady,
      depth: this.outbox.depth(),
      inFlight: this.inFlight.size,
      lagMs: this.lagMs(),
      published: this.publishedCount,
      duplicates: this.duplicateCount,
      resent: this.resentCount,
      rejected: this.rejectedCount,
      ackedThrough: this.ackedThrough,
      lastError: this.lastError,
      lastErrorAt: this.lastErrorAt,
      lastAckAt: this.lastAckAt,
    };
  }

  private isDrained(): boolean {
    return this.inFlight.size === 0 && this.outbox.depth() === 0;
  }

  private lagMs(): number {
    const oldest = this.inFlight.values().next();
    if (!oldest.done) {
      const ts = eventTime(oldest.value.payload);
      if (ts !== undefined) return Math.max(0, this.now() - ts);
    }
    if (this.outbox.depth() === 0) return 0;
    return Math.max(0, this.now() - this.lastProgressAt);
  }

  private noteError(message: string, err?: unknown): void {
    this.lastError = err instanceof Error ? `${message}: ${err.message}` : message;
    this.lastErrorAt = this.now();
  }

  // ---- connection ------------------------------------------------------------------------

  private async connectUntilUp(): Promise<void> {
    let delay = this.retryInitialMs;
    while (this.running && this.nc === undefined) {
      try {
        const nc = await connect({
          ...this.connectionOptions,
          servers: this.servers,
          name: this.name,
          reconnect: true,
          maxReconnectAttempts: -1,
          reconnectTimeWait: Math.min(1_000, this.retryMaxMs),
          pingInterval: this.connectionOptions.pingInterval ?? 10_000,
          maxPingOut: this.connectionOptions.maxPingOut ?? 3,
        });
        if (!this.running) {
          await nc.close().catch(() => undefined);
          return;
        }
        this.attach(nc);
        this.logger?.info({ server: nc.getServer() }, 'audit publisher connected to NATS');
      } catch (err) {
        this.noteError('connect to NATS failed', err);
        this.logger?.warn({ err, retryInMs: delay }, 'audit publisher cannot reach NATS; retrying');
        await sleep(delay);
        delay = Math.min(delay * 2, this.retryMaxMs);
      }
    }
    if (this.running && this.nc !== undefined) await this.prepareStream();
  }

  private attach(nc: NatsConnection): void {
    this.nc = nc;
    this.inboxPrefix = createInbox() + '.';
    this.sub = nc.subscribe(this.inboxPrefix + '*', { callback: (err, msg) => this.onAck(err, msg) });
    this.connected = true;
    void this.watchStatus(nc);
    void nc.closed().then((err) => {
      if (this.nc !== nc) return;
      // Closed behind our back (e.g. authorisation revoked): start over with a new connection.
      this.nc = undefined;
      this.sub = undefined;
      this.connected = false;
      this.streamReady = false;
      if (err) this.noteError('NATS connection closed', err);
      if (this.running) {
        this.logger?.warn({ err }, 'audit publisher lost its NATS connection; reconnecting');
        this.connectLoop = this.connectUntilUp();
      }
    });
  }

  private async watchStatus(nc: NatsConnection): Promise<void> {
    for await (const status of nc.status()) {
      if (this.nc !== nc) return;
      switch (status.type) {
        case 'disconnect':
          this.connected = false;
          this.noteError('disconnected from NATS');
          this.logger?.warn({ server: status.server }, 'audit publisher disconnected from NATS');
          break;
        case 'reconnect':
          this.connected = true;
          this.logger?.info({ server: status.server }, 'audit publisher reconnected to NATS');
          // The server may be a different one, or have lost the stream: check it, then send
          // everything still unacknowledged again under the same ids.
          this.streamReady = false;
          void this.prepareStream();
          break;
        case 'error':
          this.noteError('NATS error', status.error);
          break;
        default:
          break;
      }
    }
  }

  private async prepareStream(): Promise<void> {
    if (this.ensuringStream) return;
    this.ensuringStream = true;
    let delay = this.retryInitialMs;
    try {
      while (this.running && this.nc !== undefined && !this.streamReady) {
        const nc = this.nc;
        try {
          const jsm = await jetstreamManager(nc, { timeout: Math.max(2_000, this.ackTimeoutMs) });
          const result = await ensureStream(jsm, this.streamOptions);
          if (result.action !== 'unchanged') {
            this.logger?.info({ stream: this.streamOptions.name, action: result.action }, 'audit stream ready');
          }
          if (this.nc !== nc) continue;
          this.streamReady = true;
          this.pausedUntil = 0;
          this.pauseDelay = this.retryInitialMs;
          this.resendAll();
          void this.pump();
        } catch (err) {
          this.noteError('JetStream stream set-up failed', err);
          this.logger?.warn({ err, retryInMs: delay }, 'audit stream not ready; retrying');
          await sleep(delay);
          delay = Math.min(delay * 2, this.retryMaxMs);
        }
      }
    } finally {
      this.ensuringStream = false;
    }
  }

  private canSend(): boolean {
    return this.running && this.connected && this.streamReady && this.nc !== undefined && this.now() >= this.pausedUntil;
  }

  // ---- sending ---------------------------------------------------------------------------

  private async pump(): Promise<void> {
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.pumpAgain = false;
        while (this.canSend() && this.hasRoomToRefill()) {
          const space = this.maxInFlight - this.inFlight.size;
          let records: readonly OutboxRecordStored[];
          try {
            records = await this.outbox.read(this.readCursor, Math.min(this.readBatch, space));
          } catch (err) {
            this.noteError('outbox read failed', err);
            this.logger?.error({ err }, 'audit outbox read failed');
            return;
          }
          if (records.length === 0) break;
          for (const record of records) {
            if (record.seq <= this.readCursor) continue;
            this.readCursor = record.seq;
            const flight: Flight = {
              seq: record.seq,
              id: record.id,
              subject: record.subject,
              payload: record.payload,
              sentAt: 0,
              attempts: 0,
              acked: false,
            };
            this.inFlight.set(record.seq, flight);
            // Sending stops when the connection drops mid-batch; the rest stay in flight
            // unsent and go out with the resend after reconnect.
            if (this.canSend()) this.send(flight);
          }
        }
      } while (this.pumpAgain && this.canSend());
    } finally {
      this.pumping = false;
    }
  }

  private send(flight: Flight): void {
    const nc = this.nc;
    if (nc === undefined) return;
    const h = natsHeaders();
    h.set('Nats-Msg-Id', flight.id);
    if (flight.attempts > 0) this.resentCount++;
    flight.attempts++;
    flight.sentAt = this.now();
    try {
      nc.publish(flight.subject, flight.payload, { headers: h, reply: this.inboxPrefix + flight.seq });
    } catch (err) {
      // A bad subject or an event over the server's max_payload fails the same way every time.
      if (err instanceof InvalidSubjectError || err instanceof InvalidArgumentError) {
        this.reject(flight, err);
        return;
      }
      // Closed or draining: the event stays in flight and goes out after reconnect.
      this.noteError('publish failed', err);
    }
  }

  /** An event no resend can deliver: skip it so the rest of the trail is not held up. */
  private reject(flight: Flight, reason: unknown): void {
    this.rejectedCount++;
    this.noteError(`event ${flight.id} rejected`, reason);
    this.logger?.error({ err: reason, eventId: flight.id, subject: flight.subject, seq: flight.seq }, 'audit event rejected by NATS; skipped');
    flight.acked = true;
    this.advance();
  }

  private resendAll(): void {
    if (!this.canSend()) return;
    for (const flight of this.inFlight.values()) {
      if (!flight.acked) this.send(flight);
    }
  }

  private resendOverdue(): void {
    if (!this.canSend()) return;
    const now = this.now();
    for (const flight of this.inFlight.values()) {
      if (flight.acked) continue;
      const timeout = Math.min(this.ackTimeoutMs * 2 ** Math.max(0, flight.attempts - 1), this.maxAckTimeoutMs);
      if (flight.sentAt === 0 || now - flight.sentAt >= timeout) this.send(flight);
    }
  }

  // ---- acknowledgements ------------------------------------------------------------------

  private onAck(err: Error | null, msg: Msg): void {
    if (err) {
      this.noteError('ack subscription error', err);
      return;
    }
    const seq = Number(msg.subject.slice(this.inboxPrefix.length));
    const flight = this.inFlight.get(seq);
    if (flight === undefined || flight.acked) {
      // The acknowledgement of a resent copy, after the original's: only worth counting.
      if (DUPLICATE_FLAG.test(msg.string())) this.duplicateCount++;
      return;
    }
    if (msg.headers?.hasError) {
      // 503 "no responders": nothing stores this subject (stream deleted, JetStream not up yet).
      this.onPublishFailure(`JetStream unavailable (${msg.headers.code} ${msg.headers.description})`, msg.headers.code === 503);
      return;
    }
    // The server writes a PubAck as {"stream":..,"seq":..} (with "duplicate": true for a dropped
    // copy), an error as {"error":{..}}. The common case is recognised without a full parse.
    const text = msg.string();
    let duplicate: boolean;
    if (text.startsWith('{"stream"')) {
      duplicate = DUPLICATE_FLAG.test(text);
    } else {
      let parsed: { error?: { err_code?: number; description?: string }; seq?: unknown; duplicate?: unknown } = {};
      try {
        parsed = JSON.parse(text) as typeof parsed;
      } catch {
        // Unreadable: handled like a refusal below.
      }
      if (parsed.error !== undefined || typeof parsed.seq !== 'number') {
        const code = parsed.error?.err_code ?? 0;
        const description = parsed.error?.description ?? 'unreadable acknowledgement';
        if (PERMANENT_PUBLISH_ERRORS.has(code)) {
          this.reject(flight, new Error(`${description} (${code})`));
          return;
        }
        this.onPublishFailure(`JetStream refused event: ${description} (${code})`, code === 10059);
        return;
      }
      duplicate = parsed.duplicate === true;
    }
    flight.acked = true;
    this.publishedCount++;
    if (duplicate) this.duplicateCount++;
    this.lastAckAt = this.now();
    this.advance();
  }

  /**
   * JetStream is up but will not store (stream gone, out of space, leader election): pause all
   * sending with backoff, then check the stream and resend what is outstanding.
   */
  private onPublishFailure(message: string, streamMissing: boolean): void {
    if (this.pausedUntil > this.now()) return;
    this.noteError(message);
    this.logger?.warn({ reason: message, retryInMs: this.pauseDelay }, 'audit publishing paused');
    this.pausedUntil = this.now() + this.pauseDelay;
    const delay = this.pauseDelay;
    this.pauseDelay = Math.min(this.pauseDelay * 2, this.retryMaxMs);
    if (streamMissing) this.streamReady = false;
    if (this.resumeTimer !== undefined) clearTimeout(this.resumeTimer);
    this.resumeTimer = setTimeout(() => {
      this.resumeTimer = undefined;
      if (!this.running) return;
      if (!this.streamReady) {
        void this.prepareStream();
      } else {
        this.resendAll();
        void this.pump();
      }
    }, delay);
  }

  /** Moves the cursor over the contiguous acknowledged prefix of what is in flight. */
  private advance(): void {
    let moved = false;
    for (const [seq, flight] of this.inFlight) {
      if (!flight.acked) break;
      this.inFlight.delete(seq);
      this.ackedThrough = seq;
      moved = true;
    }
    if (!moved) return;
    this.lastProgressAt = this.now();
    if (this.pausedUntil === 0) this.pauseDelay = this.retryInitialMs;
    this.scheduleCursorSave();
    if (this.hasRoomToRefill()) void this.pump();
  }

  /**
   * Refill the window in reasonable batches: reading one record per acknowledgement would cost
   * an outbox read per event.
   */
  private hasRoomToRefill(): boolean {
    const space = this.maxInFlight - this.inFlight.size;
    return space >= this.refillThreshold || (space > 0 && this.inFlight.size === 0);
  }

  private scheduleCursorSave(): void {
    if (this.saveTimer !== undefined || this.saving) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined;
      void this.saveCursorNow();
    }, this.cursorSaveIntervalMs);
  }

  private async saveCursorNow(): Promise<void> {
    if (this.saving) {
      // One save at a time; the running one is followed by another if the cursor moved on.
      while (this.saving) await sleep(5);
    }
    if (this.ackedThrough <= this.savedThrough) {
      this.notifyDrainWaiters();
      return;
    }
    this.saving = true;
    const target = this.ackedThrough;
    try {
      await this.outbox.ackUpTo(target);
      this.savedThrough = target;
    } catch (err) {
      this.noteError('outbox ack cursor save failed', err);
      this.logger?.error({ err }, 'audit outbox ackUpTo failed; will retry');
    } finally {
      this.saving = false;
    }
    if (this.ackedThrough > this.savedThrough && this.running) this.scheduleCursorSave();
    this.notifyDrainWaiters();
  }

  private notifyDrainWaiters(): void {
    if (this.drainWaiters.length === 0 || !this.isDrained()) return;
    for (const resolve of this.drainWaiters.splice(0)) resolve();
  }
}

function positive(value: number, name: string): number {
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be a positive number, not ${value}`);
  return value;
}

const TS_PATTERN = /"ts":"([^"]+)"/;

/** The event's own time, read from its JSON without parsing all of it (only for the lag gauge). */
function eventTime(payload: Buffer | string): number | undefined {
  const head = typeof payload === 'string' ? payload.slice(0, 256) : payload.toString('utf8', 0, Math.min(256, payload.length));
  const match = TS_PATTERN.exec(head);
  if (!match?.[1]) return undefined;
  const ms = Date.parse(match[1]);
  return Number.isNaN(ms) ? undefined : ms;
}
