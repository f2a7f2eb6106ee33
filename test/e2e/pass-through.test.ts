import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { PASS_THROUGH_HOLD_MS } from '../../src/broker/deliveries.js';
import { Status } from '../../src/smpp/index.js';
import type { CarrierSimulator } from '../../src/sim/carrier-sim.js';
import { openMemoryStore, openStore, type Store } from '../../src/store/index.js';
import { requireBuild, startChildProxy, writeConfig } from '../hardening/child-proxy.js';
import {
  account,
  CARRIER_PASSWORD,
  cleanupAll,
  makeConfig,
  PASSWORD,
  readReceiptView,
  receiptFor,
  remoteCarrier,
  sleep,
  startCarrier,
  startProxy,
  tempDir,
  TestEsme,
  track,
  waitFor,
  type Delivery,
} from './harness.js';

/**
 * Receipts and MO passed straight through: with a receiver of the account bound and room in its
 * window, the carrier's deliver_sm goes to the ESME first and the carrier is answered once the
 * ESME has answered ESME_ROK, with nothing written to the delivery queue. Every other outcome
 * falls back to the durable queue before the carrier gets its ESME_ROK.
 */
afterEach(cleanupAll);

interface Setup {
  port: number;
  carrier: CarrierSimulator;
  store: Store;
  /** Calls of the store's enqueue. */
  enqueued: () => number;
}

async function setup(): Promise<Setup> {
  const carrier = await startCarrier('carrier');
  const store = openMemoryStore();
  track(() => store.close());
  const enqueue = vi.spyOn(store.queues, 'enqueue');
  const running = await startProxy(
    makeConfig({
      accounts: { acme: account() },
      carriers: { main: remoteCarrier(carrier, 'carrier') },
      routes: [{ name: 'all', prefix: [''], carriers: [{ carrier: 'main', cost: 0.01 }] }],
      mo_routes: [{ prefix: ['4470'], account: 'acme' }],
    }),
    { store },
  );
  return { port: running.port, carrier, store, enqueued: () => enqueue.mock.calls.length };
}

/** Submits with a receipt requested; returns the proxy id. */
async function submitOk(esme: TestEsme): Promise<string> {
  const resp = await esme.submit({ destination_addr: '447700900123', registered_delivery: 1 });
  expect(resp.status).toBe(Status.ESME_ROK);
  return resp.body.message_id!;
}

/** The carrier's record of our answers to its receipts (one per deliver_sm it sent). */
function answersOf(carrier: CarrierSimulator): (number | undefined)[] {
  return carrier.receipts.map((r) => r.status);
}

describe('pass-through of receipts and MO', () => {
  it('answers the carrier only after the ESME answered ESME_ROK, and writes nothing to the queue', async () => {
    const { port, carrier, store, enqueued } = await setup();
    const esme = await TestEsme.bind(port, 'acme', { answer: () => undefined });
    const proxyId = await submitOk(esme);
    const delivery = await esme.waitForDelivery(receiptFor(proxyId));
    // Well inside the hold: the carrier is still waiting for our answer.
    await sleep(PASS_THROUGH_HOLD_MS / 2);
    expect(carrier.receipts).toHaveLength(0);
    expect(store.queues.depth('acme')).toBe(0);

    delivery.respond(Status.ESME_ROK, { message_id: '' });
    await waitFor(() => carrier.receipts.length === 1, 'the carrier to get our answer');
    expect(answersOf(carrier)).toEqual([Status.ESME_ROK]);
    expect(enqueued()).toBe(0);
    expect(store.queues.depth('acme')).toBe(0);
    expect(esme.deliveries).toHaveLength(1);
  });

  it('passes many receipts through, more than the window holds at once, none queued for good', async () => {
    const { port, carrier, store } = await setup();
    const esme = await TestEsme.bind(port, 'acme');
    const ids: string[] = [];
    // Eight at a time: within the carrier's window of ten, so no submit is refused.
    for (let batch = 0; batch < 5; batch++) ids.push(...(await Promise.all(Array.from({ length: 8 }, () => submitOk(esme)))));
    await carrier.waitForReceipts(40);
    await esme.waitForDeliveries(40);
    expect(new Set(esme.deliveries.map((d) => readReceiptView(d)?.tlvId))).toEqual(new Set(ids));
    await waitFor(() => store.queues.depth('acme') === 0, 'nothing left queued');
  });

  it('passes an MO through: the carrier learns the ESME took it from our answer', async () => {
    const { port, carrier, enqueued } = await setup();
    const esme = await TestEsme.bind(port, 'acme', { answer: () => undefined });
    const sent = carrier.sendMo({ from: '447999000111', to: '447000123456', text: 'straight through', systemId: 'carrier' });
    const delivery = await esme.waitForDelivery((d) => d.pdu.body.short_message.toString('latin1') === 'straight through');
    let settled = false;
    void sent.then(() => (settled = true));
    await sleep(PASS_THROUGH_HOLD_MS / 2);
    expect(settled).toBe(false);
    delivery.respond(Status.ESME_ROK, { message_id: '' });
    expect(await sent).toMatchObject({ ok: true, statuses: [Status.ESME_ROK] });
    expect(enqueued()).toBe(0);
  });

  it('queues a receipt the ESME answered with ESME_RX_T_APPN and delivers it again later', async () => {
    const { port, carrier, store, enqueued } = await setup();
    const esme = await TestEsme.bind(port, 'acme', { answer: (_d, index) => (index === 0 ? Status.ESME_RX_T_APPN : Status.ESME_ROK) });
    const proxyId = await submitOk(esme);
    await waitFor(() => carrier.receipts.length === 1, 'the carrier to get our answer');
    // The carrier is done with it: the proxy keeps it.
    expect(answersOf(carrier)).toEqual([Status.ESME_ROK]);
    expect(enqueued()).toBe(1);
    const [first, second] = await esme.waitForDeliveries(2, 5_000);
    expect(readReceiptView(first!)?.tlvId).toBe(proxyId);
    expect(readReceiptView(second!)?.tlvId).toBe(proxyId);
    await waitFor(() => store.queues.depth('acme') === 0, 'the queue to drain');
    expect(await store.queues.deadLetters({ account: 'acme' })).toEqual([]);
    expect(carrier.receipts).toHaveLength(1);
  });

  it('records a receipt the ESME answered with ESME_RX_P_APPN as a dead letter before the carrier gets ESME_ROK', async () => {
    const { port, carrier, store } = await setup();
    const deadAtAnswer: number[] = [];
    carrier.on('receipt', () => void store.queues.deadLetters({ account: 'acme' }).then((d) => deadAtAnswer.push(d.length)));
    const esme = await TestEsme.bind(port, 'acme', { answer: () => Status.ESME_RX_P_APPN });
    const proxyId = await submitOk(esme);
    await waitFor(() => carrier.receipts.length === 1, 'the carrier to get our answer');
    expect(answersOf(carrier)).toEqual([Status.ESME_ROK]);
    await waitFor(() => deadAtAnswer.length === 1, 'the dead letter count');
    expect(deadAtAnswer).toEqual([1]);
    const [dead] = await store.queues.deadLetters({ account: 'acme' });
    expect(dead).toMatchObject({ proxyId, reason: expect.stringContaining('ESME_RX_P_APPN') as string });
    expect(store.queues.depth('acme')).toBe(0);
    await sleep(1_200); // past the first retry delay: it never comes back
    expect(esme.deliveries).toHaveLength(1);
  });

  it('answers the carrier after the hold when the ESME does not answer, and the late answer settles the queued item', async () => {
    const { port, carrier, store, enqueued } = await setup();
    const esme = await TestEsme.bind(port, 'acme', { answer: () => undefined });
    const proxyId = await submitOk(esme);
    const delivery = await esme.waitForDelivery(receiptFor(proxyId));
    const arrived = Date.now();
    await waitFor(() => carrier.receipts.length === 1, 'the carrier to get our answer after the hold', 5_000);
    expect(Date.now() - arrived).toBeGreaterThanOrEqual(PASS_THROUGH_HOLD_MS - 100);
    expect(answersOf(carrier)).toEqual([Status.ESME_ROK]);
    expect(enqueued()).toBe(1);
    expect(store.queues.depth('acme')).toBe(1);

    // A bind starts a drain of the account's queue: it must leave the item the ESME still has.
    const other = await TestEsme.bind(port, 'acme', { bindType: 'receiver' });
    await sleep(300);
    expect(other.deliveries).toHaveLength(0);
    expect(esme.deliveries).toHaveLength(1);

    delivery.respond(Status.ESME_ROK, { message_id: '' });
    await waitFor(() => store.queues.depth('acme') === 0, 'the late answer to settle the queued item');
    await sleep(1_200); // past the first retry delay
    expect(esme.deliveries.length + other.deliveries.length).toBe(1);
    expect(await store.queues.deadLetters({ account: 'acme' })).toEqual([]);
    expect(carrier.receipts).toHaveLength(1);
  });

  it('queues a receipt whose ESME session is lost before it answered, and delivers it to the next receiver', async () => {
    const { port, carrier, store } = await setup();
    const esme = await TestEsme.bind(port, 'acme', { answer: () => undefined });
    const proxyId = await submitOk(esme);
    await esme.waitForDelivery(receiptFor(proxyId));
    esme.session.close('gone');
    await waitFor(() => carrier.receipts.length === 1, 'the carrier to get our answer');
    expect(answersOf(carrier)).toEqual([Status.ESME_ROK]);
    await waitFor(() => store.queues.depth('acme') === 1, 'the receipt to be queued');
    const next = await TestEsme.bind(port, 'acme', { bindType: 'receiver' });
    const delivery = await next.waitForDelivery(receiptFor(proxyId), 5_000);
    expect(readReceiptView(delivery)?.tlvId).toBe(proxyId);
    await waitFor(() => store.queues.depth('acme') === 0, 'the queue to drain');
  });

  it('queues a receipt while no receiver is bound, as before', async () => {
    const { port, carrier, store, enqueued } = await setup();
    const tx = await TestEsme.bind(port, 'acme', { bindType: 'transmitter' });
    const proxyId = await submitOk(tx);
    await waitFor(() => carrier.receipts.length === 1, 'the carrier to get our answer');
    expect(answersOf(carrier)).toEqual([Status.ESME_ROK]);
    expect(enqueued()).toBe(1);
    expect(store.queues.depth('acme')).toBe(1);
    const rx = await TestEsme.bind(port, 'acme', { bindType: 'receiver' });
    await rx.waitForDelivery(receiptFor(proxyId));
    await waitFor(() => store.queues.depth('acme') === 0, 'the queue to drain');
    expect(tx.deliveries).toHaveLength(0);
  });
});

describe('pass-through and a crash', () => {
  beforeAll(requireBuild);

  it('a proxy killed while the ESME holds a receipt: the carrier, never answered, sends it again and the ESME gets it', async () => {
    // The carrier outlives the proxy, as a real one does, and re-sends receipts nobody answered.
    const carrier = await startCarrier('carrier', { receiptDelayMs: 50, receiptRetryMs: 200 });
    const dir = await tempDir('smpp-pass-through-');
    const storePath = join(dir, 'store');
    const configFile = await writeConfig(dir, {
      server: { listen: '127.0.0.1:0', system_id: 'PASSPROXY', unbind_timeout: '1s' },
      admin: { listen: false },
      store: { path: storePath },
      nats: { enabled: false },
      log: { level: 'info' },
      accounts: { acme: { password: PASSWORD, allowed_ips: ['127.0.0.0/8'], max_binds: 4 } },
      carriers: {
        main: { host: '127.0.0.1', port: carrier.port, system_id: 'carrier', password: CARRIER_PASSWORD, reconnect: { initial: '50ms', max: '200ms' } },
      },
      routes: [{ name: 'all', prefix: [''], carriers: [{ carrier: 'main', cost: 0.01 }] }],
    });

    const first = await startChildProxy(configFile);
    await waitFor(() => carrier.stats.boundSessions === 1, 'the proxy to bind to the carrier');
    const holder = await TestEsme.bind(first.port, 'acme', { answer: () => undefined });
    const proxyId = await submitOk(holder);
    await holder.waitForDelivery(receiptFor(proxyId));
    first.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    // Killed inside the hold: the carrier never got an answer to its deliver_sm.
    expect(carrier.stats.receiptsAcknowledged).toBe(0);

    const second = await startChildProxy(configFile);
    const esme = await TestEsme.bind(second.port, 'acme');
    const delivery: Delivery = await esme.waitForDelivery(receiptFor(proxyId), 10_000);
    expect(readReceiptView(delivery)).toEqual({ tlvId: proxyId, textId: proxyId, stat: 'DELIVRD' });
    await waitFor(() => carrier.stats.receiptsAcknowledged === 1, 'the carrier to get ESME_ROK');
    second.kill('SIGTERM');
    await second.exited;
    // Nothing was ever queued: the ESME had it straight from the carrier both times.
    const store = await openStore({ path: storePath });
    try {
      expect(store.queues.depth('acme')).toBe(0);
      expect(await store.queues.deadLetters()).toEqual([]);
    } finally {
      await store.close();
    }
  }, 40_000);
});
