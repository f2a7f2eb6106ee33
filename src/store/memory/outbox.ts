import { invalidArgument } from '../errors.js';
import type { Lifecycle } from '../lifecycle.js';
import type { ResolvedStoreOptions } from '../options.js';
import type { Outbox, OutboxEntry, OutboxEvent } from '../types.js';
import * as validate from '../validate.js';
import { AppendListeners } from '../append-listeners.js';

function copyEntry(entry: OutboxEntry): OutboxEntry {
  return typeof entry.payload === 'string' ? { ...entry } : { ...entry, payload: Buffer.from(entry.payload) };
}

export class MemoryOutbox implements Outbox {
  /** Unacknowledged entries from index `head` on; acknowledged ones are cut off in chunks. */
  private log: OutboxEntry[] = [];
  private head = 0;
  private assigned = 0;
  private acked = 0;
  private liveBytes = 0;
  private readonly listeners = new AppendListeners();

  constructor(
    private readonly lifecycle: Lifecycle,
    private readonly options: ResolvedStoreOptions,
  ) {}

  async append(events: readonly OutboxEvent[]): Promise<number[]> {
    this.lifecycle.assertOpen();
    const checked = validate.outboxEvents(events);
    const seqs = checked.map((event) => {
      const entry: OutboxEntry = { ...event, seq: ++this.assigned };
      this.log.push(entry);
      this.liveBytes += validate.eventBytes(entry);
      return entry.seq;
    });
    if (seqs.length > 0) this.listeners.notify(this.assigned);
    return seqs;
  }

  async read(afterSeq: number, limit: number): Promise<OutboxEntry[]> {
    this.lifecycle.assertOpen();
    const after = Math.max(validate.nonNegativeInteger('afterSeq', afterSeq), this.acked);
    const max = validate.batchLimit('limit', limit);
    const first = this.log[this.head];
    if (first === undefined) return [];
    // Sequence numbers are consecutive, so the position of seq s is a subtraction away.
    const start = this.head + Math.max(0, after + 1 - first.seq);
    return this.log.slice(start, start + max).map(copyEntry);
  }

  async ackUpTo(seq: number): Promise<void> {
    this.lifecycle.assertOpen();
    validate.nonNegativeInteger('seq', seq);
    if (seq > this.assigned) throw invalidArgument(`seq ${seq} has not been appended (last is ${this.assigned})`);
    if (seq <= this.acked) return;
    this.acked = seq;
    while (this.head < this.log.length) {
      const entry = this.log[this.head] as OutboxEntry;
      if (entry.seq > seq) break;
      this.liveBytes -= validate.eventBytes(entry);
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.log.length) {
      this.log = this.log.slice(this.head);
      this.head = 0;
    }
  }

  ackedSeq(): number {
    return this.acked;
  }

  lastSeq(): number {
    return this.assigned;
  }

  depth(): number {
    return this.log.length - this.head;
  }

  bytes(): number {
    return this.liveBytes;
  }

  isFull(): boolean {
    return this.depth() >= this.options.outboxMaxEvents || this.liveBytes >= this.options.outboxMaxBytes;
  }

  onAppended(listener: (lastSeq: number) => void): () => void {
    return this.listeners.add(listener);
  }
}
