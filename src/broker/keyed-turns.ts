/**
 * Runs tasks that share a key one after another, in the order they were started; tasks with
 * different keys run concurrently. A key costs one map entry only while it has work queued.
 */
export class KeyedTurns {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key);
    let finished!: () => void;
    const mine = new Promise<void>((resolve) => (finished = resolve));
    const tail = previous === undefined ? mine : previous.then(() => mine);
    this.tails.set(key, tail);
    try {
      if (previous !== undefined) await previous;
      return await task();
    } finally {
      finished();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }

  /** Keys with work running or waiting. */
  get size(): number {
    return this.tails.size;
  }
}
