import type { ConnectionOptions } from '@nats-io/transport-node';
import type { Logger } from '../observability/logger.js';
import { NatsTransport } from './nats-transport.js';
import { isPduFacts, pduFactsTime } from './pdu-facts.js';
import type { AuditOutbox, OutboxRecordInput, OutboxRecordStored } from './outbox-port.js';
import { validateStreamOptions, type AuditStreamOptions } from './stream.js';
import {
  RefusalKind,
  type OutgoingEvent,
  type PublishTransport,
  type TransportListener,
  type TransportState,
} from './transport.js';

/**
 * Drains the audit outbox into JetStream, in order, as fast as JetStream acknowledges.
 *
 * Guarantees:
 * - Nothing is forgotten until JetStream acknowledged it: the outbox cursor (ackUpTo) only moves
 *   over a contiguous run of acknowledged sequences, so a crash at any point resumes at the
 *   first unacknowledged event.
 * - Anything not acknowledged in time, or outstanding when the connection or stream comes back,
 *   is sent again with the same Nats-Msg-Id; the stream's duplicate window drops the copies. An
 *   event is stored twice only if a copy arrives after the window has passed (e.g. a crash, then
 *   a restart later than the window, after the event was stored but before the cursor was saved).
 * - At most maxInFlight events are outstanding, so a slow or absent NATS costs bounded memory;
 *   the backlog waits in the outbox, on disk, and the SMPP side never waits for any of this.
 *
 * The NATS client sits behind a transport; window, cursor and resend decisions stay here, next
 * to the outbox. NatsTransport (the default) runs the client on this thread; `smpp-proxy start`
 * uses a WorkerTransport, which runs it on a thread of its own. An earlier attempt at that was
 * rejected because posting events as objects copied each Buffer's whole backing store; with
 * events stored as facts and handed over as packed batches, the proxy's thread is spared the
 * rendering and publishing.
 */
export interface OutboxPublisherOptions {
  outbox: AuditOutbox;
  servers: string | string[];
  stream: AuditStreamOptions;
  /** The NATS side; default a NatsTransport built from the options here. */
  transport?: PublishTransport;
  /** Extra connection options (credentials, TLS). Reconnect behaviour is set by the transport. */
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
  /**
   * New events arrive through offer() once durable (the recorder hands them over), so the
   * outbox's own append notifications are not needed: reading each batch back from the outbox
   * would cost as much again as appending it. Default false: wake on the outbox's notifications.
   */
  handOff?: boolean;
  /** Backoff between connection or stream set-up attempts, and after JetStream refusals. */
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

interface Flight extends OutgoingEvent {
  sentAt: number;
  attempts: number;
  acked: boolean;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class OutboxPublisher {
  private readonly outbox: AuditOutbox;
  private readonly transport: PublishTransport;
  private readonly maxInFlight: number;
  private readonly readBatch: number;
  private readonly refillThreshold: number;
  private readonly ackTimeoutMs: number;
  private readonly maxAckTimeoutMs: number;
  private readonly pollIntervalMs: number;
  private readonly handOff: boolean;
  /**
   * The outbox may hold events past the read cursor that nobody offered: at start, after an
   * offer could not be taken, or on a poll. Reads continue until one comes back short. Only
   * consulted with handOff; without it every refill reads.
   */
  private behind = true;
  /**
   * Counts wake() calls, each a sign that records may wait unread past the cursor (a refused
   * offer, a poll). A short read shows the publisher caught up only if none came while it ran:
   * records refused during the read may lie past what the read saw.
   */
  private wakes = 0;
  private readonly cursorSaveIntervalMs: number;
  private readonly retryInitialMs: number;
  private readonly retryMaxMs: number;
  private readonly logger: Logger | undefined;
  private readonly now: () => number;

  private running = false;
  private connected = false;
  private streamReady = false;
  /** No sends before this time: set after a JetStream refusal so a broken stream is not hammered. */
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

  private readonly listener: TransportListener = {
    state: (state) => this.onState(state),
    acked: (seq, duplicate) => this.onAcked(seq, duplicate),
    refused: (seq, kind, reason) => this.onRefused(seq, kind, reason),
    problem: (message) => this.noteError(message),
  };

  constructor(options: OutboxPublisherOptions) {
    validateStreamOptions(options.stream);
    this.outbox = options.outbox;
    this.maxInFlight = positive(options.maxInFlight ?? 8_192, 'maxInFlight');
    this.readBatch = positive(options.readBatch ?? 1_000, 'readBatch');
    this.refillThreshold = Math.max(1, Math.min(this.readBatch, Math.floor(this.maxInFlight / 4)));
    this.ackTimeoutMs = positive(options.ackTimeoutMs ?? 5_000, 'ackTimeoutMs');
    this.maxAckTimeoutMs = Math.max(this.ackTimeoutMs, options.maxAckTimeoutMs ?? 60_000);
    this.pollIntervalMs = positive(options.pollIntervalMs ?? 200, 'pollIntervalMs');
    this.cursorSaveIntervalMs = Math.max(0, options.cursorSaveIntervalMs ?? 20);
    this.handOff = options.handOff ?? false;
    this.retryInitialMs = positive(options.retryInitialMs ?? 250, 'retryInitialMs');
    this.retryMaxMs = Math.max(this.retryInitialMs, options.retryMaxMs ?? 10_000);
    this.pauseDelay = this.retryInitialMs;
    this.logger = options.logger;
    this.now = options.now ?? Date.now;
    this.lastProgressAt = this.now();
    this.transport = makeTransport(options, this.retryInitialMs, this.retryMaxMs, Math.max(2_000, this.ackTimeoutMs));
  }

  /** Starts connecting in the background and returns at once: NATS may be down for a while. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.lastProgressAt = this.now();
    if (!this.handOff) this.unsubscribeAppended = this.outbox.onAppended?.(() => this.wake());
    this.pollTimer = setInterval(() => this.wake(), this.pollIntervalMs);
    const sweepEvery = Math.max(50, Math.min(1_000, Math.floor(this.ackTimeoutMs / 4)));
    this.sweepTimer = setInterval(() => this.resendOverdue(), sweepEvery);
    this.transport.start(this.listener);
  }

  /** New events are in the outbox: send them now rather than at the next poll. */
  wake(): void {
    if (!this.running) return;
    this.behind = true;
    this.wakes++;
    void this.pump();
  }

  /**
   * Events just made durable in the outbox under the given sequence numbers. When they are the
   * next the publisher would read and the window has room, they are sent from memory; otherwise
   * (behind after an outage or a restart, window full, NATS away) they wait in the outbox and
   * are read from there in their turn.
   */
  offer(records: readonly OutboxRecordInput[], seqs: readonly number[] | undefined): void {
    if (!this.running) return;
    const first = seqs?.[0];
    const last = seqs?.[seqs.length - 1];
    if (
      seqs === undefined ||
      first === undefined ||
      last === undefined ||
      seqs.length !== records.length ||
      last - first !== seqs.length - 1 ||
      !this.follows(first) ||
      this.inFlight.size + seqs.length > this.maxInFlight ||
      !this.canSend()
    ) {
      this.wake();
      return;
    }
    const batch: Flight[] = [];
    for (let i = 0; i < records.length; i++) {
      const record = records[i]!;
      const flight: Flight = { seq: first + i, id: record.id, subject: record.subject, payload: record.payload, sentAt: 0, attempts: 0, acked: false };
      this.inFlight.set(flight.seq, flight);
      batch.push(flight);
    }
    // A read already under way skips these: it only keeps records past the cursor.
    this.readCursor = last;
    this.send(batch);
  }

  /**
   * Whether a batch starting at `first` is the next thing to send. Either it is the very next
   * sequence, or the outbox was read to its end since anything was last left unread: the
   * recorder offers every batch in append order, so sequences skipped in between hold nothing
   * to send (acknowledged before a restart, or a failed append the recorder retried under new
   * sequences and the same event ids).
   */
  private follows(first: number): boolean {
    return first === this.readCursor + 1 || (!this.behind && first > this.readCursor);
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
    this.connected = false;
    this.streamReady = false;
    await this.transport.stop();
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

  private noteError(message: string): void {
    this.lastError = message;
    this.lastErrorAt = this.now();
  }

  private canSend(): boolean {
    return this.running && this.connected && this.streamReady && this.now() >= this.pausedUntil;
  }

  // ---- transport events ------------------------------------------------------------------

  private onState(state: TransportState): void {
    const wasReady = this.connected && this.streamReady;
    this.connected = state.connected;
    this.streamReady = state.streamReady;
    if (!wasReady && state.connected && state.streamReady) {
      // Back (or up for the first time): whatever was sent before may be lost, so everything
      // unacknowledged goes again under the same ids.
      this.pausedUntil = 0;
      this.pauseDelay = this.retryInitialMs;
      this.resendAll();
      void this.pump();
    }
  }

  private onAcked(seq: number, duplicate: boolean): void {
    const flight = this.inFlight.get(seq);
    if (duplicate) this.duplicateCount++;
    // A late acknowledgement for a copy of an event already acknowledged.
    if (flight === undefined || flight.acked) return;
    flight.acked = true;
    this.publishedCount++;
    this.lastAckAt = this.now();
    this.advance();
  }

  private onRefused(seq: number, kind: RefusalKind, reason: string): void {
    const flight = this.inFlight.get(seq);
    if (flight === undefined || flight.acked) return;
    if (kind === RefusalKind.permanent) {
      this.reject(flight, reason);
      return;
    }
    this.pauseAfterRefusal(reason, kind === RefusalKind.streamMissing);
  }

  /** An event no resend can deliver: skip it so the rest of the trail is not held up. */
  private reject(flight: Flight, reason: string): void {
    this.rejectedCount++;
    this.noteError(`event ${flight.id} rejected: ${reason}`);
    this.logger?.error({ reason, eventId: flight.id, subject: flight.subject, seq: flight.seq }, 'audit event rejected by NATS; skipped');
    flight.acked = true;
    this.advance();
  }

  /**
   * JetStream is up but will not store (stream gone, out of space, leader election): pause all
   * sending with backoff, then (after checking the stream, if it was missing) resend what is
   * outstanding.
   */
  private pauseAfterRefusal(reason: string, streamMissing: boolean): void {
    if (this.pausedUntil > this.now()) return;
    this.noteError(reason);
    this.logger?.warn({ reason, retryInMs: this.pauseDelay }, 'audit publishing paused');
    this.pausedUntil = this.now() + this.pauseDelay;
    const delay = this.pauseDelay;
    this.pauseDelay = Math.min(this.pauseDelay * 2, this.retryMaxMs);
    if (streamMissing) {
      // The transport reports ready again once the stream is back; that resends everything.
      this.transport.recheckStream();
      return;
    }
    if (this.resumeTimer !== undefined) clearTimeout(this.resumeTimer);
    this.resumeTimer = setTimeout(() => {
      this.resumeTimer = undefined;
      if (!this.running) return;
      // The timer is the end of the pause. Comparing clocks instead could find it a millisecond
      // early (timers and Date.now() round differently) and resend nothing, with nothing left
      // to try again.
      this.pausedUntil = 0;
      this.resendAll();
      void this.pump();
    }, delay);
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
          const limit = Math.min(this.readBatch, space);
          const wakesBeforeRead = this.wakes;
          try {
            records = await this.outbox.read(this.readCursor, limit);
          } catch (err) {
            this.noteError(`outbox read failed: ${err instanceof Error ? err.message : String(err)}`);
            this.logger?.error({ err }, 'audit outbox read failed');
            return;
          }
          // A short read reached the end of the outbox: from here on, offers bring what is new.
          // Unless an offer was refused meanwhile: its records may be past what this read saw,
          // and taking the next offer directly would skip them for good (the cursor would move
          // over them). The loop reads again for that wake.
          if (records.length < limit && this.wakes === wakesBeforeRead) this.behind = false;
          if (records.length === 0) break;
          const batch: Flight[] = [];
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
            batch.push(flight);
          }
          // When the connection dropped during the read, these stay in flight unsent and go
          // out with the resend once the transport is ready again.
          if (this.canSend()) this.send(batch);
          if (records.length < limit) break;
        }
      } while (this.pumpAgain && this.canSend());
    } finally {
      this.pumping = false;
    }
  }

  private send(batch: Flight[]): void {
    if (batch.length === 0) return;
    const now = this.now();
    for (const flight of batch) {
      if (flight.attempts > 0) this.resentCount++;
      flight.attempts++;
      flight.sentAt = now;
    }
    this.transport.send(batch);
  }

  private resendAll(): void {
    if (!this.canSend()) return;
    const batch: Flight[] = [];
    for (const flight of this.inFlight.values()) {
      if (!flight.acked) batch.push(flight);
    }
    this.send(batch);
  }

  private resendOverdue(): void {
    if (!this.canSend()) return;
    const now = this.now();
    const batch: Flight[] = [];
    for (const flight of this.inFlight.values()) {
      if (flight.acked) continue;
      const timeout = Math.min(this.ackTimeoutMs * 2 ** Math.max(0, flight.attempts - 1), this.maxAckTimeoutMs);
      if (flight.sentAt === 0 || now - flight.sentAt >= timeout) batch.push(flight);
    }
    this.send(batch);
  }

  // ---- cursor ----------------------------------------------------------------------------

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
    if (this.hasRoomToRefill() && (this.behind || !this.handOff)) void this.pump();
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
    // One save at a time; the running one is followed by another if the cursor moved on.
    while (this.saving) await sleep(5);
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
      this.noteError(`outbox ack cursor save failed: ${err instanceof Error ? err.message : String(err)}`);
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

function makeTransport(options: OutboxPublisherOptions, retryInitialMs: number, retryMaxMs: number, apiTimeoutMs: number): PublishTransport {
  if (options.transport !== undefined) return options.transport;
  return new NatsTransport({
    servers: options.servers,
    stream: options.stream,
    connection: options.connection ?? {},
    name: options.name ?? 'smpp-proxy-audit',
    apiTimeoutMs,
    retryInitialMs,
    retryMaxMs,
    ...(options.logger !== undefined ? { log: options.logger } : {}),
  });
}

function positive(value: number, name: string): number {
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be a positive number, not ${value}`);
  return value;
}

const TS_PATTERN = /"ts":"([^"]+)"/;

/** The event's own time, read from its JSON without parsing all of it (only for the lag gauge). */
function eventTime(payload: Buffer | string): number | undefined {
  if (typeof payload !== 'string' && isPduFacts(payload)) return pduFactsTime(payload);
  const head = typeof payload === 'string' ? payload.slice(0, 256) : payload.toString('utf8', 0, Math.min(256, payload.length));
  const match = TS_PATTERN.exec(head);
  if (!match?.[1]) return undefined;
  const ms = Date.parse(match[1]);
  return Number.isNaN(ms) ? undefined : ms;
}
