import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CarrierSimulator } from '../../src/sim/carrier-sim.js';
import { encodePdu, Status, TlvTag, type PduOf } from '../../src/smpp/index.js';
import { dataSmPdu, submitMultiPdu } from '../helpers/pdus.js';
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
 * Carrier pools as configured: several transmitting sessions sharing the load, a transmitter
 * carrier whose receipts come back on separate receiver binds, and data_sm carried like submit_sm.
 */
let tx: CarrierSimulator;
let pair: CarrierSimulator;
let running: RunningProxy;
let esme: TestEsme;

beforeAll(async () => {
  tx = await startCarrier('txcarrier');
  pair = await startCarrier('pair');
  const config = makeConfig({
    accounts: { acme: account() },
    carriers: {
      txcarrier: remoteCarrier(tx, 'txcarrier', { bind: 'transmitter', receiver_sessions: 1, sessions: 2 }),
      pair: remoteCarrier(pair, 'pair', { sessions: 3, window: 5 }),
    },
    routes: [
      { name: 'tx', prefix: ['4471'], carriers: [{ carrier: 'txcarrier', cost: 0.01 }] },
      { name: 'pair', prefix: ['4472'], carriers: [{ carrier: 'pair', cost: 0.01 }] },
    ],
    sender_rewrite: [{ match: { sender: '^DATA$' }, set: { sender: 'DATAREWRITE' } }],
  });
  running = await startProxy(config);
  esme = await TestEsme.bind(running.port, 'acme');
});

afterAll(cleanupAll);

describe('carrier binds', () => {
  it('binds a transmitter carrier with its receiver sessions, and its receipts come back on the receiver', async () => {
    const sessions = tx.sessions.map((s) => s.bindType).sort();
    expect(sessions).toEqual(['receiver', 'transmitter', 'transmitter']);
    const resp = await esme.submit({ destination_addr: '447100900123' });
    expect(resp.status).toBe(Status.ESME_ROK);
    const proxyId = resp.body.message_id!;
    const delivery = await esme.waitForDelivery(receiptFor(proxyId));
    expect(readReceiptView(delivery)).toEqual({ tlvId: proxyId, textId: proxyId, stat: 'DELIVRD' });
    const receiver = tx.sessions.find((s) => s.bindType === 'receiver')!;
    // The carrier records a receipt once our deliver_sm_resp reaches it: after the ESME answered.
    await waitFor(() => tx.receipts.length > 0, 'the carrier to record the receipt answer');
    expect(tx.receipts.at(-1)!.sessionId).toBe(receiver.sessionId);
  });

  it('shares submits between the sessions of one carrier', async () => {
    expect(pair.sessions).toHaveLength(3);
    const statuses = await Promise.all(Array.from({ length: 12 }, (_, i) => esme.submit({ destination_addr: `4472009001${String(i).padStart(2, '0')}` }).then((r) => r.status)));
    expect(statuses.every((s) => s === Status.ESME_ROK)).toBe(true);
    const perSession = new Map<string, number>();
    for (const s of pair.submits) perSession.set(s.sessionId, (perSession.get(s.sessionId) ?? 0) + 1);
    expect(perSession.size).toBe(3);
  });

  it('carries data_sm like submit_sm: routed, answered with a proxy id, bytes and TLVs unchanged', async () => {
    const payload = Buffer.from(Array.from({ length: 300 }, (_, i) => i & 0xff));
    const pdu = dataSmPdu(
      { destination_addr: '447200900999', data_coding: 4 },
      { tlvs: [{ tag: TlvTag.message_payload, value: payload }, { tag: 0x1402, value: Buffer.from([1, 2, 3]) }] },
    );
    const before = pair.stats.submitsReceived;
    const resp = (await esme.session.request(pdu)!) as PduOf<'data_sm_resp'>;
    expect(resp.command).toBe('data_sm_resp');
    expect(resp.status).toBe(Status.ESME_ROK);
    const proxyId = resp.body.message_id!;
    const record = (await pair.waitForSubmits(before + 1, 2_000)).at(-1)!;
    expect(record.command).toBe('data_sm');
    expect(record.messageId).not.toBe(proxyId);
    const sent = encodePdu({ ...pdu, sequence: resp.sequence });
    expect(record.frame.subarray(16).equals(sent.subarray(16))).toBe(true);
    const delivery = await esme.waitForDelivery(receiptFor(proxyId));
    expect(readReceiptView(delivery)?.tlvId).toBe(proxyId);
  });

  it('rewrites the sender of a data_sm', async () => {
    const pdu = dataSmPdu(
      { source_addr: 'DATA', destination_addr: '447200900998', registered_delivery: 0 },
      { tlvs: [{ tag: TlvTag.message_payload, value: Buffer.from('payload') }] },
    );
    const before = pair.stats.submitsReceived;
    const resp = await esme.session.request(pdu)!;
    expect(resp.status).toBe(Status.ESME_ROK);
    const record = (await pair.waitForSubmits(before + 1, 2_000)).at(-1)!;
    expect(record.command).toBe('data_sm');
    expect(record.pdu.body.source_addr).toBe('DATAREWRITE');
    expect(record.pdu.tlvs).toEqual(pdu.tlvs);
  });

  it('refuses submit_multi as a permanent failure rather than routing it', async () => {
    const multi = submitMultiPdu([{ dest_flag: 1, dest_addr_ton: 1, dest_addr_npi: 1, destination_addr: '447200900123' }], {
      registered_delivery: 0,
      short_message: Buffer.from('hi'),
    });
    const before = pair.stats.submitsReceived;
    const resp = await esme.session.request(multi)!;
    expect(resp.status).toBe(Status.ESME_RSUBMITFAIL);
    expect(pair.stats.submitsReceived).toBe(before);
  });
});
