import { SimError } from './errors.js';
import { randomSeed, seededRandom } from './prng.js';

/**
 * Which submits the simulator refuses, and with which command_status:
 * - `ratio`: each submit fails with that probability (0..1), drawn from a PRNG seeded with `seed`
 *   (a random seed when absent), so a given seed always fails the same submits;
 * - `everyNth`: exactly every Nth submit fails (the Nth, 2Nth, ...), for tests that count.
 */
export type FailureSpec = { status: number } & ({ ratio: number; seed?: number } | { everyNth: number });

export interface FailurePolicy {
  readonly status: number;
  /** Decides the next submit; call exactly once per submit that reaches this stage. */
  shouldFail(): boolean;
}

export function createFailurePolicy(spec: FailureSpec): FailurePolicy {
  const status = spec.status;
  if (!Number.isInteger(status) || status <= 0 || status > 0xffff_ffff) {
    throw new SimError('INVALID_OPTION', `failure status must be a non-zero command_status, got ${status}`);
  }
  if ('everyNth' in spec) {
    const n = spec.everyNth;
    if (!Number.isInteger(n) || n < 1) throw new SimError('INVALID_OPTION', `everyNth must be a positive integer, got ${n}`);
    let count = 0;
    return {
      status,
      shouldFail: () => {
        count = (count + 1) % n;
        return count === 0;
      },
    };
  }
  const ratio = spec.ratio;
  if (!(ratio >= 0 && ratio <= 1)) throw new SimError('INVALID_OPTION', `failure ratio must be within 0..1, got ${ratio}`);
  const seed = spec.seed ?? randomSeed();
  if (!Number.isInteger(seed)) throw new SimError('INVALID_OPTION', `seed must be an integer, got ${seed}`);
  const random = seededRandom(seed);
  return { status, shouldFail: () => ratio > 0 && random() < ratio };
}
