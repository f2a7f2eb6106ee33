const MISSING = -1;

/**
 * Sizes of the unacknowledged outbox entries, by sequence number, so that depth() and bytes() are
 * exact and O(1) without reading the log. Sequence numbers are consecutive; a number whose append
 * failed is kept as a hole that counts for nothing.
 */
export class LiveSizes {
  private sizes: number[] = [];
  private head = 0;
  /** Sequence number stored at index `head`. */
  private headSeq: number;
  private live = 0;
  private liveBytes = 0;

  constructor(firstSeq: number) {
    this.headSeq = firstSeq;
  }

  get count(): number {
    return this.live;
  }

  get bytes(): number {
    return this.liveBytes;
  }

  /** Records `seq`; sequence numbers skipped since the last one become holes. */
  add(seq: number, size: number): void {
    let next = this.headSeq + this.sizes.length - this.head;
    if (seq < next) throw new RangeError(`sequence ${seq} is not after ${next - 1}`);
    for (; next < seq; next++) this.sizes.push(MISSING);
    this.sizes.push(size);
    this.live++;
    this.liveBytes += size;
  }

  /** Turns `seq` into a hole (its append failed). */
  forget(seq: number): void {
    const index = this.head + seq - this.headSeq;
    const size = this.sizes[index];
    if (index < this.head || size === undefined || size === MISSING) return;
    this.sizes[index] = MISSING;
    this.live--;
    this.liveBytes -= size;
  }

  /** Drops every sequence number up to and including `seq`. */
  dropThrough(seq: number): void {
    while (this.headSeq <= seq && this.head < this.sizes.length) {
      const size = this.sizes[this.head] as number;
      if (size !== MISSING) {
        this.live--;
        this.liveBytes -= size;
      }
      this.head++;
      this.headSeq++;
    }
    if (this.headSeq <= seq) this.headSeq = seq + 1;
    // Compact now and then rather than shifting on every drop.
    if (this.head > 4096 && this.head * 2 > this.sizes.length) {
      this.sizes = this.sizes.slice(this.head);
      this.head = 0;
    }
  }
}
