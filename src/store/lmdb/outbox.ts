import type { Database } from 'lmdb';
import { invalidArgument, writeFailed } from '../errors.js';
import { AppendListeners } from '../append-listeners.js';
import type { Lifecycle } from '../lifecycle.js';
import type { ResolvedStoreOptions } from '../options.js';
import type { Outbox, OutboxEntry, OutboxEvent } from '../types.js';
import * as validate from '../validate.js';
import { packEventBatch, unpackEventBatch, type PackedEvent } from '../event-batch.js';
import { LiveSizes } from './live-sizes.js';
import type { LmdbWrite, WriteTracker } from './write-tracker.js';

/** The layout of the first versions: one entry per event. Still read, to move it over at open. */
export interface StoredEvent {
  i: string;
  s: string;
  p: Buffer | string;
}

export interface OutboxDatabases {
  /**
   * first seq -> the batch appended under it, packed (event-batch.ts): one write per append
   * rather than one per event, which under load is one write per event-loop turn instead of
   * one per PDU. Sequence numbers are doubles, so they do not wrap in any realistic lifetime.
   */
  batches: Database<Buffer, number>;
  /** The per-event layout of earlier versions; emptied into `batches` when the store opens. */
  log: Database<StoredEvent, number>;
  /** Holds the acknowledgement cursor. */
  meta: Database<unknown, string>;
}

export const OUTBOX_ACKED_KEY = 'outbox.ackedSeq';

/**
 * Acknowledged batches are deleted in slices of this many per event-loop turn: a publisher that
 * acknowledges a backlog of a million events must not stall SMPP traffic while they go.
 */
const DELETE_SLICE = 500;

/** Where a stored batch sits in the sequence. */
interface BatchSpan {
  first: number;
  last: number;
}

export class LmdbOutbox implements Outbox {
  private assigned: number;
  private acked: number;
  /** Stored batches in sequence order; those wholly acknowledged go from the front. */
  private spans: BatchSpan[] = [];
  private spansHead = 0;
  /** Batches acknowledged and not yet deleted from the database. */
  private doomed: number[] = [];
  private deletion: NodeJS.Immediate | undefined;
  private readonly sizes: LiveSizes;
  private readonly listeners = new AppendListeners();

  constructor(
    private readonly lifecycle: Lifecycle,
    private readonly options: ResolvedStoreOptions,
    private readonly dbs: OutboxDatabases,
    private readonly tracker: WriteTracker,
  ) {
    const saved = dbs.meta.get(OUTBOX_ACKED_KEY);
    this.acked = typeof saved === 'number' ? saved : 0;
    this.moveEarlierLayout();
    this.sizes = new LiveSizes(this.acked + 1);
    this.assigned = this.acked;
    // Sizes of the backlog are read once at open; from then on appends and acks keep them.
    for (const { key, value } of dbs.batches.getRange({})) {
      const events = unpackEventBatch(value);
      const last = events.length === 0 ? key : events[events.length - 1]!.seq;
      if (last <= this.acked) {
        // Acknowledged before the stop, its deletion cut short: it goes now.
        this.doomed.push(key);
        continue;
      }
      this.spans.push({ first: key, last });
      for (const event of events) if (event.seq > this.acked) this.sizes.add(event.seq, validate.eventBytes(event));
      this.assigned = Math.max(this.assigned, last);
    }
    this.scheduleDeletion();
  }

  /**
   * Stores written by earlier versions hold one entry per event: they become batches (one per
   * run of consecutive sequence numbers) in one transaction, so nothing unpublished is lost
   * on upgrade and nothing is moved twice.
   */
  private moveEarlierLayout(): void {
    const { log, batches } = this.dbs;
    if (log.getKeysCount({ limit: 1 }) === 0) return;
    log.transactionSync(() => {
      let run: PackedEvent[] = [];
      const flush = (): void => {
        if (run.length > 0) batches.putSync(run[0]!.seq, packedBuffer(run));
        run = [];
      };
      for (const { key, value } of log.getRange({ start: this.acked + 1 })) {
        const previous = run[run.length - 1];
        if (previous !== undefined && previous.seq + 1 !== key) flush();
        run.push({ seq: key, id: value.i, subject: value.s, payload: value.p });
      }
      flush();
      log.clearSync();
    });
  }

  async append(events: readonly OutboxEvent[]): Promise<number[]> {
    this.lifecycle.assertOpen();
    const checked = validate.outboxEvents(events, false);
    if (checked.length === 0) return [];
    const first = this.assigned + 1;
    const packed: PackedEvent[] = new Array(checked.length);
    const seqs: number[] = new Array(checked.length);
    for (let i = 0; i < checked.length; i++) {
      const event = checked[i]!;
      seqs[i] = first + i;
      packed[i] = { seq: first + i, id: event.id, subject: event.subject, payload: event.payload };
    }
    let write: LmdbWrite;
    try {
      write = this.dbs.batches.put(first, packedBuffer(packed));
    } catch (cause) {
      throw writeFailed('append', cause);
    }
    const last = first + checked.length - 1;
    this.assigned = last;
    const span: BatchSpan = { first, last };
    this.spans.push(span);
    for (let i = 0; i < checked.length; i++) this.sizes.add(first + i, validate.eventBytes(checked[i]!));
    write.then(
      () => this.listeners.notify(last),
      () => this.forget(span),
    );
    await this.tracker.durable([write], 'append');
    return seqs;
  }

  async read(afterSeq: number, limit: number): Promise<OutboxEntry[]> {
    this.lifecycle.assertOpen();
    const after = validate.nonNegativeInteger('afterSeq', afterSeq);
    const max = validate.batchLimit('limit', limit);
    await this.tracker.committed();
    this.lifecycle.assertOpen();
    const from = Math.max(after, this.acked);
    const entries: OutboxEntry[] = [];
    for (let i = this.firstSpanAfter(from); i < this.spans.length && entries.length < max; i++) {
      const span = this.spans[i]!;
      const stored = this.dbs.batches.get(span.first);
      // Absent: not committed yet (appends overlap), or failed (forget() is on its way). Either
      // way nothing after it may be returned: a reader that moved past it would skip it.
      if (stored === undefined) break;
      for (const event of unpackEventBatch(stored)) {
        if (event.seq <= from) continue;
        entries.push({ seq: event.seq, id: event.id, subject: event.subject, payload: event.payload });
        if (entries.length >= max) break;
      }
    }
    return entries;
  }

  async ackUpTo(seq: number): Promise<void> {
    this.lifecycle.assertOpen();
    validate.nonNegativeInteger('seq', seq);
    if (seq > this.assigned) throw invalidArgument(`seq ${seq} has not been appended (last is ${this.assigned})`);
    if (seq <= this.acked) return;
    this.acked = seq;
    this.sizes.dropThrough(seq);
    let write: LmdbWrite;
    try {
      write = this.dbs.meta.put(OUTBOX_ACKED_KEY, seq);
    } catch (cause) {
      throw writeFailed('ackUpTo', cause);
    }
    // Batches wholly acknowledged are deleted in the background; one acknowledged in part
    // stays until the rest of it is (read() skips what is behind the cursor).
    while (this.spansHead < this.spans.length && this.spans[this.spansHead]!.last <= seq) {
      this.doomed.push(this.spans[this.spansHead]!.first);
      this.spansHead++;
    }
    this.compactSpans();
    this.scheduleDeletion();
    await this.tracker.durable([write], 'ackUpTo');
  }

  ackedSeq(): number {
    return this.acked;
  }

  lastSeq(): number {
    return this.assigned;
  }

  depth(): number {
    return this.sizes.count;
  }

  bytes(): number {
    return this.sizes.bytes;
  }

  isFull(): boolean {
    return this.sizes.count >= this.options.outboxMaxEvents || this.sizes.bytes >= this.options.outboxMaxBytes;
  }

  onAppended(listener: (lastSeq: number) => void): () => void {
    return this.listeners.add(listener);
  }

  /** Stops background deletion; what is left is deleted after the next open. */
  stop(): void {
    if (this.deletion !== undefined) clearImmediate(this.deletion);
    this.deletion = undefined;
  }

  private forget(span: BatchSpan): void {
    for (let seq = span.first; seq <= span.last; seq++) this.sizes.forget(seq);
    const index = this.spans.indexOf(span, this.spansHead);
    if (index >= 0) this.spans.splice(index, 1);
  }

  /** Index of the first stored batch holding a sequence number after `seq`. */
  private firstSpanAfter(seq: number): number {
    let lo = this.spansHead;
    let hi = this.spans.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.spans[mid]!.last <= seq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private compactSpans(): void {
    if (this.spansHead > 1_024 && this.spansHead * 2 > this.spans.length) {
      this.spans = this.spans.slice(this.spansHead);
      this.spansHead = 0;
    }
  }

  private scheduleDeletion(): void {
    if (this.deletion !== undefined || this.doomed.length === 0 || this.lifecycle.closed) return;
    this.deletion = setImmediate(() => {
      this.deletion = undefined;
      if (this.lifecycle.closed) return;
      const slice = this.doomed.splice(0, DELETE_SLICE);
      const writes: LmdbWrite[] = [];
      // A failed delete leaves an acknowledged batch behind: read() never returns it, and the
      // next open deletes it again. So failures here are tolerated rather than reported.
      try {
        for (const key of slice) writes.push(this.dbs.batches.remove(key));
      } catch {
        // Nothing to undo: batches not yet removed stay behind for the next open.
      }
      this.tracker.background(writes);
      this.scheduleDeletion();
    });
  }
}

/** A packed batch as a Buffer over its own memory, as LMDB stores it. */
function packedBuffer(events: readonly PackedEvent[]): Buffer {
  return Buffer.from(packEventBatch(events));
}
