import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SmppSession } from '../../src/session/index.js';
import { submitSmPdu } from '../../src/sim/pdus.js';
import { Status } from '../../src/smpp/index.js';
import { requireBuild, startChildProxy, writeConfig } from './child-proxy.js';
import { CARRIER_PASSWORD, Esme, PASSWORD, cleanupAll, startCarrier, tempDir, waitFor } from './harness.js';

afterEach(cleanupAll);
beforeAll(requireBuild);

interface Tally {
  sent: number;
  answered: number;
  /** Sent, and the session ended without an answer: the failure this test is about. */
  unanswered: number;
  statuses: Map<number, number>;
}

/**
 * Keeps `window` submits in flight on the raw session until it stops taking requests. A submit
 * the session refuses to send (unbinding, closed) is not counted: only those on the wire are.
 */
async function loadUntilRefused(session: SmppSession, window: number, tally: Tally): Promise<void> {
  const worker = async (): Promise<void> => {
    for (let n = 0; ; n++) {
      const pending = session.request(submitSmPdu({ destination_addr: `4477009${String(n % 100_000).padStart(5, '0')}` }));
      if (pending === null) {
        // Unbinding or closed: the session takes no more work. Otherwise the window is full.
        if (session.state !== 'BOUND_TRX') return;
        await new Promise((r) => setTimeout(r, 5));
        continue;
      }
      tally.sent++;
      try {
        const resp = await pending;
        tally.answered++;
        tally.statuses.set(resp.status, (tally.statuses.get(resp.status) ?? 0) + 1);
      } catch {
        tally.unanswered++;
      }
    }
  };
  await Promise.all(Array.from({ length: window }, worker));
}

describe('shutdown', () => {
  it('SIGTERM under load: every submit on the wire is answered and the process exits 0 within the deadline', async () => {
    // The carrier answers after 300 ms, so a full window is always in flight when the signal comes.
    const carrier = await startCarrier('carrier', { responseDelayMs: 300, receiptDelayMs: 50 });
    const dir = await tempDir('smpp-shutdown-');
    const SHUTDOWN_TIMEOUT_MS = 10_000;
    const configFile = await writeConfig(dir, {
      server: { listen: '127.0.0.1:0', system_id: 'STOPPROXY', unbind_timeout: '2s', shutdown_timeout: `${SHUTDOWN_TIMEOUT_MS}ms` },
      admin: { listen: false },
      store: { path: `${dir}/store` },
      nats: { enabled: false },
      log: { level: 'info' },
      accounts: { acme: { password: PASSWORD, allowed_ips: ['127.0.0.0/8'], max_binds: 4 } },
      carriers: {
        main: { host: '127.0.0.1', port: carrier.port, system_id: 'carrier', password: CARRIER_PASSWORD, window: 200, response_timeout: '5s', reconnect: { initial: '50ms', max: '200ms' } },
      },
      routes: [{ name: 'all', prefix: [''], carriers: [{ carrier: 'main', cost: 0.01 }] }],
    });
    const child = await startChildProxy(configFile);
    const esmes = [await Esme.bind(child.port, 'acme', { window: 50 }), await Esme.bind(child.port, 'acme', { window: 50 })];
    const tally: Tally = { sent: 0, answered: 0, unanswered: 0, statuses: new Map() };
    const loads = esmes.map((esme) => loadUntilRefused(esme.session, 50, tally));
    await waitFor(() => tally.answered >= 300, '300 submits answered before the signal', 20_000);

    const signalledAt = Date.now();
    child.kill('SIGTERM');
    const exit = await child.exited;
    const tookMs = Date.now() - signalledAt;
    await Promise.all(loads);

    expect(exit, child.logs.slice(-20).join('\n')).toEqual({ code: 0, signal: null });
    expect(tookMs).toBeLessThan(SHUTDOWN_TIMEOUT_MS + 2_000);
    expect(tally.unanswered, JSON.stringify(Object.fromEntries(tally.statuses))).toBe(0);
    expect(tally.answered).toBe(tally.sent);
    expect(tally.statuses.get(Status.ESME_ROK) ?? 0).toBeGreaterThanOrEqual(300);
    expect(esmes.every((e) => e.session.isClosed)).toBe(true);
    console.info(`shutdown: ${tally.sent} submits on the wire, all answered ${JSON.stringify(Object.fromEntries(tally.statuses))}; exit 0 after ${tookMs} ms`);
  }, 60_000);
});
