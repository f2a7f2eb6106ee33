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
