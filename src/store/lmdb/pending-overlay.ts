interface Batch {
  readonly commit: Promise<unknown>;
  readonly keys: string[];
}

/**
 * Values written but not yet committed, keyed like the database. LMDB makes a write visible to
 * reads only when its transaction commits; the overlay lets reads see every write already issued,
 * which is what the store's contract promises (a receipt racing its own submit_sm_resp must find
 * the record).
 *
 * LMDB hands every write of one transaction the same commit promise, so entries are grouped by
 * that promise and released together with one callback per transaction rather than one per
 * write. An entry is released only by the batch that wrote it last: a newer pending write to the
 * same key keeps it. A failed commit releases its entries too, since the database then holds the
 * truth again.
 */
export class PendingOverlay<V> {
  private readonly entries = new Map<string, { value: V | null; batch: Batch }>();
  private current: Batch | undefined;

  /** The pending value, null for a pending delete, undefined when nothing is pending. */
  lookup(key: string): V | null | undefined {
    return this.entries.get(key)?.value;
  }

  record(key: string, value: V | null, commit: Promise<unknown>): void {
    let batch = this.current;
    if (batch === undefined || batch.commit !== commit) {
      batch = this.openBatch(commit);
    }
    batch.keys.push(key);
    const entry = this.entries.get(key);
    if (entry === undefined) this.entries.set(key, { value, batch });
    else {
      entry.value = value;
      entry.batch = batch;
    }
  }

  get size(): number {
    return this.entries.size;
  }

  private openBatch(commit: Promise<unknown>): Batch {
    const batch: Batch = { commit, keys: [] };
    this.current = batch;
    const release = (): void => {
      for (const key of batch.keys) {
        if (this.entries.get(key)?.batch === batch) this.entries.delete(key);
      }
      if (this.current === batch) this.current = undefined;
    };
    commit.then(release, release);
    return batch;
  }
}
