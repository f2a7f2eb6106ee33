import { describe, expect, it } from 'vitest';
import { clientKey } from '../../src/downstream/client-key.js';
import { PerClientConnectionLimit } from '../../src/downstream/connection-limits.js';
import { BindLockout, BindOutcome, type BindAttempt } from '../../src/downstream/lockout.js';

/** A clock the test moves by hand. */
function manualClock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

function lockout(clock: { now: () => number }, extra: Partial<ConstructorParameters<typeof BindLockout>[0]> = {}) {
  return new BindLockout({ failures: 5, windowMs: 60_000, durationMs: 300_000, now: clock.now, ...extra });
}

async function fail(l: BindLockout, address: string): Promise<boolean | 'locked'> {
  const attempt = await l.admit(address);
  if (attempt === null) return 'locked';
  return attempt.finish(BindOutcome.failure);
}

describe('clientKey', () => {
  it('counts IPv4-mapped IPv6 as the IPv4 address and IPv6 per /64', () => {
    expect(clientKey('10.1.2.3')).toBe('10.1.2.3');
    expect(clientKey('::ffff:10.1.2.3')).toBe('10.1.2.3');
    expect(clientKey('::ffff:a01:203')).toBe('10.1.2.3');
    expect(clientKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:db8:1:2:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:db8:1:3::1')).toBe('2001:db8:1:3::/64');
    expect(clientKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(clientKey('::1')).toBe('0:0:0:0::/64');
    expect(clientKey(undefined)).toBe('unknown');
  });
});

describe('BindLockout', () => {
  it('locks a client out after `failures` failures within the window, for `duration`', async () => {
    const clock = manualClock();
    const l = lockout(clock);
    for (let i = 1; i <= 4; i++) expect(await fail(l, '192.0.2.1')).toBe(false);
    expect(await fail(l, '192.0.2.1')).toBe(true);
    expect(l.isLocked('192.0.2.1')).toBe(true);
    expect(await l.admit('192.0.2.1')).toBeNull();
    // Another client is untouched.
    expect(await l.admit('192.0.2.2')).not.toBeNull();
    clock.advance(299_999);
    expect(await l.admit('192.0.2.1')).toBeNull();
    clock.advance(1);
    const after = await l.admit('192.0.2.1');
    expect(after).not.toBeNull();
    after!.finish(BindOutcome.success);
    expect(l.isLocked('192.0.2.1')).toBe(false);
  });

  it('forgets failures older than the window', async () => {
    const clock = manualClock();
    const l = lockout(clock);
    for (let i = 0; i < 4; i++) await fail(l, '192.0.2.1');
    clock.advance(60_000);
    for (let i = 0; i < 4; i++) expect(await fail(l, '192.0.2.1')).toBe(false);
    expect(l.isLocked('192.0.2.1')).toBe(false);
    expect(await fail(l, '192.0.2.1')).toBe(true);
  });

  it('does not let a successful bind or a policy refusal reset or add to the count', async () => {
    const clock = manualClock();
    const l = lockout(clock);
    for (let i = 0; i < 4; i++) {
      await fail(l, '192.0.2.1');
      (await l.admit('192.0.2.1'))!.finish(BindOutcome.success);
      (await l.admit('192.0.2.1'))!.finish(BindOutcome.neutral);
    }
    expect(l.isLocked('192.0.2.1')).toBe(false);
    expect(await fail(l, '192.0.2.1')).toBe(true);
  });

  it('runs at most `failures` checks at once per client: parallel binds buy no extra guesses', async () => {
    const clock = manualClock();
    const l = lockout(clock);
    const settled: (BindAttempt | null)[] = [];
    const pending = Array.from({ length: 40 }, () => l.admit('192.0.2.9').then((a) => void settled.push(a)));
    await Promise.resolve();
    await Promise.resolve();
    const running = settled.filter((a): a is BindAttempt => a !== null);
    expect(running).toHaveLength(5);
    expect(settled).toHaveLength(5);
    // Two succeed: their slots go to two waiting binds.
    running[0]!.finish(BindOutcome.success);
    running[1]!.finish(BindOutcome.success);
    await new Promise((r) => setImmediate(r));
    expect(settled.filter((a) => a !== null)).toHaveLength(7);
    // Five failures lock the client; every bind still waiting is refused unchecked.
    const toFail = settled.filter((a): a is BindAttempt => a !== null).slice(2);
    expect(toFail).toHaveLength(5);
    const locked = toFail.map((a) => a.finish(BindOutcome.failure));
    expect(locked).toEqual([false, false, false, false, true]);
    await Promise.all(pending);
    expect(settled).toHaveLength(40);
    expect(settled.filter((a) => a !== null)).toHaveLength(7);
  });

  it('after a failure, only the remaining allowance runs at once', async () => {
    const clock = manualClock();
    const l = lockout(clock, { failures: 3 });
    await fail(l, '192.0.2.3');
    await fail(l, '192.0.2.3');
    let admitted = 0;
    const all = Array.from({ length: 5 }, () => l.admit('192.0.2.3').then((a) => (a === null ? undefined : (admitted++, a))));
    await new Promise((r) => setImmediate(r));
    expect(admitted).toBe(1);
    const first = (await all[0])!;
    expect(first.finish(BindOutcome.failure)).toBe(true);
    expect(await Promise.all(all.slice(1))).toEqual([undefined, undefined, undefined, undefined]);
  });

  it('finish counts once, however often it is called', async () => {
    const clock = manualClock();
    const l = lockout(clock, { failures: 2 });
    const attempt = (await l.admit('192.0.2.4'))!;
    expect(attempt.finish(BindOutcome.failure)).toBe(false);
    expect(attempt.finish(BindOutcome.failure)).toBe(false);
    expect(l.isLocked('192.0.2.4')).toBe(false);
    expect(await fail(l, '192.0.2.4')).toBe(true);
  });

  it('with failures 0 never locks and tracks nothing', async () => {
    const clock = manualClock();
    const l = lockout(clock, { failures: 0 });
    for (let i = 0; i < 100; i++) expect(await fail(l, '192.0.2.5')).toBe(false);
    expect(l.enabled).toBe(false);
    expect(l.trackedClients).toBe(0);
    expect(l.lockedClients).toBe(0);
  });

  it('keeps memory bounded when failures come from very many addresses', async () => {
    const clock = manualClock();
    const l = lockout(clock, { failures: 2, maxClients: 1_000 });
    for (let i = 0; i < 50_000; i++) {
      const address = `10.${(i >> 16) & 0xff}.${(i >> 8) & 0xff}.${i & 0xff}`;
      await fail(l, address);
      await fail(l, address);
      await fail(l, `2001:db8:${i.toString(16)}::1`);
    }
    expect(l.trackedClients).toBeLessThanOrEqual(1_000);
    expect(l.lockedClients).toBeLessThanOrEqual(1_000);
    // The most recent lock is still in force.
    expect(l.isLocked('10.0.195.79')).toBe(true);
  });

  it('drops expired entries as traffic goes on, without a timer', async () => {
    const clock = manualClock();
    const l = lockout(clock, { failures: 2, durationMs: 1_000, windowMs: 1_000 });
    for (let i = 0; i < 500; i++) {
      await fail(l, `10.0.${i >> 8}.${i & 0xff}`);
      await fail(l, `10.0.${i >> 8}.${i & 0xff}`);
    }
    expect(l.lockedClients).toBe(500);
    clock.advance(1_000);
    for (let i = 0; i < 100; i++) (await l.admit('192.0.2.200'))!.finish(BindOutcome.success);
    expect(l.lockedClients).toBe(0);
    expect(l.trackedClients).toBe(0);
  });

  it('refuses nonsense settings', () => {
    expect(() => new BindLockout({ failures: -1, windowMs: 1, durationMs: 1 })).toThrow(RangeError);
    expect(() => new BindLockout({ failures: 1, windowMs: 0, durationMs: 1 })).toThrow(RangeError);
    expect(() => new BindLockout({ failures: 1, windowMs: 1, durationMs: Number.NaN })).toThrow(RangeError);
    expect(() => new BindLockout({ failures: 1, windowMs: 1, durationMs: 1, maxClients: 0 })).toThrow(RangeError);
  });
});

describe('PerClientConnectionLimit', () => {
  it('admits up to the cap per client and frees a slot on release', () => {
    const limit = new PerClientConnectionLimit(2);
    expect(limit.admit('10.0.0.1')).toBe(true);
    expect(limit.admit('::ffff:10.0.0.1')).toBe(true);
    expect(limit.admit('10.0.0.1')).toBe(false);
    expect(limit.admit('10.0.0.2')).toBe(true);
    expect(limit.openConnections).toBe(3);
    limit.release('10.0.0.1');
    expect(limit.admit('10.0.0.1')).toBe(true);
    limit.release('10.0.0.1');
    limit.release('10.0.0.1');
    limit.release('10.0.0.2');
    expect(limit.openConnections).toBe(0);
    expect(limit.clients).toBe(0);
    // A release without an admit changes nothing.
    limit.release('10.0.0.9');
    expect(limit.openConnections).toBe(0);
  });

  it('counts an IPv6 /64 as one client', () => {
    const limit = new PerClientConnectionLimit(1);
    expect(limit.admit('2001:db8::1')).toBe(true);
    expect(limit.admit('2001:db8::2')).toBe(false);
    expect(limit.admit('2001:db8:0:1::1')).toBe(true);
  });
});
