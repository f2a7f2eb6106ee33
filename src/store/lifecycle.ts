import { storeClosed } from './errors.js';

/** Shared by a store and its parts, so that closing the store refuses further calls on every part. */
export class Lifecycle {
  private closedFlag = false;

  get closed(): boolean {
    return this.closedFlag;
  }

  close(): void {
    this.closedFlag = true;
  }

  assertOpen(): void {
    if (this.closedFlag) throw storeClosed();
  }
}
