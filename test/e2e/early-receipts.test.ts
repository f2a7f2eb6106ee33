import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findTlv, Status, TlvTag } from '../../src/smpp/index.js';
import { UNMATCHED_ACCOUNT } from '../../src/broker/deliveries.js';
import { account, cleanupAll, makeConfig, readReceiptView, receiptFor, startProxy, tempDir, TestEsme, waitFor, type RunningProxy } from './harness.js';
import { receiptPdu, ScriptedCarrier, submitResp, type SubmitScript } from './scripted-carrier.js';

/**
 * Receipts from a carrier scripted byte by byte: written ahead of the submit_sm_resp in the same
 * TCP write, with the id spelt differently from the response, or for an id never given.
 */
function configFor(carrier: ScriptedCarrier) {
  return makeConfig({
    accounts: { acme: account() },
    carriers: {
      scripted: { host: '127.0.0.1', port: carrier.port, system_id: 'proxy', password: 'pw', reconnect: { initial: '50ms', max: '200ms' } },
    },
    routes: [{ name: 'all', prefix: [''], carriers: [{ carrier: 'scripted', cost: 0.01 }] }],
  });
}

/** Receipt first, response second, one write: the proxy must hold the receipt, not lose it. */
function receiptThenResponse(respId: string, receipt: { textId: string; tlvId?: string }): SubmitScript {
  return (submit, carrier) => [receiptPdu(carrier.sequence(), receipt), submitResp(submit, respId)];
}

describe('receipt ahead of its submit_sm_resp', () => {
  let carrier: ScriptedCarrier;
  let running: RunningProxy;
  let esme: TestEsme;

  beforeAll(async () => {
    carrier = await ScriptedCarrier.start(() => []);
    // A hold far longer than the wait below: a receipt that only matched once the hold ran out fails the test.
    running = await startProxy(configFor(carrier), { earlyReceiptHoldMs: 20_000 });
    esme = await TestEsme.bind(running.port, 'acme');
  });
  afterAll(cleanupAll);

  it.each([
    ['hex, case and leading zeros differ', '00AB12CD', 'ab12cd'],
    ['decimal, leading zeros in the receipt', '12345', '0000012345'],
    ['hex in the response, decimal in the receipt', 'F4240', '1000000'],
  ])('%s: matched at once and rewritten to the proxy id', async (_name, respId, receiptId) => {
    carrier.script = receiptThenResponse(respId, { textId: receiptId });
    const before = carrier.deliverResponses.length;
    const resp = await esme.submit();
    expect(resp.status).toBe(Status.ESME_ROK);
    const proxyId = resp.body.message_id!;
    const delivery = await esme.waitForDelivery(receiptFor(proxyId), 5_000);
    // The carrier gave no TLV: the text carries the id, and no carrier id leaks through.
    expect(readReceiptView(delivery)).toEqual({ tlvId: undefined, textId: proxyId, stat: 'DELIVRD' });
    await waitFor(() => carrier.deliverResponses.length > before, 'the deliver_sm_resp');
    expect(carrier.deliverResponses.at(-1)!.status).toBe(Status.ESME_ROK);
  });

  it('prefers the TLV id and rewrites both when the text and TLV are both present', async () => {
    carrier.script = receiptThenResponse('7F', { textId: '127', tlvId: '7f' });
    const resp = await esme.submit();
    const proxyId = resp.body.message_id!;
    const delivery = await esme.waitForDelivery(receiptFor(proxyId), 5_000);
    expect(readReceiptView(delivery)).toEqual({ tlvId: proxyId, textId: proxyId, stat: 'DELIVRD' });
  });

  it('moves a receipt text that the longer proxy id pushes past 254 octets into message_payload', async () => {
    const head = 'id:1 sub:001 dlvrd:001 submit date:2611220200 done date:2611220201 stat:DELIVRD err:000 text:';
    const text = head + 'x'.repeat(250 - head.length);
    carrier.script = (submit, c) => [submitResp(submit, '1'), receiptPdu(c.sequence(), { textId: '1', tlvId: '1', text })];
    const resp = await esme.submit();
    const proxyId = resp.body.message_id!;
    const delivery = await esme.waitForDelivery(receiptFor(proxyId), 5_000);
    expect(delivery.pdu.body.short_message.length).toBe(0);
    const payload = findTlv(delivery.pdu.tlvs, TlvTag.message_payload)!.value.toString('latin1');
    expect(payload).toBe(text.replace('id:1 ', `id:${proxyId} `));
    expect(readReceiptView(delivery)).toEqual({ tlvId: proxyId, textId: proxyId, stat: 'DELIVRD' });
  });

  it('does not answer the carrier before the receipt is stored', async () => {
    // Nothing answers the submit: the receipt can never match within this test, so no
    // deliver_sm_resp may reach the carrier while it is held.
    let receiptSequence = 0;
    carrier.script = (_submit, c) => {
      receiptSequence = c.sequence();
      return [receiptPdu(receiptSequence, { textId: 'DEAD01', tlvId: 'DEAD01' })];
    };
    const pending = esme.submit();
    await waitFor(() => receiptSequence !== 0, 'the submit');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(carrier.deliverResponses.some((r) => r.sequence === receiptSequence)).toBe(false);
    // The carrier's session going away fails the submit over (nowhere to go: retry later).
    await carrier.stop();
    expect((await pending).status).toBe(Status.ESME_RMSGQFUL);
  });
});

describe('receipt for an id the proxy never gave', () => {
  let carrier: ScriptedCarrier;
  let running: RunningProxy;

  beforeAll(async () => {
    carrier = await ScriptedCarrier.start((submit) => [submitResp(submit, 'ABC')]);
    running = await startProxy(configFor(carrier), { earlyReceiptHoldMs: 200 });
  });
  afterAll(cleanupAll);

  it('is acknowledged to the carrier after the hold time and kept as a dead letter', async () => {
    carrier.send([receiptPdu(carrier.sequence(), { textId: '99999', tlvId: '99999' })]);
    await waitFor(() => carrier.deliverResponses.length === 1, 'the deliver_sm_resp', 5_000);
    expect(carrier.deliverResponses[0]!.status).toBe(Status.ESME_ROK);
    const store = running.proxy.storeHandle;
    await waitFor(async () => (await store.queues.deadLetters({ account: UNMATCHED_ACCOUNT })).length === 1, 'the dead letter');
    const [dead] = await store.queues.deadLetters({ account: UNMATCHED_ACCOUNT });
    expect(dead!.reason).toContain('99999');
  });
});

describe('receipts ahead of their responses, many at once, on the durable store', () => {
  let carrier: ScriptedCarrier;
  let running: RunningProxy;

  beforeAll(async () => {
    let next = 0xabc000;
    carrier = await ScriptedCarrier.start((submit, c) => {
      const id = (next++).toString(16).toUpperCase();
      return [receiptPdu(c.sequence(), { textId: id.toLowerCase() }), submitResp(submit, id)];
    });
    const config = makeConfig(
      {
        accounts: { acme: account() },
        carriers: {
          scripted: { host: '127.0.0.1', port: carrier.port, system_id: 'proxy', password: 'pw', window: 100 },
        },
        routes: [{ name: 'all', prefix: [''], carriers: [{ carrier: 'scripted', cost: 0.01 }] }],
      },
      await tempDir('smpp-proxy-e2e-'),
    );
    running = await startProxy(config, { earlyReceiptHoldMs: 20_000, durable: true });
  });
  afterAll(cleanupAll);

  it('maps every one of 200 receipts to its own proxy id', async () => {
    const esme = await TestEsme.bind(running.port, 'acme');
    const ids: string[] = [];
    for (let batch = 0; batch < 4; batch++) {
      const resps = await Promise.all(Array.from({ length: 50 }, () => esme.submit()));
      for (const r of resps) {
        expect(r.status).toBe(Status.ESME_ROK);
        ids.push(r.body.message_id!);
      }
    }
    await esme.waitForDeliveries(200, 15_000);
    const received = esme.deliveries.map((d) => readReceiptView(d)!);
    expect(received.map((v) => v.textId).sort()).toEqual([...ids].sort());
    await waitFor(() => running.proxy.storeHandle.queues.depth('acme') === 0, 'the queue to drain');
    expect(await running.proxy.storeHandle.queues.deadLetters()).toHaveLength(0);
  });
});

