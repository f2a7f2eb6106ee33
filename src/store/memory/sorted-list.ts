/**
 * An array kept sorted by `compare`, for the in-memory store's ordered indexes (queue order,
 * expiry order). Entries must be distinct under `compare`. Inserts are usually at the tail
 * (times and sequence numbers grow), where the binary search makes them cheap.
 */
export class SortedList<T> {
  private readonly items: T[] = [];

  constructor(private readonly compare: (a: T, b: T) => number) {}

  get size(): number {
    return this.items.length;
  }

  insert(item: T): void {
    this.items.splice(this.upperBound(item), 0, item);
  }

  /** Removes the entry equal to `probe` under compare; false when absent. */
  remove(probe: T): boolean {
    const index = this.lowerBound(probe);
    const found = this.items[index];
    if (found === undefined || this.compare(found, probe) !== 0) return false;
    this.items.splice(index, 1);
    return true;
  }

  /** Removes the first `count` entries (one splice, not `count` shifts). */
  removeFirst(count: number): void {
    this.items.splice(0, count);
  }

  /** Entries in order, starting at the first one not less than `from` when given. */
  *values(from?: T): IterableIterator<T> {
    for (let index = from === undefined ? 0 : this.lowerBound(from); index < this.items.length; index++) {
      yield this.items[index] as T;
    }
  }

  first(): T | undefined {
    return this.items[0];
  }

  private lowerBound(probe: T): number {
    let low = 0;
    let high = this.items.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.compare(this.items[mid] as T, probe) < 0) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  private upperBound(probe: T): number {
    let low = 0;
    let high = this.items.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.compare(this.items[mid] as T, probe) <= 0) low = mid + 1;
      else high = mid;
    }
    return low;
  }
}
