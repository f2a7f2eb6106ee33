import type { ProxyEventMap, ProxyEvents } from '../broker/events.js';

/**
 * Wraps an event listener that runs inside the proxy's emit (metrics, logs): whatever goes wrong
 * in it is a lost sample or line, never an exception thrown into the operation that emitted.
 */
export function neverThrows<A extends unknown[]>(listener: (...args: A) => void): (...args: A) => void {
  return (...args: A) => {
    try {
      listener(...args);
    } catch {
      // Deliberately swallowed: see above.
    }
  };
}

export type ProxyEventListeners = { [K in keyof ProxyEventMap]?: (...args: ProxyEventMap[K]) => void };

/** Subscribes each listener to its event, wrapped by neverThrows; returns the function that unsubscribes them all. */
export function listenSafely(events: ProxyEvents, listeners: ProxyEventListeners): () => void {
  const wrapped = Object.entries(listeners).map(([name, listener]) => [name as keyof ProxyEventMap, neverThrows(listener as (...args: unknown[]) => void)] as const);
  for (const [name, listener] of wrapped) events.on(name, listener as never);
  return () => {
    for (const [name, listener] of wrapped) events.off(name, listener as never);
  };
}
