import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CarrierSimulator } from '../../src/sim/carrier-sim.js';
import type { SimIdFormat } from '../../src/sim/message-ids.js';
import { cstringTlv, Status, TlvTag, type PduOf } from '../../src/smpp/index.js';
import {
  account,
  cleanupAll,
  makeConfig,
  readReceiptView,
  receiptFor,
  remoteCarrier,
  startCarrier,
  startProxy,
  TestEsme,
  waitFor,
  type RunningProxy,
} from './harness.js';

/**
 * Receipts on their way back: matched whatever way the carrier writes its ids, rewritten to the
 * proxy id in the TLV and the text, queued while the account has no receiver, retried on
 * ESME_RX_T_APPN and dropped (kept as a dead letter) on ESME_RX_P_APPN.
 */
interface FormatCase {
  name: string;
  format: SimIdFormat;
  prefix: string;
  firstMessageNumber?: number;
}

const FORMATS: FormatCase[] = [
  { name: 'hex', format: 'hex', prefix: '4471' },
  { name: 'decimal', format: 'decimal', prefix: '4472' },
  // Hex in submit_sm_resp, the same number in decimal in the receipt.
  { name: 'hex-resp/decimal-receipt', format: 'hex-decimal', prefix: '4473', firstMessageNumber: 0xa1b2c3d4e5 },
  // The same, with a hex id that has no letter and so reads as a decimal number too.
  { name: 'hex-resp without letters/decimal-receipt', format: 'hex-decimal', prefix: '4474', firstMessageNumber: 0x1234567890 },
  { name: 'opaque string', format: 'string', prefix: '4475' },
];

const sims = new Map<string, CarrierSimulator>();
let slow: CarrierSimulator;
let running: RunningProxy;
let acme: TestEsme;

beforeAll(async () => {
  const carriers: Record<string, unknown> = {};
  const routes: unknown[] = [];
  for (const [i, f] of FORMATS.entries()) {
    const name = `c${i}`;
    const sim = await startCarrier(name, {
      messageIdFormat: f.format,
      ...(f.firstMessageNumber === undefined ? {} : { firstMessageNumber: f.firstMessageNumber }),
    });
    sims.set(f.name, sim);
    carriers[name] = remoteCarrier(sim, name);
    routes.push({ name: `r${i}`, prefix: [f.prefix], carriers: [{ carrier: name, cost: 0.01 }] });
  }
  // Answers submit_sm 300 ms late but sends the receipt at once: the receipt comes first.
  slow = await startCarrier('slow', { responseDelayMs: 300, receiptDelayMs: 0 });
  carriers['slow'] = remoteCarrier(slow, 'slow');
  routes.push({ name: 'uk', prefix: ['447'], carriers: [{ carrier: 'slow', cost: 0.01 }] });

  const config = makeConfig({
    accounts: { acme: account(), later: account(), picky: account(), refuser: account(), narrow: account({ window: 2 }) },
    carriers,
    routes,
  });
  running = await startProxy(config);
  acme = await TestEsme.bind(running.port, 'acme');
});

afterAll(cleanupAll);

/** Submits and returns the proxy id; the submit must be accepted. */
async function submitOk(esme: TestEsme, destination: string): Promise<string> {
  const resp = await esme.submit({ destination_addr: destination, registered_delivery: 1 });
  expect(resp.status).toBe(Status.ESME_ROK);
  const id = resp.body.message_id ?? '';
  expect(id).not.toBe('');
  return id;
}

describe('receipt id mapping', () => {
  it.each(FORMATS.map((f) => [f.name, f] as const))('%s carrier ids: the receipt carries the proxy id in TLV and text', async (_n, f) => {
    const sim = sims.get(f.name)!;
    const proxyId = await submitOk(acme, `${f.prefix}00900123`);
    const delivery = await acme.waitForDelivery(receiptFor(proxyId));
    const view = readReceiptView(delivery)!;
    expect(view).toEqual({ tlvId: proxyId, textId: proxyId, stat: 'DELIVRD' });

    // Everything else is the carrier's receipt as it was sent.
    const submit = sim.submits.at(-1)!;
    // The simulator records a receipt once our deliver_sm_resp reaches it, which can be after the ESME got it.
    await waitFor(() => sim.receipts.some((r) => r.messageId === submit.messageId), 'the carrier to record the receipt answer');
    const sent = sim.receipts.find((r) => r.messageId === submit.messageId)!;
    if (f.format === 'hex-decimal') expect(sent.receiptId).not.toBe(sent.messageId);
    const carrierPdu: PduOf<'deliver_sm'> = sent.pdu;
    const carrierText = carrierPdu.body.short_message.toString('latin1');
    expect(carrierText.startsWith(`id:${sent.receiptId} `)).toBe(true);
    const got = delivery.pdu;
    expect(got.body.short_message.toString('latin1')).toBe(carrierText.replace(`id:${sent.receiptId} `, `id:${proxyId} `));
    expect({ ...got.body, short_message: undefined }).toEqual({ ...carrierPdu.body, short_message: undefined });
    expect(got.tlvs).toEqual(carrierPdu.tlvs.map((t) => (t.tag === TlvTag.receipted_message_id ? cstringTlv(t.tag, proxyId) : t)));
    expect(sent.status).toBe(Status.ESME_ROK);
  });

  it('matches a receipt that arrives before the submit_sm_resp carrying its id', async () => {
    const arrivals: string[] = [];
    const onPdu = (e: { side: string; peer: string; direction: string; command: string }): void => {
      if (e.side === 'carrier' && e.peer === 'slow' && e.direction === 'in') arrivals.push(e.command);
    };
    running.proxy.events.on('pdu', onPdu);
    try {
      const proxyId = await submitOk(acme, '447700900123');
      const delivery = await acme.waitForDelivery(receiptFor(proxyId));
      expect(readReceiptView(delivery)).toEqual({ tlvId: proxyId, textId: proxyId, stat: 'DELIVRD' });
      // The carrier really did send the receipt first.
      expect(arrivals.filter((c) => c === 'deliver_sm' || c === 'submit_sm_resp')).toEqual(['deliver_sm', 'submit_sm_resp']);
      const submit = slow.submits.at(-1)!;
      await waitFor(() => slow.receipts.some((r) => r.messageId === submit.messageId), 'the carrier to record the receipt answer');
      expect(slow.receipts.find((r) => r.messageId === submit.messageId)!.status).toBe(Status.ESME_ROK);
    } finally {
      running.proxy.events.off('pdu', onPdu);
    }
  });
});

describe('delivery to the account', () => {
  it('queues a receipt while the account has no receiver and delivers it when one binds', async () => {
    const tx = await TestEsme.bind(running.port, 'later', { bindType: 'transmitter' });
    const store = running.proxy.storeHandle;
    const sim = sims.get('hex')!;
    const acked = sim.stats.receiptsAcknowledged;
    const proxyId = await submitOk(tx, '447100900123');
    // The proxy took the receipt from the carrier and keeps it.
    await waitFor(() => sim.stats.receiptsAcknowledged > acked, 'the carrier to hand over the receipt');
    await waitFor(() => store.queues.depth('later') === 1, 'the receipt to be queued');
    expect(tx.deliveries).toHaveLength(0);

    const rx = await TestEsme.bind(running.port, 'later', { bindType: 'receiver' });
    const delivery = await rx.waitForDelivery(receiptFor(proxyId));
    expect(readReceiptView(delivery)?.tlvId).toBe(proxyId);
    await waitFor(() => store.queues.depth('later') === 0, 'the queue to drain');
    expect(tx.deliveries).toHaveLength(0);
  });

  it('retries a receipt the ESME answered with ESME_RX_T_APPN', async () => {
    const esme = await TestEsme.bind(running.port, 'picky', {
      answer: (_d, index) => (index === 0 ? Status.ESME_RX_T_APPN : Status.ESME_ROK),
    });
    const proxyId = await submitOk(esme, '447200900123');
    await esme.waitForDeliveries(2, 8_000);
    expect(esme.deliveries.map((d) => readReceiptView(d)?.tlvId)).toEqual([proxyId, proxyId]);
    expect(esme.deliveries[1]!.pdu.body.short_message.equals(esme.deliveries[0]!.pdu.body.short_message)).toBe(true);
    const store = running.proxy.storeHandle;
    await waitFor(() => store.queues.depth('picky') === 0, 'the queue to drain');
    expect(await store.queues.deadLetters({ account: 'picky' })).toHaveLength(0);
  });

  it('drops a receipt the ESME answered with ESME_RX_P_APPN and records it as a dead letter', async () => {
    const esme = await TestEsme.bind(running.port, 'refuser', { answer: () => Status.ESME_RX_P_APPN });
    const proxyId = await submitOk(esme, '447300900123');
    await esme.waitForDelivery(receiptFor(proxyId));
    const store = running.proxy.storeHandle;
    await waitFor(async () => (await store.queues.deadLetters({ account: 'refuser' })).length === 1, 'the dead letter');
    const [dead] = await store.queues.deadLetters({ account: 'refuser' });
    expect(dead!.proxyId).toBe(proxyId);
    expect(dead!.reason).toContain('ESME_RX_P_APPN');
    expect(store.queues.depth('refuser')).toBe(0);
    expect(esme.deliveries).toHaveLength(1);
  });

  it("keeps no more receipts outstanding on a session than the account's window", async () => {
    const tx = await TestEsme.bind(running.port, 'narrow', { bindType: 'transmitter' });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await submitOk(tx, `44710090020${i}`));
    const store = running.proxy.storeHandle;
    await waitFor(() => store.queues.depth('narrow') === 5, 'five queued receipts');
    // This receiver answers nothing by itself: the test answers.
    const rx = await TestEsme.bind(running.port, 'narrow', { bindType: 'receiver', answer: () => undefined });
    await rx.waitForDeliveries(2);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(rx.deliveries).toHaveLength(2);
    for (let answered = 0; answered < 5; answered++) {
      const next = await rx.waitForDeliveries(answered + 1);
      next[answered]!.respond(Status.ESME_ROK, { message_id: '' });
      expect(rx.deliveries.length - (answered + 1)).toBeLessThanOrEqual(2);
    }
    await waitFor(() => store.queues.depth('narrow') === 0, 'the queue to drain');
    expect(rx.deliveries.map((d) => readReceiptView(d)?.tlvId).sort()).toEqual([...ids].sort());
  });

  it('never sends one account the receipts of another', async () => {
    const other = await TestEsme.bind(running.port, 'later', { bindType: 'receiver' });
    const proxyId = await submitOk(acme, '447500900123');
    await acme.waitForDelivery(receiptFor(proxyId));
    expect(other.deliveries.some(receiptFor(proxyId))).toBe(false);
  });
});
