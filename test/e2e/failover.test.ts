import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CarrierSimulator } from '../../src/sim/carrier-sim.js';
import { Status } from '../../src/smpp/index.js';
import {
  account,
  cleanupAll,
  makeConfig,
  NO_BREAKER,
  remoteCarrier,
  startCarrier,
  startProxy,
  TestEsme,
  waitForBound,
  waitForUnbound,
  type RunningProxy,
} from './harness.js';

/**
 * Failover between carriers. Route "uk" tries, cheapest first: late (down until a test starts
 * it), alpha, beta. Route "us" tries flaky (a circuit breaker that opens after two failures),
 * then beta.
 */
let late: CarrierSimulator;
let alpha: CarrierSimulator;
let beta: CarrierSimulator;
let flaky: CarrierSimulator;
let narrow: CarrierSimulator;
let metered: CarrierSimulator;
let running: RunningProxy;
let esme: TestEsme;

beforeAll(async () => {
  // A carrier that is down from the start: its port is known but nothing listens there yet.
  late = await startCarrier('late');
  const latePort = late.port;
  await late.stop();
  alpha = await startCarrier('alpha');
  beta = await startCarrier('beta');
  flaky = await startCarrier('flaky');
  narrow = await startCarrier('narrow', { responseDelayMs: 300 });
  metered = await startCarrier('metered');
  const config = makeConfig({
    accounts: { acme: account() },
    carriers: {
      late: remoteCarrier(latePort, 'late', { circuit_breaker: NO_BREAKER }),
      alpha: remoteCarrier(alpha, 'alpha', { response_timeout: '400ms', circuit_breaker: NO_BREAKER }),
      beta: remoteCarrier(beta, 'beta', { circuit_breaker: NO_BREAKER }),
      flaky: remoteCarrier(flaky, 'flaky', { circuit_breaker: { failures: 2, cooldown: '1m' } }),
      narrow: remoteCarrier(narrow, 'narrow', { window: 1, circuit_breaker: NO_BREAKER }),
      metered: remoteCarrier(metered, 'metered', { throughput: 2, circuit_breaker: NO_BREAKER }),
    },
    routes: [
      {
        name: 'uk',
        prefix: ['447'],
        carriers: [
          { carrier: 'late', cost: 0.001 },
          { carrier: 'alpha', cost: 0.005 },
          { carrier: 'beta', cost: 0.01 },
        ],
      },
      {
        name: 'us',
        prefix: ['1'],
        carriers: [
          { carrier: 'flaky', cost: 0.001 },
          { carrier: 'beta', cost: 0.01 },
        ],
      },
      {
        name: 'fr',
        prefix: ['33'],
        carriers: [
          { carrier: 'narrow', cost: 0.001 },
          { carrier: 'beta', cost: 0.01 },
        ],
      },
      { name: 'de', prefix: ['49'], carriers: [{ carrier: 'metered', cost: 0.001 }] },
    ],
  });
  // Carriers here accept messages whose response the proxy never sees (lost sessions, timeouts);
  // their receipts match nothing, and a short hold keeps them from delaying the final stop.
  running = await startProxy(config, { waitForCarriers: ['alpha', 'beta', 'flaky', 'narrow', 'metered'], earlyReceiptHoldMs: 300 });
  esme = await TestEsme.bind(running.port, 'acme');
});

afterAll(cleanupAll);

beforeEach(() => {
  for (const carrier of [alpha, beta]) carrier.configure({ failure: null, silent: false, responseDelayMs: 0 });
});

function counts(): { alpha: number; beta: number } {
  return { alpha: alpha.stats.submitsReceived, beta: beta.stats.submitsReceived };
}

function delta(before: { alpha: number; beta: number }): { alpha: number; beta: number } {
  const now = counts();
  return { alpha: now.alpha - before.alpha, beta: now.beta - before.beta };
}

describe('failover', () => {
  it('skips the cheapest carrier while it has never bound', async () => {
    expect(running.proxy.pools.get('late')!.health().bound).toBe(false);
    const before = counts();
    const resp = await esme.submit();
    expect(resp.status).toBe(Status.ESME_ROK);
    expect(delta(before)).toEqual({ alpha: 1, beta: 0 });
    expect(late.stats.submitsReceived).toBe(0);
  });

  it.each([
    ['ESME_RTHROTTLED', Status.ESME_RTHROTTLED],
    ['ESME_RMSGQFUL', Status.ESME_RMSGQFUL],
    ['ESME_RSYSERR', Status.ESME_RSYSERR],
    ['ESME_RX_T_APPN', Status.ESME_RX_T_APPN],
  ])('fails over to the next carrier when the cheapest answers %s', async (_name, status) => {
    alpha.configure({ failure: { everyNth: 1, status } });
    const before = counts();
    const resp = await esme.submit();
    expect(resp.status).toBe(Status.ESME_ROK);
    expect(delta(before)).toEqual({ alpha: 1, beta: 1 });
    expect(alpha.submits.at(-1)!.status).toBe(status);
    expect(beta.submits.at(-1)!.status).toBe(Status.ESME_ROK);
  });

  it('fails over when the carrier does not answer within its response_timeout', async () => {
    alpha.configure({ silent: true });
    const before = counts();
    const resp = await esme.submit();
    expect(resp.status).toBe(Status.ESME_ROK);
    expect(delta(before)).toEqual({ alpha: 1, beta: 1 });
    expect(alpha.submits.at(-1)!.outcome).toBe('silent');
  });

  it('fails over when the carrier session is lost before the response', async () => {
    alpha.configure({ responseDelayMs: 2_000 });
    const before = counts();
    const pending = esme.submit();
    await alpha.waitForSubmits(before.alpha + 1, 2_000);
    alpha.dropSessions();
    const resp = await pending;
    expect(resp.status).toBe(Status.ESME_ROK);
    expect(delta(before)).toEqual({ alpha: 1, beta: 1 });
    await waitForBound(running.proxy, ['alpha']);
  });

  it.each([
    ['ESME_RINVDSTADR', Status.ESME_RINVDSTADR],
    ['ESME_RSUBMITFAIL', Status.ESME_RSUBMITFAIL],
    ['ESME_RINVSRCADR', Status.ESME_RINVSRCADR],
  ])('returns a permanent error (%s) to the ESME unchanged, without trying another carrier', async (_name, status) => {
    alpha.configure({ failure: { everyNth: 1, status } });
    const before = counts();
    const resp = await esme.submit();
    expect(resp.status).toBe(status);
    expect(resp.body.message_id ?? '').toBe('');
    expect(delta(before)).toEqual({ alpha: 1, beta: 0 });
  });

  it('answers ESME_RMSGQFUL when every candidate fails temporarily', async () => {
    alpha.configure({ failure: { everyNth: 1, status: Status.ESME_RMSGQFUL } });
    beta.configure({ failure: { everyNth: 1, status: Status.ESME_RTHROTTLED } });
    const before = counts();
    const resp = await esme.submit();
    expect(resp.status).toBe(Status.ESME_RMSGQFUL);
    expect(delta(before)).toEqual({ alpha: 1, beta: 1 });
  });

  it('sends to the cheapest carrier again once it binds', async () => {
    await late.start();
    await waitForBound(running.proxy, ['late']);
    const before = counts();
    const resp = await esme.submit();
    expect(resp.status).toBe(Status.ESME_ROK);
    expect(late.stats.submitsReceived).toBe(1);
    expect(delta(before)).toEqual({ alpha: 0, beta: 0 });
    // And away from it again when it goes down.
    await late.stop();
    await waitForUnbound(running.proxy, 'late');
    expect((await esme.submit()).status).toBe(Status.ESME_ROK);
    expect(delta(before)).toEqual({ alpha: 1, beta: 0 });
  });

  it('stops trying a carrier whose circuit opened after repeated temporary failures', async () => {
    flaky.configure({ failure: { everyNth: 1, status: Status.ESME_RSYSERR } });
    const us = { destination_addr: '12025550100' };
    for (let i = 0; i < 2; i++) expect((await esme.submit(us)).status).toBe(Status.ESME_ROK);
    expect(flaky.stats.submitsReceived).toBe(2);
    expect(running.proxy.pools.get('flaky')!.health().circuitOpen).toBe(true);
    const beforeBeta = beta.stats.submitsReceived;
    expect((await esme.submit(us)).status).toBe(Status.ESME_ROK);
    expect(flaky.stats.submitsReceived).toBe(2);
    expect(beta.stats.submitsReceived).toBe(beforeBeta + 1);
  });

  it('fails over when the cheapest carrier has no window left', async () => {
    const fr = { destination_addr: '33612345678' };
    const betaBefore = beta.stats.submitsReceived;
    const [first, second] = await Promise.all([esme.submit(fr), esme.submit(fr)]);
    expect([first.status, second.status]).toEqual([Status.ESME_ROK, Status.ESME_ROK]);
    expect(narrow.stats.submitsReceived).toBe(1);
    expect(beta.stats.submitsReceived).toBe(betaBefore + 1);
  });

  it('answers ESME_RTHROTTLED when every candidate is over its own throughput limit', async () => {
    const de = { destination_addr: '4915112345678' };
    const statuses = await Promise.all(Array.from({ length: 8 }, () => esme.submit(de).then((r) => r.status)));
    const ok = statuses.filter((s) => s === Status.ESME_ROK).length;
    expect(ok).toBeGreaterThanOrEqual(2);
    expect(statuses.filter((s) => s === Status.ESME_RTHROTTLED).length).toBe(8 - ok);
    expect(ok).toBeLessThan(8);
    // The proxy held the excess back itself: the carrier saw only what it accepted.
    expect(metered.stats.submitsReceived).toBe(ok);
  });
});
