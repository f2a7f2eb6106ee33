/**
 * Every refused bind is answered no earlier than this long after it arrived. The answer time of
 * a refusal then says nothing about why it was refused: an unknown system_id (decoy hash), a
 * wrong password on a plain or on a hashed account, a source address not allowed, a locked-out
 * client that was not checked at all. It must exceed the slowest credential check the
 * configuration can cause (an scrypt hash at N=2^15, r=8 takes about 130 ms on one core of a
 * small machine); a legitimate ESME only pays it when its bind fails anyway.
 */
export const DEFAULT_BIND_REFUSAL_FLOOR_MS = 500;

/** Resolves once `floorMs` have passed since `startedAt` (both on the performance.now() clock). */
export function waitForRefusalFloor(startedAt: number, floorMs: number, now: () => number = () => performance.now()): Promise<void> {
  const remaining = startedAt + floorMs - now();
  if (!(remaining > 0)) return Promise.resolve();
  return new Promise((resolve) => setTimeout(resolve, Math.ceil(remaining)));
}
