import { randomInt } from 'node:crypto';

/**
 * A small seeded generator (mulberry32): the same seed gives the same sequence on every run and
 * platform, so a test or a demo that fails "10% of submits" fails the same ones each time.
 * Not for anything security-related.
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 0x1_0000_0000;
  };
}

/** A fresh 32-bit seed, for runs that did not ask for a reproducible one. */
export function randomSeed(): number {
  return randomInt(0, 0xffff_ffff);
}
