import { afterEach, describe, expect, it } from 'vitest';
import type { BillingEvent } from '../../src/broker/events.js';
import type { SmppProxy } from '../../src/broker/proxy.js';
import { Status } from '../../src/smpp/index.js';
import { openMemoryStore } from '../../src/store/index.js';
import type { CarrierSimulator } from '../../src/sim/carrier-sim.js';
import { Esme, account, cleanupAll, makeConfig, remoteCarrier, startCarrier, startProxy, waitFor } from './harness.js';

afterEach(cleanupAll);

/** alpha is cheaper and tried first; beta is the fallback. */
async function twoCarriers(
  alphaExtra: Record<string, unknown>,
  alphaSim: Parameters<typeof startCarrier>[1] = {},
  betaExtra: Record<string, unknown> = {},
) {
  const alpha = await startCarrier('alpha', alphaSim);
  const beta = await startCarrier('beta');
  const store = openMemoryStore();
  const running = await startProxy(
    makeConfig({
      accounts: { acme: account() },
      carriers: {
        alpha: remoteCarrier(alpha, 'alpha', { window: 100, ...alphaExtra }),
        beta: remoteCarrier(beta, 'beta', { window: 100, ...betaExtra }),
      },
      routes: [{ name: 'all', prefix: [''], carriers: [{ carrier: 'alpha', cost: 0.01 }, { carrier: 'beta', cost: 0.02 }] }],
    }),
    { store },
  );
  const billing: BillingEvent[] = [];
  running.proxy.events.on('billing', (e) => billing.push(e));
  return { ...running, alpha, beta, store, billing };
}

/** Nothing left in flight anywhere: proxy work, carrier windows, the ESME's own requests. */
async function nothingPending(proxy: SmppProxy, esme: Esme): Promise<void> {
  await waitFor(
    () => proxy.pendingWork === 0 && [...proxy.pools.values()].every((p) => p.inFlight === 0) && esme.session.pendingRequests === 0,
    'nothing in flight',
  );
}

function submitsOf(sim: CarrierSimulator): number {
  return sim.stats.submitsReceived;
}

describe('upstream faults', () => {
  it('carrier connection reset with 100 submits in flight, 20 times: each re-routed or refused, the ledger balances', async () => {
    // alpha takes every submit and never answers on its own; the test resets it mid-flight.
    const { proxy, port, alpha, beta, store, billing } = await twoCarriers(
      { response_timeout: '20s', enquire_link_interval: '30s', circuit_breaker: { failures: 1_000_000 } },
      { responseDelayMs: 600_000 },
      // Its refusals must not open its circuit: every round is meant to reach it.
      { circuit_breaker: { failures: 1_000_000 } },
    );
    const esme = await Esme.bind(port, 'acme', { window: 100 });
    const ROUNDS = 20;
    const IN_FLIGHT = 100;
    const outcomes: number[] = [];
    // In every fifth round beta refuses too (temporarily), so those submits have nowhere to go.
    const betaRefuses = (round: number): boolean => round % 5 === 4;
    for (let round = 0; round < ROUNDS; round++) {
      beta.configure({ failure: betaRefuses(round) ? { status: Status.ESME_RMSGQFUL, everyNth: 1 } : null });
      const before = submitsOf(alpha);
      const pending = Array.from({ length: IN_FLIGHT }, (_, i) =>
        esme.submit({ registered_delivery: 0, destination_addr: `4477009${String(round * IN_FLIGHT + i).padStart(5, '0')}` }),
      );
      await waitFor(() => submitsOf(alpha) >= before + IN_FLIGHT, `round ${round}: ${IN_FLIGHT} submits at alpha`);
      expect(proxy.pools.get('alpha')!.inFlight).toBe(IN_FLIGHT);
      alpha.dropSessions();
      const responses = await Promise.all(pending);
      outcomes.push(...responses.map((r) => r.status));
      await waitFor(() => proxy.pools.get('alpha')!.health().bound, `round ${round}: alpha bound again`);
    }
    await nothingPending(proxy, esme);

    const accepted = ROUNDS * IN_FLIGHT;
    const acknowledged = outcomes.filter((s) => s === Status.ESME_ROK).length;
    const failed = outcomes.filter((s) => s !== Status.ESME_ROK).length;
    expect(outcomes).toHaveLength(accepted);
    expect(acknowledged + failed).toBe(accepted);
    // Rounds where beta took them: all acknowledged. Rounds where it refused: all answered with
    // a retry-later error, none left hanging.
    const refusedRounds = Array.from({ length: ROUNDS }, (_, r) => r).filter(betaRefuses).length;
    expect(failed).toBe(refusedRounds * IN_FLIGHT);
    expect(outcomes.filter((s) => s !== Status.ESME_ROK).every((s) => s === Status.ESME_RMSGQFUL)).toBe(true);
    expect(submitsOf(beta)).toBe(accepted);
    // Every acknowledged message is billed once and mapped once, on beta.
    expect(billing).toHaveLength(acknowledged);
    expect(new Set(billing.map((b) => b.proxyId)).size).toBe(acknowledged);
    expect(billing.every((b) => b.carrier === 'beta')).toBe(true);
    expect(store.messages.count()).toBe(acknowledged);
  }, 60_000);

  it('carrier that never answers: requests time out, fail over, and nothing is left pending', async () => {
    const { proxy, port, alpha, beta, billing } = await twoCarriers({ response_timeout: '300ms' }, { silent: true });
    const esme = await Esme.bind(port, 'acme');
    const failovers: string[] = [];
    proxy.events.on('failover', (e) => failovers.push(`${e.fromCarrier}:${e.reason}`));
    const responses = await Promise.all(Array.from({ length: 50 }, () => esme.submit({ registered_delivery: 0 })));
    expect(responses.map((r) => r.status)).toEqual(Array(50).fill(Status.ESME_ROK));
    expect(billing.every((b) => b.carrier === 'beta')).toBe(true);
    expect(submitsOf(beta)).toBe(50);
    // Some reached alpha and timed out; then its circuit opened and the rest went straight to beta.
    expect(failovers.filter((f) => f === 'alpha:timeout').length).toBeGreaterThanOrEqual(5);
    expect(failovers.every((f) => f === 'alpha:timeout' || f === 'alpha:circuit_open')).toBe(true);
    expect(proxy.pools.get('alpha')!.health().circuitOpen).toBe(true);
    await nothingPending(proxy, esme);
    // Silence on submits is not a dead link: alpha stays bound (its keepalives are answered).
    expect(proxy.pools.get('alpha')!.health().bound).toBe(true);
    expect(alpha.stats.silenced).toBe(submitsOf(alpha));
  }, 30_000);

  it('temporary statuses (0x14, 0x58, 0x08, 0x64) are retried on the next carrier; permanent ones (0x0B, 0x45) are returned', async () => {
    const { proxy, port, alpha, beta } = await twoCarriers({ circuit_breaker: { failures: 1_000_000 } });
    const esme = await Esme.bind(port, 'acme');
    const cases = [
      { status: 0x14, temporary: true },
      { status: 0x58, temporary: true },
      { status: 0x08, temporary: true },
      { status: 0x64, temporary: true },
      { status: 0x0b, temporary: false },
      { status: 0x45, temporary: false },
    ];
    for (const c of cases) {
      alpha.configure({ failure: { status: c.status, everyNth: 1 } });
      const [atAlpha, atBeta] = [submitsOf(alpha), submitsOf(beta)];
      const resp = await esme.submit({ registered_delivery: 0 });
      const label = `status 0x${c.status.toString(16)}`;
      expect(submitsOf(alpha), label).toBe(atAlpha + 1);
      if (c.temporary) {
        expect(resp.status, label).toBe(Status.ESME_ROK);
        expect(submitsOf(beta), label).toBe(atBeta + 1);
      } else {
        expect(resp.status, label).toBe(c.status);
        expect(submitsOf(beta), label).toBe(atBeta);
      }
    }
    await nothingPending(proxy, esme);
  });
});
