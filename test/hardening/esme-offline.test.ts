import { afterEach, describe, expect, it } from 'vitest';
import { Status, receiptedMessageIdOf } from '../../src/smpp/index.js';
import { openMemoryStore } from '../../src/store/index.js';
import { Esme, account, cleanupAll, makeConfig, remoteCarrier, sleep, startCarrier, startProxy, waitFor } from './harness.js';

afterEach(cleanupAll);

async function setup() {
  const carrier = await startCarrier('carrier', { receiptDelayMs: 10 });
  const store = openMemoryStore();
  const running = await startProxy(
    makeConfig({
      accounts: { acme: account() },
      carriers: { main: remoteCarrier(carrier, 'carrier', { window: 100 }) },
      routes: [{ name: 'all', prefix: [''], carriers: [{ carrier: 'main', cost: 0.01 }] }],
    }),
    { store },
  );
  return { ...running, carrier, store };
}

/** Submits `count` messages from a transmitter-only bind (which cannot take receipts); returns the proxy ids. */
async function submitWhileOffline(port: number, count: number): Promise<string[]> {
  const sender = await Esme.bind(port, 'acme', { bindType: 'transmitter', window: 100 });
  const responses = await Promise.all(Array.from({ length: count }, () => sender.submit()));
  expect(responses.every((r) => r.status === Status.ESME_ROK)).toBe(true);
  return responses.map((r) => r.body.message_id ?? '');
}

function idsOf(deliveries: Esme['deliveries']): string[] {
  return deliveries.map((d) => receiptedMessageIdOf(d.tlvs) ?? '');
}

describe('ESME offline', () => {
  it('keeps receipts for an account with no receiver bound and delivers all of them once one binds', async () => {
    const { port, carrier, store } = await setup();
    const ids = await submitWhileOffline(port, 200);
    await carrier.waitForReceipts(200);
    await waitFor(() => store.queues.depth('acme') === 200, '200 receipts queued');
    await sleep(300); // offline for a while longer: nothing is lost or dropped meanwhile
    expect(store.queues.depth('acme')).toBe(200);

    const receiver = await Esme.bind(port, 'acme', { bindType: 'receiver' });
    await receiver.waitForDeliveries(200);
    expect(new Set(idsOf(receiver.deliveries))).toEqual(new Set(ids));
    await waitFor(() => store.queues.depth('acme') === 0, 'queue drained');
    expect(await store.queues.deadLetters({ account: 'acme' })).toEqual([]);
  });

  it('retries a receipt the ESME answers with ESME_RX_T_APPN until it takes it', async () => {
    const { port, carrier, store } = await setup();
    const ids = await submitWhileOffline(port, 20);
    await carrier.waitForReceipts(20);
    await waitFor(() => store.queues.depth('acme') === 20, '20 receipts queued');
    const firstSeen = new Set<string>();
    const receiver = await Esme.bind(port, 'acme', {
      bindType: 'receiver',
      // The first attempt of each receipt is refused for now; the retry is taken.
      answer: (pdu) => {
        const id = receiptedMessageIdOf(pdu.tlvs) ?? '';
        if (firstSeen.has(id)) return Status.ESME_ROK;
        firstSeen.add(id);
        return Status.ESME_RX_T_APPN;
      },
    });
    await receiver.waitForDeliveries(40, 15_000);
    await waitFor(() => store.queues.depth('acme') === 0, 'queue drained', 15_000);
    const delivered = idsOf(receiver.deliveries);
    expect(delivered).toHaveLength(40);
    expect(new Set(delivered)).toEqual(new Set(ids));
    for (const id of ids) expect(delivered.filter((d) => d === id)).toHaveLength(2);
    expect(await store.queues.deadLetters({ account: 'acme' })).toEqual([]);
  }, 30_000);

  it('drops a receipt the ESME answers with ESME_RX_P_APPN, records it, and never sends it again', async () => {
    const { port, carrier, store } = await setup();
    const ids = await submitWhileOffline(port, 20);
    await carrier.waitForReceipts(20);
    await waitFor(() => store.queues.depth('acme') === 20, '20 receipts queued');
    const receiver = await Esme.bind(port, 'acme', { bindType: 'receiver', answer: () => Status.ESME_RX_P_APPN });
    await receiver.waitForDeliveries(20);
    await waitFor(() => store.queues.depth('acme') === 0, 'queue emptied');
    const dead = await store.queues.deadLetters({ account: 'acme', limit: 1_000 });
    expect(dead).toHaveLength(20);
    expect(new Set(dead.map((d) => d.proxyId))).toEqual(new Set(ids));
    expect(dead.every((d) => /ESME_RX_P_APPN/.test(d.reason))).toBe(true);
    // Longer than the first retry delay: a dropped receipt must not come back.
    await sleep(1_500);
    expect(receiver.deliveries).toHaveLength(20);
  }, 20_000);
});

describe('delivery queue failures', () => {
  it('a queue that cannot be read when an ESME binds is retried later, not an unhandled rejection that ends the process', async () => {
    const { port, store, proxy } = await setup();
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      // The store fails underneath the running proxy (here: closed; in production a failing disk).
      await store.close();
      const receiver = await Esme.bind(port, 'acme', { bindType: 'receiver' });
      await sleep(200);
      expect(receiver.session.isClosed).toBe(false);
      expect(proxy.registry.count('acme')).toBe(1);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    expect(unhandled).toEqual([]);
  });
});
