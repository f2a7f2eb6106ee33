import { describe, expect, it } from 'vitest';
import { ConcatStickiness, STICKINESS_DEFAULTS } from '../../src/routing/index.js';

const part = { account: 'acme', source: 'ACME', destination: '447700900123', reference: 42 };

describe('ConcatStickiness', () => {
  it('remembers the carrier per (account, source, destination, reference)', () => {
    const sticky = new ConcatStickiness();
    expect(sticky.get(part)).toBeUndefined();
    sticky.set(part, 'beta');
    expect(sticky.get({ ...part })).toBe('beta');
    expect(sticky.get({ ...part, reference: 43 })).toBeUndefined();
    expect(sticky.get({ ...part, account: 'other' })).toBeUndefined();
    expect(sticky.get({ ...part, source: 'ACMECO' })).toBeUndefined();
    expect(sticky.get({ ...part, destination: '447700900124' })).toBeUndefined();
    sticky.set(part, 'alpha');
    expect(sticky.get(part)).toBe('alpha');
    sticky.delete(part);
    expect(sticky.get(part)).toBeUndefined();
  });

  it('does not confuse keys whose fields run into each other', () => {
    const sticky = new ConcatStickiness();
    sticky.set({ account: 'ab', source: 'c', destination: '1', reference: 1 }, 'x');
    expect(sticky.get({ account: 'a', source: 'bc', destination: '1', reference: 1 })).toBeUndefined();
    expect(sticky.get({ account: 'ab', source: 'c', destination: '11', reference: 1 })).toBeUndefined();
  });

  it('forgets an entry once its TTL has passed since the last set', () => {
    let now = 1_000;
    const sticky = new ConcatStickiness({ ttlMs: 5_000, now: () => now });
    sticky.set(part, 'beta');
    now += 4_999;
    expect(sticky.get(part)).toBe('beta');
    sticky.set(part, 'beta');
    now += 4_999;
    expect(sticky.get(part)).toBe('beta');
    now += 2;
    expect(sticky.get(part)).toBeUndefined();
  });

  it('holds at most maxEntries, dropping the least recently used', () => {
    const sticky = new ConcatStickiness({ maxEntries: 3 });
    for (let reference = 1; reference <= 3; reference++) sticky.set({ ...part, reference }, `c${reference}`);
    expect(sticky.get({ ...part, reference: 1 })).toBe('c1');
    sticky.set({ ...part, reference: 4 }, 'c4');
    expect(sticky.size).toBe(3);
    expect(sticky.get({ ...part, reference: 2 })).toBeUndefined();
    expect(sticky.get({ ...part, reference: 1 })).toBe('c1');
    expect(sticky.get({ ...part, reference: 4 })).toBe('c4');
    sticky.clear();
    expect(sticky.size).toBe(0);
  });

  it('documents its defaults and rejects nonsense limits', () => {
    expect(STICKINESS_DEFAULTS).toEqual({ ttlMs: 600_000, maxEntries: 100_000 });
    expect(() => new ConcatStickiness({ ttlMs: 0 })).toThrow(RangeError);
    expect(() => new ConcatStickiness({ maxEntries: 0 })).toThrow(RangeError);
    expect(() => new ConcatStickiness({ maxEntries: 1.5 })).toThrow(RangeError);
  });
});
