import { describe, expect, it } from 'vitest';
import { explainRoute } from '../../src/routing/index.js';
import { Status } from '../../src/smpp/status.js';
import { config } from './fixture.js';

describe('explainRoute', () => {
  it('explains an accepted submit offline: route, carriers in order, sender per carrier', () => {
    const e = explainRoute(config, { account: 'acme', to: '+447700900123', from: 'ACME' });
    expect(e.ok).toBe(true);
    expect(e.status).toBe(Status.ESME_ROK);
    expect(e.healthKnown).toBe(false);
    expect(e.destination).toBe('447700900123');
    expect(e.route).toEqual({ name: 'uk', prefix: '447' });
    expect(e.candidates.map((c) => [c.carrier, c.cost, c.health, c.attempt, c.sender.sender, c.sender.rule])).toEqual([
      ['b', 0.0095, 'unknown', 1, 'ACME', undefined],
      ['c', 0.0095, 'unknown', 2, 'ACMEACME', 3],
      ['a', 0.012, 'unknown', 3, 'ACMECO', 0],
    ]);
    expect(e.input).toEqual({ account: 'acme', to: '+447700900123', from: 'ACME', ton: 0, npi: 0 });
  });

  it('shows live health and the failover order it leads to', () => {
    const health = (carrier: string) => ({ bound: carrier !== 'b', circuitOpen: carrier === 'c' });
    const e = explainRoute(config, { account: 'acme', to: '447700900123', from: 'ACME' }, health);
    expect(e.healthKnown).toBe(true);
    expect(e.candidates.map((c) => [c.carrier, c.health, c.attempt, c.skipped])).toEqual([
      ['b', 'not_bound', undefined, 'not_bound'],
      ['c', 'circuit_open', undefined, 'circuit_open'],
      ['a', 'bound', 1, undefined],
    ]);
  });

  it('says when the route exists but no carrier can take the message now', () => {
    const e = explainRoute(config, { account: 'acme', to: '447700900123', from: 'ACME' }, () => ({ bound: false, circuitOpen: false }));
    expect(e).toMatchObject({ ok: false, status: Status.ESME_RMSGQFUL, reason: 'no_carrier_available', route: { name: 'uk' } });
    expect(e.candidates).toHaveLength(3);
  });

  it.each([
    [{ account: 'nobody', to: '447700900123', from: 'ACME' }, 'unknown_account', Status.ESME_RBINDFAIL],
    [{ account: 'acme', to: '447700900123', from: 'EVIL' }, 'sender_not_allowed', Status.ESME_RINVSRCADR],
    [{ account: 'acme', to: 'not-a-number', from: 'ACME' }, 'invalid_destination', Status.ESME_RINVDSTADR],
    [{ account: 'ukonly', to: '12025550123', from: 'X' }, 'route_not_allowed', Status.ESME_RINVDSTADR],
  ])('rejects %j with %s', (input, reason, status) => {
    const e = explainRoute(config, input);
    expect(e).toMatchObject({ ok: false, reason, status });
    expect(e.ok ? '' : e.message.length).toBeGreaterThan(0);
    expect(e.route).toBeUndefined();
    expect(e.candidates).toEqual([]);
  });

  it('carries TON and NPI into the rewrite explanation', () => {
    const e = explainRoute(config, { account: 'free', to: '33612345678', from: '0612345678', ton: 2, npi: 9 });
    expect(e.candidates.map((c) => [c.carrier, c.sender])).toEqual([
      ['a', { sender: '33612345678', ton: 1, npi: 1, rule: 1 }],
      ['c', { sender: '33612345678', ton: 1, npi: 1, rule: 1 }],
    ]);
  });
});
