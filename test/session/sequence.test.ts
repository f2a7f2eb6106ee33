import { describe, expect, it } from 'vitest';
import { MAX_SEQUENCE, SequenceGenerator, isValidSequence } from '../../src/session/sequence.js';
import { SessionError } from '../../src/session/errors.js';

describe('SequenceGenerator', () => {
  it('starts at 1 and counts up', () => {
    const seq = new SequenceGenerator();
    expect([seq.next(), seq.next(), seq.next()]).toEqual([1, 2, 3]);
  });

  it('wraps from 0x7FFFFFFF to 1, never producing 0 or a number with bit 31 set', () => {
    const seq = new SequenceGenerator(MAX_SEQUENCE - 1);
    expect([seq.next(), seq.next(), seq.next(), seq.next()]).toEqual([MAX_SEQUENCE - 1, MAX_SEQUENCE, 1, 2]);
  });

  it('peek does not consume', () => {
    const seq = new SequenceGenerator(7);
    expect(seq.peek()).toBe(7);
    expect(seq.next()).toBe(7);
    expect(seq.peek()).toBe(8);
  });

  it.each([0, -1, MAX_SEQUENCE + 1, 1.5, Number.NaN])('rejects start %s with a typed error', (start) => {
    expect(() => new SequenceGenerator(start)).toThrow(SessionError);
    expect(isValidSequence(start)).toBe(false);
  });
});
