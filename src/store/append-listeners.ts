import { invalidArgument } from './errors.js';

type Listener = (lastSeq: number) => void;

/**
 * Subscribers to "new outbox entries are readable". Each listener runs in its own microtask, so a
 * listener that throws cannot stop the others or the append that triggered it.
 */
export class AppendListeners {
  private readonly listeners = new Set<Listener>();

  add(listener: Listener): () => void {
    if (typeof listener !== 'function') throw invalidArgument('listener must be a function');
    // A wrapper per subscription, so the same function subscribed twice unsubscribes one at a time.
    const entry: Listener = (lastSeq) => listener(lastSeq);
    this.listeners.add(entry);
    return () => {
      this.listeners.delete(entry);
    };
  }

  notify(lastSeq: number): void {
    for (const listener of this.listeners) queueMicrotask(() => listener(lastSeq));
  }
}
