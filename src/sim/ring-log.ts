/**
 * The most recent `limit` entries, oldest first. A simulator left running (or driven by a
 * benchmark) records every PDU; a fixed ring keeps that memory bounded at O(1) per entry.
 */
export class RingLog<T> {
  private readonly items: (T | undefined)[];
  private start = 0;
  private size = 0;
  private dropped = 0;

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 0) throw new RangeError(`record limit must be an integer >= 0, got ${limit}`);
    this.items = new Array<T | undefined>(limit);
  }

  get length(): number {
    return this.size;
  }

  /** Entries pushed out (or never kept, with limit 0) since the last clear. */
  get overwritten(): number {
    return this.dropped;
  }

  push(item: T): void {
    if (this.limit === 0) {
      this.dropped++;
      return;
    }
    if (this.size < this.limit) {
      this.items[(this.start + this.size) % this.limit] = item;
      this.size++;
      return;
    }
    this.items[this.start] = item;
    this.start = (this.start + 1) % this.limit;
    this.dropped++;
  }

  toArray(): T[] {
    const out: T[] = new Array<T>(this.size);
    for (let i = 0; i < this.size; i++) out[i] = this.items[(this.start + i) % this.limit]!;
    return out;
  }

  clear(): void {
    this.items.fill(undefined);
    this.start = 0;
    this.size = 0;
    this.dropped = 0;
  }
}
