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
 * on the SMPP side ever waits for NATS. Appends run one at a time so the outbox receives
 * records in the order the events happened; under load each batch simply grows.
 */
export class AuditRecorder {
  private readonly events: ProxyEvents;
  private readonly outbox: AuditOutbox;
  private readonly ctx: RecordContext;
  private readonly onAppended: AuditRecorderOptions['onAppended'];
  private readonly maxPending: number;
  private readonly logger: Logger | undefined;

  private pending: AuditRecord[] = [];
  private appending = false;
  private scheduled = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryDelay = APPEND_RETRY_MIN_MS;
  private attached = false;
  private stopped = false;
  private waiters: FlushWaiter[] = [];

  private recordedCount = 0;
  private durableCount = 0;
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
      this.logger?.error({ records: this.pending.length }, 'audit records not stored at shutdown');
      const failure = new Error(`audit recorder stopped with ${this.pending.length} records not stored`);
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
    if (this.durableCount >= target) return Promise.resolve();
    if (this.stopped) return Promise.reject(new Error(`audit recorder stopped with ${this.pending.length} records not stored`));
    this.schedule();
    return new Promise<void>((resolve, reject) => this.waiters.push({ target, resolve, reject }));
  }

  /** Full when the outbox is at its limit, or records pile up because the outbox fails. */
  isFull(): boolean {
    return this.pending.length >= this.maxPending || this.outbox.isFull();
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
      durable: this.durableCount,
      pending: this.pending.length,
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
    if (this.stopped || this.scheduled || this.appending || this.retryTimer !== undefined) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.appendPending();
    });
  }

  private async appendPending(): Promise<void> {
    if (this.appending || this.pending.length === 0) return;
    this.appending = true;
    const batch = this.pending;
    this.pending = [];
    try {
      const seqs = await this.outbox.append(batch);
      this.durableCount += batch.length;
      this.retryDelay = APPEND_RETRY_MIN_MS;
      this.releaseWaiters();
      this.onAppended?.(batch, sequencesOf(seqs, batch.length));
    } catch (err) {
      // Keep the batch, ahead of anything newer, and try again later: dropping it would lose
      // audit and billing records the proxy has already acted on.
      this.pending = batch.concat(this.pending);
      this.appendErrorCount++;
      this.lastAppendError = err instanceof Error ? err : new Error(String(err));
      this.logger?.error({ err, records: batch.length }, 'audit outbox append failed; retrying');
      const delay = this.retryDelay;
      this.retryDelay = Math.min(this.retryDelay * 2, APPEND_RETRY_MAX_MS);
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        this.schedule();
      }, delay);
    } finally {
      this.appending = false;
    }
    if (this.pending.length > 0 && this.retryTimer === undefined) this.schedule();
  }

  private releaseWaiters(): void {
    if (this.waiters.length === 0) return;
    const still: FlushWaiter[] = [];
    for (const waiter of this.waiters) {
      if (this.durableCount >= waiter.target) waiter.resolve();
      else still.push(waiter);
    }
    this.waiters = still;
  }
}

/** The outbox's sequence numbers for a batch, when it returned one per record. */
function sequencesOf(result: unknown, count: number): readonly number[] | undefined {
  return Array.isArray(result) && result.length === count && result.every((seq) => Number.isSafeInteger(seq)) ? (result as number[]) : undefined;
}
