import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CarrierSimulator } from '../../src/sim/carrier-sim.js';
import { MessageState, Status, type PduOf } from '../../src/smpp/index.js';
import { cancelSmPdu, querySmPdu, replaceSmPdu } from '../helpers/pdus.js';
import {
  account,
  cleanupAll,
  makeConfig,
  NO_BREAKER,
  remoteCarrier,
  startCarrier,
  startProxy,
  TestEsme,
  waitFor,
  type Delivery,
  type RunningProxy,
} from './harness.js';

/** MO routed to the account mo_routes names; query_sm and cancel_sm forwarded to the carrier that took the message. */
let alpha: CarrierSimulator;
let beta: CarrierSimulator;
let running: RunningProxy;
let acme: TestEsme;
let other: TestEsme;

beforeAll(async () => {
  // Receipts far in the future, so messages stay pending for query_sm and cancel_sm.
  alpha = await startCarrier('alpha', { receiptDelayMs: 60_000 });
  beta = await startCarrier('beta', { receiptDelayMs: 60_000 });
  const config = makeConfig({
    accounts: { acme: account(), other: account(), offline: account() },
    carriers: {
      alpha: remoteCarrier(alpha, 'alpha', { circuit_breaker: NO_BREAKER }),
      beta: remoteCarrier(beta, 'beta', { circuit_breaker: NO_BREAKER }),
    },
    routes: [
      {
        name: 'uk',
        prefix: ['447'],
        carriers: [
          { carrier: 'alpha', cost: 0.005 },
          { carrier: 'beta', cost: 0.01 },
        ],
      },
    ],
    sender_rewrite: [{ match: { sender: '^ACME$', carrier: 'beta' }, set: { sender: 'ACMEBETA', ton: 5, npi: 0 } }],
    mo_routes: [
      { prefix: ['447700900'], account: 'acme' },
      { prefix: ['4477009009'], account: 'other' },
      { prefix: ['4479'], account: 'offline' },
    ],
  });
  running = await startProxy(config);
  acme = await TestEsme.bind(running.port, 'acme');
  other = await TestEsme.bind(running.port, 'other');
});

afterAll(cleanupAll);

beforeEach(() => {
  alpha.configure({ failure: null });
});

const isMo = (text: string) => (d: Delivery) => d.pdu.body.esm_class === 0 && d.pdu.body.short_message.toString('latin1') === text;

describe('MO', () => {
  it('delivers an MO to the account whose mo_routes prefix matches its destination, bytes unchanged', async () => {
    const result = await alpha.sendMo({ from: '447700111222', to: '447700900123', text: 'hello proxy', systemId: 'alpha' });
    expect(result).toMatchObject({ ok: true, statuses: [Status.ESME_ROK] });
    const delivery = await acme.waitForDelivery(isMo('hello proxy'));
    expect(delivery.pdu.body.source_addr).toBe('447700111222');
    expect(delivery.pdu.body.destination_addr).toBe('447700900123');
    expect(delivery.pdu.body.source_addr_ton).toBe(1);
    expect(other.deliveries.some(isMo('hello proxy'))).toBe(false);
  });

  it('uses the longest mo_routes prefix', async () => {
    const result = await beta.sendMo({ from: '447700111222', to: '447700900999', text: 'for other', systemId: 'beta' });
    expect(result.ok).toBe(true);
    await other.waitForDelivery(isMo('for other'));
    expect(acme.deliveries.some(isMo('for other'))).toBe(false);
  });

  it('delivers every part of a long MO with its UDH', async () => {
    const concatenated = (): Delivery[] => acme.deliveries.filter((d) => (d.pdu.body.esm_class & 0x40) !== 0);
    const before = concatenated().length;
    const result = await alpha.sendMo({ from: '447700111222', to: '447700900123', text: 'x'.repeat(200), systemId: 'alpha' });
    expect(result).toMatchObject({ ok: true, parts: 2 });
    await waitFor(() => concatenated().length >= before + 2, 'both parts');
    const headers = concatenated()
      .slice(before)
      .map((d) => d.pdu.body.short_message.subarray(0, 6));
    // IEI 0x00 (8-bit reference), same reference, 2 parts, numbered 1 and 2.
    expect(headers.map((h) => [h[0], h[1], h[4], h[5]])).toEqual([
      [0x05, 0x00, 2, 1],
      [0x05, 0x00, 2, 2],
    ]);
    expect(headers[0]![3]).toBe(headers[1]![3]);
  });

  it('answers an MO no mo_route covers with ESME_RINVDSTADR at the carrier', async () => {
    const result = await alpha.sendMo({ from: '447700111222', to: '33612345678', text: 'nowhere', systemId: 'alpha' });
    expect(result).toMatchObject({ ok: false, reason: 'not_delivered', statuses: [Status.ESME_RINVDSTADR] });
  });

  it('keeps an MO for an account with no receiver bound and delivers it when one binds', async () => {
    const result = await alpha.sendMo({ from: '447700111222', to: '447912345678', text: 'wait for me', systemId: 'alpha' });
    expect(result.ok).toBe(true);
    expect(running.proxy.storeHandle.queues.depth('offline')).toBe(1);
    const late = await TestEsme.bind(running.port, 'offline', { bindType: 'receiver' });
    await late.waitForDelivery(isMo('wait for me'));
    await waitFor(() => running.proxy.storeHandle.queues.depth('offline') === 0, 'the queue to drain');
  });
});

async function request<P extends PduOf<'query_sm'> | PduOf<'cancel_sm'>>(esme: TestEsme, pdu: P) {
  const pending = esme.session.request(pdu);
  if (pending === null) throw new Error('window full');
  return pending;
}

async function submitAccepted(esme: TestEsme): Promise<string> {
  const resp = await esme.submit({ source_addr: 'ACME' });
  expect(resp.status).toBe(Status.ESME_ROK);
  return resp.body.message_id!;
}

describe('query_sm and cancel_sm', () => {
  it('forwards query_sm with the carrier id and answers with the proxy id', async () => {
    const proxyId = await submitAccepted(acme);
    const carrierId = alpha.submits.at(-1)!.messageId!;
    const resp = (await request(acme, querySmPdu(proxyId))) as PduOf<'query_sm_resp'>;
    expect(resp.status).toBe(Status.ESME_ROK);
    expect(resp.body.message_id).toBe(proxyId);
    expect(resp.body.message_state).toBe(MessageState.ENROUTE);
    const forwarded = alpha.received.filter((r) => r.command === 'query_sm').at(-1)!.pdu as PduOf<'query_sm'>;
    expect(forwarded.body.message_id).toBe(carrierId);
  });

  it('sends the operation to the carrier that took the message, after a failover too', async () => {
    alpha.configure({ failure: { everyNth: 1, status: Status.ESME_RMSGQFUL } });
    const proxyId = await submitAccepted(acme);
    alpha.configure({ failure: null });
    const carrierId = beta.submits.at(-1)!.messageId!;
    const alphaQueries = alpha.stats.queries;
    const resp = (await request(acme, querySmPdu(proxyId))) as PduOf<'query_sm_resp'>;
    expect(resp.status).toBe(Status.ESME_ROK);
    expect(resp.body.message_id).toBe(proxyId);
    expect(alpha.stats.queries).toBe(alphaQueries);
    const forwarded = beta.received.filter((r) => r.command === 'query_sm').at(-1)!.pdu as PduOf<'query_sm'>;
    expect(forwarded.body.message_id).toBe(carrierId);
    // The carrier knows the message by the sender it was sent with, not the one the ESME wrote.
    expect(forwarded.body.source_addr).toBe('ACMEBETA');
  });

  it('forwards cancel_sm with the carrier id; the message is then deleted at the carrier', async () => {
    const proxyId = await submitAccepted(acme);
    const carrierId = alpha.submits.at(-1)!.messageId!;
    const resp = await request(acme, cancelSmPdu(proxyId));
    expect(resp.status).toBe(Status.ESME_ROK);
    const forwarded = alpha.received.filter((r) => r.command === 'cancel_sm').at(-1)!.pdu as PduOf<'cancel_sm'>;
    expect(forwarded.body.message_id).toBe(carrierId);
    expect(alpha.message(carrierId)?.state).toBe(MessageState.DELETED);
    const after = (await request(acme, querySmPdu(proxyId))) as PduOf<'query_sm_resp'>;
    expect(after.body.message_state).toBe(MessageState.DELETED);
    // A second cancel is the carrier's own verdict, passed through.
    expect((await request(acme, cancelSmPdu(proxyId))).status).toBe(Status.ESME_RCANCELFAIL);
  });

  it('forwards replace_sm with the carrier id and the rewritten sender', async () => {
    alpha.configure({ failure: { everyNth: 1, status: Status.ESME_RMSGQFUL } });
    const proxyId = await submitAccepted(acme);
    alpha.configure({ failure: null });
    const carrierId = beta.submits.at(-1)!.messageId!;
    const replace = replaceSmPdu(proxyId, { short_message: Buffer.from('replaced text') });
    const resp = await acme.session.request(replace)!;
    expect(resp.status).toBe(Status.ESME_ROK);
    const forwarded = beta.received.filter((r) => r.command === 'replace_sm').at(-1)!.pdu as PduOf<'replace_sm'>;
    expect(forwarded.body.message_id).toBe(carrierId);
    expect(forwarded.body.source_addr).toBe('ACMEBETA');
    expect(forwarded.body.short_message.toString()).toBe('replaced text');
  });

  it("answers ESME_RINVMSGID for another account's proxy id or an unknown one, without asking a carrier", async () => {
    const proxyId = await submitAccepted(acme);
    const queries = alpha.stats.queries + beta.stats.queries;
    const cancels = alpha.stats.cancels + beta.stats.cancels;
    expect((await request(other, querySmPdu(proxyId))).status).toBe(Status.ESME_RINVMSGID);
    expect((await request(other, cancelSmPdu(proxyId))).status).toBe(Status.ESME_RINVMSGID);
    expect((await request(acme, querySmPdu('0000NOSUCHID0000'))).status).toBe(Status.ESME_RINVMSGID);
    expect(alpha.stats.queries + beta.stats.queries).toBe(queries);
    expect(alpha.stats.cancels + beta.stats.cancels).toBe(cancels);
    // The owner still can.
    expect((await request(acme, querySmPdu(proxyId))).status).toBe(Status.ESME_ROK);
  });
});
