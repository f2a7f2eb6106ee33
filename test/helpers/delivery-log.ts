/**
 * The deliver_sm an ESME under test received, in arrival order, with waits that resolve on
 * arrival rather than by polling.
 */
export class DeliveryLog<T> {
  readonly items: T[] = [];
  /** Each is called with every newcomer until it removes itself. */
  private readonly waiters = new Set<(item: T) => void>();

  add(item: T): void {
    this.items.push(item);
    for (const wake of [...this.waiters]) wake(item);
  }

  /** Resolves with all of them once `count` have arrived in total. */
  async waitForCount(count: number, timeoutMs: number): Promise<T[]> {
    if (this.items.length < count) {
      await this.waitUntil(
        () => this.items.length >= count,
        timeoutMs,
        () => `${count} deliveries (got ${this.items.length})`,
      );
    }
    return this.items;
  }

  /** Resolves with the first delivery (received already or later) that `match` accepts. */
  async waitForMatch(match: (item: T) => boolean, timeoutMs: number): Promise<T> {
    const found = this.items.find(match);
    if (found !== undefined) return found;
    let matched: T | undefined;
    // Only newcomers are looked at: the ones before were checked already.
    await this.waitUntil(
      (item) => {
        if (!match(item)) return false;
        matched = item;
        return true;
      },
      timeoutMs,
      () => `a matching delivery (got ${this.items.length} others)`,
    );
    return matched as T;
  }

  private waitUntil(done: (newcomer: T) => boolean, timeoutMs: number, what: () => string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const check = (item: T): void => {
        if (!done(item)) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what()}`));
      }, timeoutMs);
      this.waiters.add(check);
    });
  }
}
