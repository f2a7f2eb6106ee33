/**
 * Receipts whose carrier id is not in the id map yet. A carrier may send the receipt before the
 * proxy has finished storing the submit_sm_resp that carries the id (fast carriers, or our own
 * store write still in flight): such a receipt waits here, its carrier's deliver_sm unanswered,
 * until the id is stored or the hold time passes.
 */
export class EarlyReceipts {
  private readonly waiting = new Map<string, Set<() => void>>();

  constructor(private readonly holdMs: number) {}

  /**
   * Resolves true as soon as any of `keys` of `carrier` is released, false after the hold time.
   * The caller looks the id up again on true.
   */
  wait(carrier: string, keys: readonly string[]): Promise<boolean> {
    return new Promise((resolve) => {
      const slots = keys.map((k) => slot(carrier, k));
      let timer: NodeJS.Timeout | undefined = undefined;
      const done = (found: boolean): void => {
        if (timer !== undefined) clearTimeout(timer);
        for (const s of slots) {
          const set = this.waiting.get(s);
          set?.delete(wake);
          if (set?.size === 0) this.waiting.delete(s);
        }
        resolve(found);
      };
      const wake = (): void => done(true);
      for (const s of slots) {
        let set = this.waiting.get(s);
        if (set === undefined) this.waiting.set(s, (set = new Set()));
        set.add(wake);
      }
      timer = setTimeout(() => done(false), this.holdMs);
      timer.unref();
    });
  }

  /** Called once a message is stored under these keys. */
  released(carrier: string, keys: readonly string[]): void {
    if (this.waiting.size === 0) return;
    for (const k of keys) {
      const set = this.waiting.get(slot(carrier, k));
      if (set) for (const wake of [...set]) wake();
    }
  }

  get size(): number {
    return this.waiting.size;
  }
}

function slot(carrier: string, key: string): string {
  return `${carrier}\u0000${key}`;
}
