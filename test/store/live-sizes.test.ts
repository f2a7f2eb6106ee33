import { expect, it } from 'vitest';
import { LiveSizes } from '../../src/store/lmdb/live-sizes.js';

it('counts entries and bytes through holes, failures and acknowledgements', () => {
  const sizes = new LiveSizes(11);
  sizes.add(11, 5);
  sizes.add(12, 7);
  // 13 and 14 were never written (their appends failed before a restart).
  sizes.add(15, 3);
  expect([sizes.count, sizes.bytes]).toEqual([3, 15]);
  expect(() => sizes.add(15, 1)).toThrow(RangeError);

  sizes.forget(12);
  sizes.forget(12);
  sizes.forget(13);
  sizes.forget(99);
  expect([sizes.count, sizes.bytes]).toEqual([2, 8]);

  sizes.dropThrough(14);
  expect([sizes.count, sizes.bytes]).toEqual([1, 3]);
  sizes.forget(11);
  expect([sizes.count, sizes.bytes]).toEqual([1, 3]);

  // Acknowledging past the last entry leaves the next one to follow on.
  sizes.dropThrough(20);
  expect([sizes.count, sizes.bytes]).toEqual([0, 0]);
  sizes.add(21, 4);
  expect([sizes.count, sizes.bytes]).toEqual([1, 4]);
});

it('stays exact across the compaction of a long run', () => {
  const sizes = new LiveSizes(1);
  for (let seq = 1; seq <= 20_000; seq++) sizes.add(seq, 2);
  for (let seq = 1000; seq <= 20_000; seq += 1000) sizes.dropThrough(seq);
  expect([sizes.count, sizes.bytes]).toEqual([0, 0]);
  for (let seq = 20_001; seq <= 20_010; seq++) sizes.add(seq, 1);
  sizes.forget(20_005);
  sizes.dropThrough(20_003);
  expect([sizes.count, sizes.bytes]).toEqual([6, 6]);
});
