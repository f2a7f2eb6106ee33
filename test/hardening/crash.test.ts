import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Status, receiptedMessageIdOf } from '../../src/smpp/index.js';
import { openStore } from '../../src/store/index.js';
import { startNatsServer } from '../helpers/nats-server.js';
import { readStream, requireBuild, startChildProxy, writeConfig } from './child-proxy.js';
import { CARRIER_PASSWORD, Esme, PASSWORD, cleanupAll, startCarrier, tempDir, track, waitFor } from './harness.js';

afterEach(cleanupAll);
beforeAll(requireBuild);

const STREAM = 'CRASHTEST';

/** Keeps `window` submits in flight until stopped or the session ends; returns the ids answered ESME_ROK. */
function keepSubmitting(esme: Esme, window: number): { stop: () => void; done: Promise<{ accepted: string[]; unanswered: number }> } {
  let stopped = false;
  const accepted: string[] = [];
  let unanswered = 0;
  let n = 0;
  const worker = async (): Promise<void> => {
    while (!stopped && !esme.session.isClosed) {
      try {
        const resp = await esme.submit({ destination_addr: `4477009${String(n++ % 100_000).padStart(5, '0')}` });
        if (resp.status === Status.ESME_ROK) accepted.push(resp.body.message_id ?? '');
      } catch {
        unanswered++; // the proxy died with it in flight: no answer, so no promise was made
      }
    }
  };
  const done = Promise.all(Array.from({ length: window }, worker)).then(() => ({ accepted, unanswered }));
  return { stop: () => (stopped = true), done };
}

describe('crash', () => {
  it('SIGKILL under load, then restart: every ESME_ROK has its id map, its receipt and its events in the stream', async () => {
    const nats = await startNatsServer();
    track(() => nats.cleanup());
    // The carrier outlives the proxy, as a real one does, and re-sends receipts nobody acknowledged.
    const carrier = await startCarrier('carrier', { receiptDelayMs: 300, receiptRetryMs: 200, receiptMaxAttempts: 1_000, recordLimit: 0 });
    const dir = await tempDir('smpp-crash-');
    const storePath = join(dir, 'store');
    const configFile = await writeConfig(dir, {
      server: { listen: '127.0.0.1:0', system_id: 'CRASHPROXY', unbind_timeout: '1s', shutdown_timeout: '10s' },
      admin: { listen: false },
      store: { path: storePath },
      nats: { servers: [nats.url], stream: { name: STREAM } },
      log: { level: 'info' },
      accounts: { acme: { password: PASSWORD, allowed_ips: ['127.0.0.0/8'], max_binds: 4, window: 100 } },
      carriers: {
        main: {
          host: '127.0.0.1',
          port: carrier.port,
          system_id: 'carrier',
          password: CARRIER_PASSWORD,
          window: 100,
          reconnect: { initial: '50ms', max: '200ms' },
        },
      },
      routes: [{ name: 'all', prefix: [''], carriers: [{ carrier: 'main', cost: 0.01 }] }],
    });

    // Run 1: load, then SIGKILL mid-stream.
    const first = await startChildProxy(configFile);
    const esme1 = await Esme.bind(first.port, 'acme', { window: 100 });
    const load = keepSubmitting(esme1, 50);
    await waitFor(() => carrier.stats.accepted >= 400, '400 messages through the proxy', 20_000);
    first.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    load.stop();
    const { accepted, unanswered } = await load.done;
    expect(accepted.length).toBeGreaterThanOrEqual(300);

    // Run 2: same store, same stream.
    const second = await startChildProxy(configFile);
    const esme2 = await Esme.bind(second.port, 'acme', { window: 100 });
    const receipted = (): Set<string> => new Set([...esme1.deliveries, ...esme2.deliveries].map((d) => receiptedMessageIdOf(d.tlvs) ?? ''));
    await waitFor(() => accepted.every((id) => receipted().has(id)), 'a receipt for every accepted message', 30_000);

    // Every accepted message's events reach the stream once the outbox drains.
    const nc = await connect({ servers: nats.url });
    track(() => nc.close());
    const eventsFor = async (filter: string, key: (json: Record<string, unknown>) => unknown): Promise<Set<unknown>> =>
      new Set((await readStream(nc, STREAM, filter)).map((e) => key(e.json)));
    let billed = new Set<unknown>();
    let answered = new Set<unknown>();
    let dlrs = new Set<unknown>();
    const complete = async (): Promise<boolean> => {
      billed = await eventsFor('smpp.billing.>', (j) => j['proxy_id']);
      answered = await eventsFor('smpp.pdu.esme.*.out.submit_sm_resp', (j) => (j['fields'] as { message_id?: string } | undefined)?.message_id);
      dlrs = await eventsFor('smpp.dlr.>', (j) => j['proxy_id']);
      return accepted.every((id) => billed.has(id) && answered.has(id) && dlrs.has(id));
    };
    await waitFor(complete, 'billing, submit_sm_resp and dlr events for every accepted message', 30_000).catch(() => undefined);
    expect({
      withoutBilling: accepted.filter((id) => !billed.has(id)),
      withoutResponseEvent: accepted.filter((id) => !answered.has(id)),
      withoutDlrEvent: accepted.filter((id) => !dlrs.has(id)),
    }).toEqual({ withoutBilling: [], withoutResponseEvent: [], withoutDlrEvent: [] });

    await esme2.close();
    second.kill('SIGTERM');
    expect(await second.exited).toEqual({ code: 0, signal: null });

    // The id map of every accepted message is in the store the two runs shared.
    const store = await openStore({ path: storePath });
    try {
      const missing: string[] = [];
      for (const id of accepted) if ((await store.messages.getByProxyId(id)) === undefined) missing.push(id);
      expect(missing).toEqual([]);
    } finally {
      await store.close();
    }
    console.info(`crash: ${accepted.length} accepted before SIGKILL, ${unanswered} left unanswered by the crash; all mapped, receipted and in the stream`);
  }, 60_000);
});
