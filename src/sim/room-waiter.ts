import type { SmppSession } from '../session/index.js';

/**
 * Lets any number of callers wait for window room on one session through a single pair of
 * listeners: one 'drain' and one 'close' listener per session, however many sends are parked,
 * so a burst of waiting submits cannot pile listeners onto the emitter.
 */
export class RoomWaiter {
  private waiters: Array<(room: boolean) => void> = [];

  constructor(private readonly session: SmppSession) {
    session.on('drain', () => this.wake(true));
    session.on('close', () => this.wake(false));
  }

  /**
   * Resolves true when the session reports room again ('drain'), false when it closed. Only call
   * after request() returned null: the session owes a 'drain' then, or will close.
   */
  wait(): Promise<boolean> {
    if (this.session.isClosed) return Promise.resolve(false);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private wake(room: boolean): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter(room);
  }
}
