import { writeFailed } from '../errors.js';

/**
 * What LMDB returns for an asynchronous write when the environment is opened with
 * separateFlushed: a promise for the commit (visible to readers) carrying a second promise for
 * the fsync (durable).
 */
export type LmdbWrite = Promise<boolean> & { flushed?: Promise<unknown> };

const ignore = (): void => {};

/**
 * Follows the writes of one environment. LMDB commits and flushes transactions in the order the
 * writes were issued, so the promises of the most recent write stand for all earlier ones.
 */
export class WriteTracker {
  private lastCommit: Promise<unknown> = Promise.resolve();
  private lastFlush: Promise<unknown> = Promise.resolve();

  /**
   * Resolves once every write in `writes` is committed and flushed to disk; rejects with
   * STORE_WRITE_FAILED when the engine failed any of them.
   */
  durable(writes: readonly LmdbWrite[], what: string): Promise<void> {
    const last = writes[writes.length - 1];
    if (last === undefined) return Promise.resolve();
    const flushed = this.follow(last);
    // Writes of one transaction share one promise; most calls need no Promise.all.
    const committed = writes.every((write) => write === last) ? last : Promise.all(writes);
    return committed.then(
      () => flushed.then(ignore),
      (cause: unknown) => {
        throw writeFailed(what, cause);
      },
    );
  }

  /** For writes nobody waits on (clean-up); a failure leaves garbage a later pass removes. */
  background(writes: readonly LmdbWrite[]): void {
    const last = writes[writes.length - 1];
    if (last === undefined) return;
    this.follow(last);
    let handled: LmdbWrite | undefined;
    for (const write of writes) {
      // Consecutive writes of one transaction share a promise; one handler each is enough.
      if (write !== handled) write.catch(ignore);
      handled = write;
    }
  }

  /** Resolves when every write issued so far is visible to reads (whether or not it succeeded). */
  committed(): Promise<void> {
    return this.lastCommit.then(ignore, ignore);
  }

  /** Resolves when every write issued so far is on disk (or has failed). */
  flushed(): Promise<void> {
    return Promise.all([this.lastCommit, this.lastFlush]).then(ignore, ignore);
  }

  private follow(last: LmdbWrite): Promise<unknown> {
    if (last === this.lastCommit) return this.lastFlush;
    // Without overlapping sync the commit itself includes the fsync, and no flushed is attached.
    const flushed = last.flushed ?? last;
    this.lastCommit = last;
    this.lastFlush = flushed;
    last.catch(ignore);
    flushed.catch(ignore);
    return flushed;
  }
}
