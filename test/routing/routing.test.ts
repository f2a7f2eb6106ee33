import { describe, expect, it } from 'vitest';
import {
  noCarrierAvailableStatus,
  normalizeDestination,
  orderCandidates,
  resolveRoute,
  rewriteSender,
  routeMo,
  senderAllowed,
  shouldFailOver,
  type CarrierHealth,
} from '../../src/routing/index.js';
import { Status } from '../../src/smpp/status.js';
import { account, config } from './fixture.js';

describe('normalizeDestination', () => {
  it.each([
    ['447700900123', '447700900123'],
    ['+447700900123', '447700900123'],
    ['00447700900123', '447700900123'],
    ['07700900123', '07700900123'],
    ['+00447700900123', '00447700900123'],
    ['0044', '44'],
    ['', undefined],
    ['+', undefined],
    ['00', undefined],
    ['44 7700 900123', undefined],
    ['4477009001x', undefined],
    ['123456789012345678901', undefined],
  ])('%j -> %j', (input, expected) => {
    expect(normalizeDestination(input)).toBe(expected);
  });
});

describe('resolveRoute', () => {
  const carriers = (r: ReturnType<typeof resolveRoute>) => (r.ok ? r.candidates.map((c) => c.carrier) : r.reason);

  it('takes the longest matching prefix, with carriers cheapest first and ties in config order', () => {
    const r = resolveRoute(config, account('free'), '447700900123');
    expect(r.ok && [r.route.name, r.prefix, r.destination]).toEqual(['uk-premium', '4477', '447700900123']);
    const uk = resolveRoute(config, account('free'), '447900000001');
    expect(uk.ok && uk.route.name).toBe('uk');
    expect(carriers(uk)).toEqual(['b', 'c', 'a']);
  });

  it('lets the first route in the file win between equal prefixes', () => {
    const r = resolveRoute(config, account('free'), '447900000001');
    expect(r.ok && r.route.name).toBe('uk');
  });

  it('matches after normalising + and 00', () => {
    for (const to of ['+33612345678', '0033612345678', '33612345678']) {
      const r = resolveRoute(config, account('free'), to);
      expect(r.ok && [r.route.name, r.prefix, r.destination]).toEqual(['fr', '33', '33612345678']);
    }
    expect(carriers(resolveRoute(config, account('free'), '262692000000'))).toEqual(['a', 'c']);
  });

  it('uses the catch-all route for everything else', () => {
    const r = resolveRoute(config, account('free'), '12025550123');
    expect(r.ok && [r.route.name, r.prefix]).toEqual(['default', '']);
  });

  it('restricts an account to its routes, even when a longer prefix exists elsewhere', () => {
    const r = resolveRoute(config, account('acme'), '447700900123');
    expect(r.ok && [r.route.name, r.prefix]).toEqual(['uk', '447']);
    expect(carriers(r)).toEqual(['b', 'c', 'a']);
  });

  it('refuses with ESME_RINVDSTADR when no allowed route matches, saying which route it may not use', () => {
    const r = resolveRoute(config, account('ukonly'), '12025550123');
    expect(r).toMatchObject({ ok: false, status: Status.ESME_RINVDSTADR, reason: 'route_not_allowed' });
    expect(!r.ok && r.message).toContain('route "default"');
  });

  it('refuses destinations that are not numbers', () => {
    expect(resolveRoute(config, account('free'), 'ACME')).toMatchObject({ ok: false, status: 0x0b, reason: 'invalid_destination' });
    expect(resolveRoute(config, account('free'), '')).toMatchObject({ ok: false, status: 0x0b, reason: 'invalid_destination' });
  });

  it('refuses with no_route when nothing matches at all', async () => {
    const { parseConfig } = await import('../../src/config/index.js');
    const narrow = parseConfig(
      'accounts: { x: { password: p, allowed_ips: ["::1"] } }\ncarriers: { s: { simulator: {} } }\nroutes: [{ name: uk, prefix: ["44"], carriers: [{ carrier: s, cost: 1 }] }]\n',
      'n.yaml',
    );
    const x = narrow.accounts['x'];
    expect(x && resolveRoute(narrow, x, '33123456')).toMatchObject({ ok: false, status: Status.ESME_RINVDSTADR, reason: 'no_route' });
    expect(x && resolveRoute(narrow, x, '4412345')).toMatchObject({ ok: true, prefix: '44' });
  });
});

describe('orderCandidates and failover', () => {
  const r = resolveRoute(config, account('free'), '447900000001');
  if (!r.ok) throw new Error('fixture route missing');
  const healthOf = (states: Record<string, Partial<CarrierHealth>>) => (carrier: string) => ({ bound: true, circuitOpen: false, ...states[carrier] });

  it('keeps cost order when everything is healthy', () => {
    const order = orderCandidates(r.candidates, healthOf({}));
    expect(order.usable.map((c) => c.carrier)).toEqual(['b', 'c', 'a']);
    expect(order.skipped).toEqual([]);
    expect(noCarrierAvailableStatus(order)).toBeUndefined();
  });

  it('skips carriers without a bound session or with an open circuit, and says why', () => {
    const order = orderCandidates(r.candidates, healthOf({ b: { bound: false }, c: { circuitOpen: true } }));
    expect(order.usable.map((c) => [c.carrier, c.cost])).toEqual([['a', 0.012]]);
    expect(order.skipped).toEqual([
      { carrier: 'b', cost: 0.0095, reason: 'not_bound' },
      { carrier: 'c', cost: 0.0095, reason: 'circuit_open' },
    ]);
  });

  it('answers ESME_RMSGQFUL when candidates exist but none can take the message', () => {
    const order = orderCandidates(r.candidates, () => ({ bound: false, circuitOpen: true }));
    expect(order.usable).toEqual([]);
    expect(order.skipped.map((s) => s.reason)).toEqual(['not_bound', 'not_bound', 'not_bound']);
    expect(noCarrierAvailableStatus(order)).toBe(Status.ESME_RMSGQFUL);
  });

  it('sends a later part only to the carrier of the earlier parts', () => {
    const sticky = orderCandidates(r.candidates, healthOf({}), { sticky: 'a' });
    expect(sticky.usable.map((c) => c.carrier)).toEqual(['a']);
    expect(sticky.skipped.map((s) => [s.carrier, s.reason])).toEqual([
      ['b', 'sticky_elsewhere'],
      ['c', 'sticky_elsewhere'],
    ]);
    const stickyDown = orderCandidates(r.candidates, healthOf({ a: { bound: false } }), { sticky: 'a' });
    expect(noCarrierAvailableStatus(stickyDown)).toBe(Status.ESME_RMSGQFUL);
    const stickyGone = orderCandidates(r.candidates, healthOf({}), { sticky: 'removed-carrier' });
    expect(stickyGone.usable.map((c) => c.carrier)).toEqual(['b', 'c', 'a']);
  });

  it('fails over on temporary upstream failures only', () => {
    expect([0x14, 0x58, 0x08, 0x64, 'timeout', 'session_lost'].map((f) => shouldFailOver(f as never))).toEqual([true, true, true, true, true, true]);
    expect([0x0b, 0x45, 0x0a, 0x65, 0x01].map((f) => shouldFailOver(f))).toEqual([false, false, false, false, false]);
  });
});

describe('senderAllowed', () => {
  it('accepts exact literals and regex entries, nothing else', () => {
    const acme = account('acme');
    expect(['ACME', 'ACMECO', '447700900123', 'SHOP-OTP'].map((s) => senderAllowed(acme, s))).toEqual([true, true, true, true]);
    expect(['acme', 'ACME ', 'ACMEC', '1234', '1234567890123456', 'shop-OTP', ''].map((s) => senderAllowed(acme, s))).toEqual([
      false, false, false, false, false, false, false,
    ]);
  });

  it('allows any sender when the account has no sender_ids', () => {
    expect(senderAllowed(account('free'), 'ANYTHING')).toBe(true);
  });
});

describe('rewriteSender', () => {
  const base = { account: 'acme', carrier: 'a', destination: '447700900123', sender: 'ACME', ton: 0, npi: 0 };

  it('applies the first matching rule: fixed sender with TON/NPI', () => {
    expect(rewriteSender(config, base)).toEqual({ sender: 'ACMECO', ton: 5, npi: 0, rule: 0 });
  });

  it('does not apply a rule whose account, carrier or sender does not match', () => {
    expect(rewriteSender(config, { ...base, account: 'free' })).toEqual({ sender: 'ACME', ton: 0, npi: 0, rule: undefined });
    expect(rewriteSender(config, { ...base, carrier: 'b' })).toEqual({ sender: 'ACME', ton: 0, npi: 0, rule: undefined });
    expect(rewriteSender(config, { ...base, sender: 'ACMEX' })).toEqual({ sender: 'ACMEX', ton: 0, npi: 0, rule: undefined });
  });

  it('replaces with numbered groups, matching the destination prefix after normalisation', () => {
    const input = { ...base, carrier: 'b', sender: '0612345678', destination: '+33612345678' };
    expect(rewriteSender(config, input)).toEqual({ sender: '33612345678', ton: 1, npi: 1, rule: 1 });
    expect(rewriteSender(config, { ...input, destination: '262692000000' }).rule).toBe(1);
    expect(rewriteSender(config, { ...input, destination: '447700900123' }).rule).toBeUndefined();
  });

  it('replaces with named groups and keeps the original TON/NPI when the rule sets none', () => {
    expect(rewriteSender(config, { ...base, carrier: 'b', sender: 'SHOP-OTP', ton: 5, npi: 0 })).toEqual({ sender: 'SHOP', ton: 5, npi: 0, rule: 2 });
  });

  it('skips a rule whose result would be longer than SMPP allows and goes on to the next', () => {
    expect(rewriteSender(config, { ...base, carrier: 'c', sender: 'ABCDEFGHIJ' })).toEqual({ sender: 'ABCDEFGHIJABCDEFGHIJ', ton: 0, npi: 0, rule: 3 });
    expect(rewriteSender(config, { ...base, carrier: 'c', sender: 'ABCDEFGHIJK' })).toEqual({ sender: 'ABCDEFGHIJK', ton: 5, npi: 0, rule: 4 });
  });
});

describe('routeMo', () => {
  it('picks the account of the longest matching MO prefix', () => {
    expect(routeMo(config, '447700900123')?.name).toBe('acme');
    expect(routeMo(config, '+447712345678')?.name).toBe('free');
    expect(routeMo(config, '0033612345678')?.name).toBe('free');
  });

  it('returns undefined for destinations no MO route covers', () => {
    expect(routeMo(config, '12025550123')).toBeUndefined();
    expect(routeMo(config, '4476')).toBeUndefined();
    expect(routeMo(config, 'SHORTCODE')).toBeUndefined();
  });
});
