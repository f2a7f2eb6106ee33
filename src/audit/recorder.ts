import { hostname } from 'node:os';
import type {
  BillingEvent,
  BindEvent,
  BindRejectedEvent,
  DlrEvent,
  PduEvent,
  ProxyEvents,
} from '../broker/events.js';
import type { Logger } from '../observability/logger.js';
import { EventIdGenerator } from './event-id.js';
import type { AuditOutbox } from './outbox-port.js';
import { pduFactsRecord } from './pdu-facts.js';
import {
  billingRecord,
  bindRecord,
  bindRejectedRecord,
  dlrRecord,
  type AuditRecord,
  type RecordContext,
} from './schema.js';
import { validateSubjectPrefix } from './subject.js';

export interface AuditRecorderOptions {
  events: ProxyEvents;
  outbox: AuditOutbox;
  /** nats.subject_prefix; default "smpp". */
  subjectPrefix?: string;
  /** Instance id written into every event; default the host name. */
  instance?: string;
  ids?: EventIdGenerator;
  /**
   * Called after each batch is durable in the outbox, with the records and the sequence numbers
   * the outbox gave them (undefined when it returns none): wire it to the publisher's offer(),
   * which sends them from memory instead of reading them back.
   */
  onAppended?: (records: readonly AuditRecord[], seqs: readonly number[] | undefined) => void;
  /**
   * Records held in memory while the outbox cannot take them (a failing disk): past this the
   * recorder reports full, so the proxy refuses new traffic instead of growing without bound.
   */
  maxPendingRecords?: number;
  logger?: Logger;
}

interface AuditBatch {
  /** Index (in recording order) of the first record. */
  start: number;
  records: AuditRecord[];
  /** Set once the outbox has it on disk, with the sequence numbers it gave the records. */
  durable?: boolean;
  seqs?: readonly number[] | undefined;
}

interface FlushWaiter {
  target: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

const APPEND_RETRY_MIN_MS = 50;
const APPEND_RETRY_MAX_MS = 5_000;

/**
 * Turns proxy events into audit records and appends them to the durable outbox.
 *
 * The SMPP path only pays for building the record: listeners are synchronous, records wait in
 * memory until the next turn of the event loop and go to the outbox as one batch, and nothing
 * on the SMPP side ever waits for NATS. Appends are issued in the order the events happened
 * (the outbox numbers them in call order) and may overlap. A failed append is retried after a
 * pause, ahead of anything taken since; only appends already under way when it failed can land
 * before it.
 */
export class AuditRecorder {
  private readonly events: ProxyEvents;
  private readonly outbox: AuditOutbox;
  private readonly ctx: RecordContext;
  private readonly onAppended: AuditRecorderOptions['onAppended'];
  private readonly maxPending: number;
  private readonly logger: Logger | undefined;

  /** Records taken and not yet handed to the outbox; the first has index pendingStart. */
  private pending: AuditRecord[] = [];
  private pendingStart = 0;
  /** Handed to the outbox, not yet durable, by the index of their first record. */
  private readonly appending = new Map<number, AuditBatch>();
  /** Appends that failed, oldest first: they go again, ahead of anything newer, after a pause. */
  private retry: AuditBatch[] = [];
  /** A failed append is being retried: newer records are held back until it is durable. */
  private recovering = false;
  private scheduled = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryDelay = APPEND_RETRY_MIN_MS;
  private attached = false;
  private stopped = false;
  private waiters: FlushWaiter[] = [];

  private recordedCount = 0;
  private buildErrorCount = 0;
  private appendErrorCount = 0;
  private lastAppendError: Error | undefined;

  private readonly listeners = {
    pdu: (ev: PduEvent) => this.capture(() => pduFactsRecord(ev, this.ctx)),
    billing: (ev: BillingEvent) => this.capture(() => billingRecord(ev, this.ctx)),
    dlr: (ev: DlrEvent) => this.capture(() => dlrRecord(ev, this.ctx)),
    bind: (ev: BindEvent) => this.capture(() => bindRecord(ev, this.ctx)),
    bind_rejected: (ev: BindRejectedEvent) => this.capture(() => bindRejectedRecord(ev, this.ctx)),
  };

  constructor(options: AuditRecorderOptions) {
    this.events = options.events;
    this.outbox = options.outbox;
    const ids = options.ids ?? new EventIdGenerator();
    this.ctx = {
      prefix: validateSubjectPrefix(options.subjectPrefix ?? 'smpp'),
      instance: options.instance ?? hostname(),
      nextId: () => ids.next(),
    };
    this.onAppended = options.onAppended;
    this.maxPending = options.maxPendingRecords ?? 100_000;
    this.logger = options.logger;
  }

  /** Subscribe to the event bus. */
  start(): void {
    if (this.attached) return;
    this.attached = true;
    this.stopped = false;
    this.events.on('pdu', this.listeners.pdu);
    this.events.on('billing', this.listeners.billing);
    this.events.on('dlr', this.listeners.dlr);
    this.events.on('bind', this.listeners.bind);
    this.events.on('bind_rejected', this.listeners.bind_rejected);
  }

  /** Unsubscribe and wait until every record taken so far is in the outbox (bounded by timeoutMs). */
  async stop(timeoutMs = 5_000): Promise<boolean> {
    if (this.attached) {
      this.attached = false;
      this.events.off('pdu', this.listeners.pdu);
      this.events.off('billing', this.listeners.billing);
      this.events.off('dlr', this.listeners.dlr);
      this.events.off('bind', this.listeners.bind);
      this.events.off('bind_rejected', this.listeners.bind_rejected);
    }
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const done = await Promise.race([this.flush().then(() => true, () => false), timedOut]);
    clearTimeout(timer);
    if (!done) {
      // The outbox did not take the rest in time (its disk is failing, or it was closed first).
      // Stop retrying so shutdown can finish, and say how much never reached it.
      this.stopped = true;
      if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
      this.logger?.error({ records: this.notStored() }, 'audit records not stored at shutdown');
      const failure = new Error(`audit recorder stopped with ${this.notStored()} records not stored`);
      for (const waiter of this.waiters.splice(0)) waiter.reject(failure);
    }
    return done;
  }

  /**
   * Resolves once every record taken before the call is durable in the outbox. The broker can
   * await it before answering a submit, for the guarantee that an accepted message's events
   * survive a crash; most callers never need to.
   */
  flush(): Promise<void> {
    const target = this.recordedCount;
    if (this.durableThrough() >= target) return Promise.resolve();
    if (this.stopped) return Promise.reject(new Error(`audit recorder stopped with ${this.notStored()} records not stored`));
    this.schedule();
    return new Promise<void>((resolve, reject) => this.waiters.push({ target, resolve, reject }));
  }

  /** Full when the outbox is at its limit, or records pile up because the outbox fails. */
  isFull(): boolean {
    return this.notStored() >= this.maxPending || this.outbox.isFull();
  }

  /** Adds one prepared record (for event kinds outside the bus). */
  record(record: AuditRecord): void {
    this.pending.push(record);
    this.recordedCount++;
    this.schedule();
  }

  get stats() {
    return {
      recorded: this.recordedCount,
      durable: this.durableThrough(),
      pending: this.notStored(),
      buildErrors: this.buildErrorCount,
      appendErrors: this.appendErrorCount,
      lastAppendError: this.lastAppendError?.message,
    };
  }

  private capture(build: () => AuditRecord): void {
    let record: AuditRecord;
    try {
      record = build();
    } catch (err) {
      // A malformed event must not break the emitter (the SMPP path); count it and go on.
      this.buildErrorCount++;
      this.logger?.error({ err }, 'audit record could not be built');
      return;
    }
    this.record(record);
  }

  private schedule(): void {
    if (this.stopped || this.scheduled || this.retryTimer !== undefined) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.appendPending();
    });
  }

  /**
   * Hands what is waiting to the outbox without waiting for the previous append to be durable:
   * the outbox numbers records in call order, and its writes become durable in that order, so
   * appends can overlap. Waiting instead would add a whole disk flush to every answer the proxy
   * holds for its events (one flush for the append under way, one for the next).
   */
  private appendPending(): void {
    if (this.stopped || this.retryTimer !== undefined) return;
    const batches = this.retry;
    this.retry = [];
    // After a failure, newer records wait until the failed ones are durable, so they stay ahead.
    if (batches.length > 0) this.recovering = true;
    if (this.pending.length > 0 && !this.recovering) {
      batches.push({ start: this.pendingStart, records: this.pending });
      this.pendingStart = this.recordedCount;
      this.pending = [];
    }
    for (const batch of batches) this.append(batch);
  }

  private append(batch: AuditBatch): void {
    this.appending.set(batch.start, batch);
    let result: unknown;
    try {
      result = this.outbox.append(batch.records);
    } catch (err) {
      result = Promise.reject(err);
    }
    Promise.resolve(result).then(
      (seqs) => {
        batch.seqs = sequencesOf(seqs, batch.records.length);
        batch.durable = true;
        this.retryDelay = APPEND_RETRY_MIN_MS;
        this.settleInOrder();
      },
      (err: unknown) => this.appendFailed(batch, err),
    );
  }

  /**
   * Batches are reported durable in the order they were appended, whatever order the outbox's
   * promises settle in (an engine may settle two flushes in one go): the publisher sends what it
   * is handed straight away and takes a batch that skips ahead of one not yet handed over as a
   * sign that nothing lies in between.
   */
  private settleInOrder(): void {
    for (const [start, batch] of this.appending) {
      if (!batch.durable) break;
      this.appending.delete(start);
      this.onAppended?.(batch.records, batch.seqs);
    }
    if (this.recovering && this.retry.length === 0 && this.appending.size === 0) {
      this.recovering = false;
      if (this.pending.length > 0) this.schedule();
    }
    this.releaseWaiters();
  }

  /**
   * Keeps the batch, ahead of anything newer, and tries again later: dropping it would lose
   * audit and billing records the proxy has already acted on.
   */
  private appendFailed(batch: AuditBatch, err: unknown): void {
    this.appending.delete(batch.start);
    // Batches behind it that are durable already need not wait for its retry.
    queueMicrotask(() => this.settleInOrder());
    this.retry.push(batch);
    this.retry.sort((a, b) => a.start - b.start);
    this.appendErrorCount++;
    this.lastAppendError = err instanceof Error ? err : new Error(String(err));
    this.logger?.error({ err, records: batch.records.length }, 'audit outbox append failed; retrying');
    if (this.retryTimer !== undefined || this.stopped) return;
    const delay = this.retryDelay;
    this.retryDelay = Math.min(this.retryDelay * 2, APPEND_RETRY_MAX_MS);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.appendPending();
    }, delay);
  }

  /** Every record with a smaller index is durable in the outbox. */
  private durableThrough(): number {
    let through = this.pending.length > 0 ? this.pendingStart : this.recordedCount;
    for (const batch of this.retry) through = Math.min(through, batch.start);
    for (const start of this.appending.keys()) through = Math.min(through, start);
    return through;
  }

  /** Records taken and not yet durable. */
  private notStored(): number {
    let n = this.pending.length;
    for (const batch of this.retry) n += batch.records.length;
    for (const batch of this.appending.values()) n += batch.records.length;
    return n;
  }

  private releaseWaiters(): void {
    if (this.waiters.length === 0) return;
    const through = this.durableThrough();
    const still: FlushWaiter[] = [];
    for (const waiter of this.waiters) {
      if (through >= waiter.target) waiter.resolve();
      else still.push(waiter);
    }
    this.waiters = still;
  }
}

/** The outbox's sequence numbers for a batch, when it returned one per record. */
function sequencesOf(result: unknown, count: number): readonly number[] | undefined {
  return Array.isArray(result) && result.length === count && result.every((seq) => Number.isSafeInteger(seq)) ? (result as number[]) : undefined;
}
