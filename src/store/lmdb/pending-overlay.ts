/**
 * Values written but not yet committed, keyed like the database. LMDB makes a write visible to
 * reads only when its transaction commits; the overlay lets reads see every write already issued,
 * which is what the store's contract promises (a receipt racing its own submit_sm_resp must find
 * the record). An entry leaves the overlay when the last write to its key has committed (or
 * failed, in which case the database holds the truth again).
 */
export class PendingOverlay<V> {
  private readonly entries = new Map<string, { value: V | null; pending: number }>();

  /** The pending value, null for a pending delete, undefined when nothing is pending. */
  lookup(key: string): V | null | undefined {
    return this.entries.get(key)?.value;
  }

  record(key: string, value: V | null, commit: Promise<unknown>): void {
    const entry = this.entries.get(key);
    if (entry === undefined) this.entries.set(key, { value, pending: 1 });
    else {
      entry.value = value;
      entry.pending++;
    }
    const release = (): void => {
      const current = this.entries.get(key);
      if (current !== undefined && --current.pending === 0) this.entries.delete(key);
    };
    commit.then(release, release);
  }

  get size(): number {
    return this.entries.size;
  }
}
