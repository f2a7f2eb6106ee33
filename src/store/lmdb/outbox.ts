import type { Database } from 'lmdb';
import { invalidArgument, writeFailed } from '../errors.js';
import { AppendListeners } from '../append-listeners.js';
import type { Lifecycle } from '../lifecycle.js';
import type { ResolvedStoreOptions } from '../options.js';
import type { Outbox, OutboxEntry, OutboxEvent } from '../types.js';
import * as validate from '../validate.js';
import { LiveSizes } from './live-sizes.js';
import type { LmdbWrite, WriteTracker } from './write-tracker.js';

/** Short field names: one of these is written per PDU. */
export interface StoredEvent {
  i: string;
  s: string;
  p: Buffer | string;
}

export interface OutboxDatabases {
  /** seq -> event. Sequence numbers are doubles, so they do not wrap in any realistic lifetime. */
  log: Database<StoredEvent, number>;
  /** Holds the acknowledgement cursor. */
  meta: Database<unknown, string>;
}

export const OUTBOX_ACKED_KEY = 'outbox.ackedSeq';

/**
 * Acknowledged entries are deleted in slices of this many per event-loop turn: a publisher that
 * acknowledges a backlog of a million events must not stall SMPP traffic while they go.
 */
const DELETE_SLICE = 2_000;

export class LmdbOutbox implements Outbox {
  private assigned: number;
  private acked: number;
  /** Every entry up to here is known to be deleted from the log. */
  private deletedThrough: number;
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
    this.sizes = new LiveSizes(this.acked + 1);
    this.assigned = this.acked;
    // Sizes of the backlog are read once at open; from then on appends and acks keep them.
    for (const { key, value } of dbs.log.getRange({ start: this.acked + 1 })) {
      this.sizes.add(key, validate.eventBytes(toEvent(value)));
      this.assigned = key;
    }
    let first: number | undefined;
    for (const key of dbs.log.getKeys({ limit: 1 })) first = key;
    // Deletion may have been cut short by a stop; whatever is left below the cursor goes now.
    this.deletedThrough = first === undefined ? this.acked : Math.min(first - 1, this.acked);
    this.scheduleDeletion();
  }

  async append(events: readonly OutboxEvent[]): Promise<number[]> {
    this.lifecycle.assertOpen();
    const checked = validate.outboxEvents(events);
    if (checked.length === 0) return [];
    const seqs: number[] = [];
    const writes: LmdbWrite[] = [];
    try {
      for (const event of checked) {
        const seq = ++this.assigned;
        seqs.push(seq);
        writes.push(this.dbs.log.put(seq, { i: event.id, s: event.subject, p: event.payload }));
        this.sizes.add(seq, validate.eventBytes(event));
      }
    } catch (cause) {
      this.tracker.background(writes);
      this.forget(seqs);
      throw writeFailed('append', cause);
    }
    const last = seqs[seqs.length - 1] as number;
    (writes[writes.length - 1] as LmdbWrite).then(
      () => this.listeners.notify(last),
      () => this.forget(seqs),
    );
    await this.tracker.durable(writes, 'append');
    return seqs;
  }

  async read(afterSeq: number, limit: number): Promise<OutboxEntry[]> {
    this.lifecycle.assertOpen();
    const after = validate.nonNegativeInteger('afterSeq', afterSeq);
    const max = validate.batchLimit('limit', limit);
    await this.tracker.committed();
    this.lifecycle.assertOpen();
    const entries: OutboxEntry[] = [];
    for (const { key, value } of this.dbs.log.getRange({ start: Math.max(after, this.acked) + 1, limit: max })) {
      entries.push({ seq: key, ...toEvent(value) });
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

  private forget(seqs: readonly number[]): void {
    for (const seq of seqs) this.sizes.forget(seq);
  }

  private scheduleDeletion(): void {
    if (this.deletion !== undefined || this.deletedThrough >= this.acked || this.lifecycle.closed) return;
    this.deletion = setImmediate(() => {
      this.deletion = undefined;
      if (this.lifecycle.closed) return;
      const through = Math.min(this.acked, this.deletedThrough + DELETE_SLICE);
      const writes: LmdbWrite[] = [];
      // A failed delete leaves an acknowledged entry behind: read() never returns it, and the
      // next open deletes it again. So failures here are tolerated rather than reported.
      try {
        for (let seq = this.deletedThrough + 1; seq <= through; seq++) writes.push(this.dbs.log.remove(seq));
      } catch {
        // Nothing to undo: entries not yet removed stay behind for the next open.
      }
      this.tracker.background(writes);
      this.deletedThrough = through;
      this.scheduleDeletion();
    });
  }
}

function toEvent(value: StoredEvent): OutboxEvent {
  return { id: value.i, subject: value.s, payload: value.p };
}
