import { afterEach, describe, expect, it } from 'vitest';
import { SessionError, connectAndBind, type IncomingRequest, type SmppSession } from '../../src/session/index.js';
import { submitSmPdu } from '../../src/sim/pdus.js';
import {
  EsmMessageType,
  MessageState,
  Status,
  TlvTag,
  encodePdu,
  findTlv,
  messageStateOf,
  parseReceiptText,
  receiptedMessageIdOf,
  type PduOf,
} from '../../src/smpp/index.js';
import { cancelSmPdu, dataSmPdu, querySmPdu, replaceSmPdu, submitMultiPdu } from '../helpers/pdus.js';
import { ACCOUNT, bindRaw, cleanupAll, delay, eventually, startSim, track } from './helpers.js';

afterEach(cleanupAll);

type Deliver = PduOf<'deliver_sm'>;

/** A transceiver that keeps every deliver_sm and answers it with the status `answer` gives. */
async function receiver(port: number, answer: (pdu: Deliver, index: number) => number = () => Status.ESME_ROK, bindType: 'transceiver' | 'receiver' = 'transceiver') {
  const delivered: Deliver[] = [];
  const session = await bindRaw(port, bindType, (request: IncomingRequest) => {
    if (request.command !== 'deliver_sm') return;
    const status = answer(request.pdu, delivered.length);
    delivered.push(request.pdu);
    if (status === Status.ESME_ROK) request.respond(status, { message_id: '' });
    else request.respond(status);
  });
  return { session, delivered };
}

async function submit(session: SmppSession, pdu: PduOf<'submit_sm'> = submitSmPdu()) {
  return (await session.request(pdu))!;
}

describe('message ids', () => {
  it.each([
    ['hex', '1A2B3C4D', '1A2B3C4D'],
    ['decimal', '439041101', '439041101'],
    ['string', 'SIM-79E6A5', 'SIM-79E6A5'],
    ['hex-decimal', '1A2B3C4D', '439041101'],
  ] as const)('%s: response id %s, receipt id %s', async (format, respId, receiptId) => {
    const sim = await startSim({ messageIdFormat: format, firstMessageNumber: 0x1a2b3c4d });
    const { session, delivered } = await receiver(sim.port);
    const resp = await submit(session);
    expect(resp.status).toBe(Status.ESME_ROK);
    expect(resp.body.message_id).toBe(respId);
    await eventually(() => delivered.length === 1);
    expect(receiptedMessageIdOf(delivered[0]!.tlvs)).toBe(receiptId);
    expect(parseReceiptText(delivered[0]!.body.short_message)?.id).toBe(receiptId);
    expect(sim.message(respId)?.receiptId).toBe(receiptId);
  });
});

describe('receipts', () => {
  it('carry receipted_message_id, message_state and the standard text, from the handset to the sender', async () => {
    const sim = await startSim({ receiptStatus: 'UNDELIV', receiptErr: 5 });
    const { session, delivered } = await receiver(sim.port);
    const resp = await submit(session, submitSmPdu({ short_message: Buffer.from('Your code is 123456, valid 5 min') }));
    await eventually(() => delivered.length === 1);
    const receipt = delivered[0]!;
    expect(receipt.body.esm_class).toBe(EsmMessageType.deliveryReceipt);
    expect(receipt.body).toMatchObject({ source_addr: '447700900123', source_addr_ton: 1, destination_addr: 'ACME', dest_addr_ton: 5 });
    expect(receiptedMessageIdOf(receipt.tlvs)).toBe(resp.body.message_id);
    expect(messageStateOf(receipt.tlvs)).toBe(MessageState.UNDELIVERABLE);
    expect([...findTlv(receipt.tlvs, TlvTag.network_error_code)!.value]).toEqual([3, 0, 5]);
    const text = receipt.body.short_message.toString('latin1');
    expect(text).toMatch(/^id:1A2B3C4D sub:001 dlvrd:000 submit date:\d{10} done date:\d{10} stat:UNDELIV err:005 text:Your code is 123456,$/);
    // The ESME has answered; the simulator counts the receipt once that answer has reached it.
    await sim.waitForReceipts(1, 5_000);
    expect(sim.stats).toMatchObject({ receiptsCreated: 1, receiptsSent: 1, receiptsAcknowledged: 1, receiptsPending: 0 });
    expect(sim.receipts[0]).toMatchObject({ messageId: resp.body.message_id, stat: 'UNDELIV', attempt: 1, status: Status.ESME_ROK });
  });

  it('follow registered_delivery: none for 0, only failures for 2', async () => {
    const sim = await startSim({ receiptDelayMs: 5 });
    const { session, delivered } = await receiver(sim.port);
    await submit(session, submitSmPdu({ registered_delivery: 0 }));
    await submit(session, submitSmPdu({ registered_delivery: 2 }));
    sim.configure({ receiptStatus: 'EXPIRED' });
    const failed = await submit(session, submitSmPdu({ registered_delivery: 2 }));
    await eventually(() => delivered.length === 1);
    await delay(50);
    expect(delivered).toHaveLength(1);
    expect(receiptedMessageIdOf(delivered[0]!.tlvs)).toBe(failed.body.message_id);
    expect(messageStateOf(delivered[0]!.tlvs)).toBe(MessageState.EXPIRED);
  });

  it('wait for a receiver when the ESME bound only a transmitter, then go to the receiver that binds', async () => {
    const sim = await startSim({ receiptDelayMs: 5 });
    const tx = await bindRaw(sim.port, 'transmitter');
    const resp = await submit(tx);
    await eventually(() => sim.stats.receiptsPending === 1);
    await delay(30);
    expect(sim.stats.receiptsSent).toBe(0);
    const { delivered } = await receiver(sim.port, undefined, 'receiver');
    await eventually(() => delivered.length === 1);
    expect(receiptedMessageIdOf(delivered[0]!.tlvs)).toBe(resp.body.message_id);
    await eventually(() => sim.stats.receiptsPending === 0);
  });

  it('are retried after a temporary refusal and dropped after a permanent one', async () => {
    const sim = await startSim({ receiptDelayMs: 5, receiptRetryMs: 30 });
    const answers = [Status.ESME_RX_T_APPN, Status.ESME_ROK, Status.ESME_RX_P_APPN];
    const { session, delivered } = await receiver(sim.port, (_pdu, index) => answers[index] ?? Status.ESME_ROK);
    const first = await submit(session);
    await eventually(() => sim.stats.receiptsAcknowledged === 1);
    expect(delivered.map((d) => receiptedMessageIdOf(d.tlvs))).toEqual([first.body.message_id, first.body.message_id]);
    expect(sim.receipts.map((r) => [r.attempt, r.status])).toEqual([
      [1, Status.ESME_RX_T_APPN],
      [2, Status.ESME_ROK],
    ]);
    expect(sim.stats.receiptsRetried).toBe(1);

    const dropped: string[] = [];
    sim.on('receipt_dropped', (r) => dropped.push(r.reason));
    await submit(session);
    await eventually(() => dropped.length === 1);
    expect(dropped).toEqual(['rejected']);
    expect(delivered).toHaveLength(3);
    expect(sim.stats).toMatchObject({ receiptsDropped: 1, receiptsPending: 0 });
  });

  it('all arrive when there are more of them than the deliver_sm window holds', async () => {
    const sim = await startSim({ receiptDelayMs: 0, session: { windowSize: 2, enquireLinkIntervalMs: 0 } });
    const delivered: Deliver[] = [];
    const session = await bindRaw(sim.port, 'transceiver', (request: IncomingRequest) => {
      if (request.command !== 'deliver_sm') return;
      delivered.push(request.pdu);
      // Answering a little later keeps the simulator's window full while more receipts queue up.
      setTimeout(() => request.respond(Status.ESME_ROK, { message_id: '' }), 5);
    });
    const ids = await Promise.all(Array.from({ length: 10 }, () => submit(session).then((r) => r.body.message_id)));
    await sim.waitForReceipts(10, 5_000);
    expect(new Set(delivered.map((d) => receiptedMessageIdOf(d.tlvs)))).toEqual(new Set(ids));
  });

  it('are given up after receiptMaxAttempts unanswered deliveries', async () => {
    const sim = await startSim({ receiptDelayMs: 5, receiptRetryMs: 10, receiptMaxAttempts: 3 });
    const { session, delivered } = await receiver(sim.port, () => Status.ESME_RX_T_APPN);
    await submit(session);
    await eventually(() => sim.stats.receiptsDropped === 1);
    expect(delivered).toHaveLength(3);
  });
});

describe('submit behaviour', () => {
  it('records each submit with the bytes exactly as they arrived', async () => {
    const sim = await startSim();
    const { session } = await receiver(sim.port);
    const odd = Buffer.from([0x00, 0x1b, 0x80, 0xff, 0x41]);
    const pdu = submitSmPdu({ short_message: odd, data_coding: 4 }, { tlvs: [{ tag: 0x1400, value: Buffer.from('vendor') }] });
    const resp = await submit(session, pdu);
    const [record] = sim.submits;
    expect(record).toMatchObject({ command: 'submit_sm', systemId: ACCOUNT.systemId, outcome: 'accepted', status: 0, messageId: resp.body.message_id });
    expect(record!.frame).toEqual(encodePdu({ ...pdu, sequence: record!.pdu.sequence }));
    expect((record!.pdu as PduOf<'submit_sm'>).body.short_message).toEqual(odd);
    expect(sim.received.slice(0, 2).map((r) => r.command)).toEqual(['bind_transceiver', 'submit_sm']);
    expect(sim.received[1]!.frame).toEqual(record!.frame);
  });

  it('fails every Nth submit with the chosen status', async () => {
    const sim = await startSim({ failure: { everyNth: 3, status: Status.ESME_RSUBMITFAIL } });
    const { session } = await receiver(sim.port);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await submit(session)).status);
    expect(statuses).toEqual([0, 0, 0x45, 0, 0, 0x45]);
    expect(sim.stats).toMatchObject({ accepted: 4, failed: 2 });
    expect(sim.submits.filter((s) => s.outcome === 'failed')).toHaveLength(2);
  });

  it('fails the same share of submits for the same seed', async () => {
    const pattern = async (): Promise<number[]> => {
      const sim = await startSim({ failure: { ratio: 0.3, status: Status.ESME_RSYSERR, seed: 99 }, receiptDelayMs: 60_000 });
      const { session } = await receiver(sim.port);
      const out: number[] = [];
      for (let i = 0; i < 30; i++) out.push((await submit(session)).status);
      return out;
    };
    const first = await pattern();
    expect(await pattern()).toEqual(first);
    expect(first.filter((s) => s === Status.ESME_RSYSERR).length).toBeGreaterThan(2);
    expect(first.filter((s) => s === Status.ESME_ROK).length).toBeGreaterThan(10);
  });

  it('throttles above the configured rate with ESME_RTHROTTLED', async () => {
    const sim = await startSim({ throughput: 5, receiptDelayMs: 60_000 });
    const { session } = await receiver(sim.port);
    const statuses: number[] = [];
    const started = performance.now();
    for (let i = 0; i < 20; i++) statuses.push((await submit(session)).status);
    const refilled = ((performance.now() - started) / 1000) * 5;
    const accepted = statuses.filter((s) => s === Status.ESME_ROK).length;
    // A full bucket of 5, plus what refilled while the submits ran (little, even on a slow machine).
    expect(accepted).toBeGreaterThanOrEqual(5);
    expect(accepted).toBeLessThanOrEqual(5 + Math.ceil(refilled));
    expect(statuses.filter((s) => s === Status.ESME_RTHROTTLED)).toHaveLength(20 - accepted);
    expect(sim.stats.throttled).toBe(20 - accepted);
  });

  it('stays silent when told to, and answers again once told otherwise', async () => {
    const sim = await startSim({ silent: true });
    const session = await connectAndBind({
      host: '127.0.0.1',
      port: sim.port,
      bindType: 'transceiver',
      bind: { system_id: ACCOUNT.systemId, password: ACCOUNT.password },
      session: { enquireLinkIntervalMs: 0, responseTimeoutMs: 1_000 },
    });
    track(() => session.close());
    await expect(session.request(submitSmPdu())).rejects.toMatchObject({ code: 'RESPONSE_TIMEOUT' });
    expect(sim.stats.silenced).toBe(1);
    expect(sim.submits[0]).toMatchObject({ outcome: 'silent', status: undefined });
    sim.configure({ silent: false });
    expect((await session.request(submitSmPdu()))!.status).toBe(Status.ESME_ROK);
  });

  it('answers late when told to, so the receipt can overtake its response', async () => {
    const sim = await startSim({ responseDelayMs: 300, receiptDelayMs: 0 });
    const order: string[] = [];
    const { session } = await receiver(sim.port, () => {
      order.push('receipt');
      return Status.ESME_ROK;
    });
    const resp = await submit(session);
    order.push('response');
    expect(resp.status).toBe(Status.ESME_ROK);
    expect(order).toEqual(['receipt', 'response']);
  });

  it('accepts data_sm like submit_sm, reading its text from message_payload', async () => {
    const sim = await startSim();
    const { session, delivered } = await receiver(sim.port);
    const dataSm = dataSmPdu({}, { tlvs: [{ tag: TlvTag.message_payload, value: Buffer.from('payload text') }] });
    const resp = (await session.request(dataSm))!;
    expect(resp).toMatchObject({ command: 'data_sm_resp', status: 0, body: { message_id: '1A2B3C4D' } });
    await eventually(() => delivered.length === 1);
    expect(delivered[0]!.body.short_message.toString('latin1')).toMatch(/text:payload text$/);
  });

  it('answers submit_multi with generic_nack ESME_RINVCMDID', async () => {
    const sim = await startSim();
    const { session } = await receiver(sim.port);
    const multi = submitMultiPdu([{ dest_flag: 1, dest_addr_ton: 1, dest_addr_npi: 1, destination_addr: '4477' }]);
    await expect(session.request(multi)).rejects.toMatchObject({ code: 'GENERIC_NACK', status: Status.ESME_RINVCMDID });
  });
});

describe('query_sm, cancel_sm, replace_sm', () => {
  it('query_sm reports ENROUTE, then the final state with its date; unknown ids are ESME_RINVMSGID', async () => {
    const sim = await startSim({ receiptDelayMs: 400, messageIdFormat: 'hex-decimal' });
    const { session, delivered } = await receiver(sim.port);
    const id = (await submit(session)).body.message_id!;
    const early = (await session.request(querySmPdu(id)))!;
    expect(early).toMatchObject({ status: 0, body: { message_id: id, final_date: '', message_state: MessageState.ENROUTE, error_code: 0 } });
    await eventually(() => delivered.length === 1);
    const late = (await session.request(querySmPdu(id.toLowerCase())))!;
    expect(late.body.message_state).toBe(MessageState.DELIVERED);
    expect(late.body.final_date).toMatch(/^\d{12}000\+$/);
    // The receipt form of the id names the same message.
    expect((await session.request(querySmPdu(sim.message(id)!.receiptId)))!.body.message_state).toBe(MessageState.DELIVERED);
    expect((await session.request(querySmPdu('NOPE')))!.status).toBe(Status.ESME_RINVMSGID);
    expect(sim.stats.queries).toBe(4);
  });

  it('only the ESME that submitted a message can see it', async () => {
    const sim = await startSim({ accounts: [ACCOUNT, { systemId: 'other', password: 'pw' }], receiptDelayMs: 60_000 });
    const { session } = await receiver(sim.port);
    const id = (await submit(session)).body.message_id!;
    const other = await connectAndBind({
      host: '127.0.0.1',
      port: sim.port,
      bindType: 'transceiver',
      bind: { system_id: 'other', password: 'pw' },
      session: { enquireLinkIntervalMs: 0 },
    });
    track(() => other.close());
    expect((await other.request(querySmPdu(id)))!.status).toBe(Status.ESME_RINVMSGID);
    expect((await other.request(cancelSmPdu(id)))!.status).toBe(Status.ESME_RINVMSGID);
  });

  it('cancel_sm stops a pending message and its receipt; a final one cannot be cancelled', async () => {
    const sim = await startSim({ receiptDelayMs: 400 });
    const { session, delivered } = await receiver(sim.port);
    const id = (await submit(session)).body.message_id!;
    expect((await session.request(cancelSmPdu(id)))!.status).toBe(Status.ESME_ROK);
    expect((await session.request(querySmPdu(id)))!.body.message_state).toBe(MessageState.DELETED);
    expect((await session.request(cancelSmPdu(id)))!.status).toBe(Status.ESME_RCANCELFAIL);
    expect((await session.request(cancelSmPdu('0')))!.status).toBe(Status.ESME_RINVMSGID);
    // Past the moment the receipt was due: none comes for a cancelled message.
    await delay(500);
    expect(delivered).toHaveLength(0);
  });

  it('cancel_sm without a message_id cancels every pending message between the two addresses', async () => {
    const sim = await startSim({ receiptDelayMs: 60_000 });
    const { session } = await receiver(sim.port);
    const a = (await submit(session)).body.message_id!;
    const b = (await submit(session)).body.message_id!;
    const elsewhere = (await submit(session, submitSmPdu({ destination_addr: '447700900999' }))).body.message_id!;
    expect((await session.request(cancelSmPdu('')))!.status).toBe(Status.ESME_ROK);
    expect(sim.message(a)?.state).toBe(MessageState.DELETED);
    expect(sim.message(b)?.state).toBe(MessageState.DELETED);
    expect(sim.message(elsewhere)?.state).toBe(MessageState.ENROUTE);
    expect((await session.request(cancelSmPdu('')))!.status).toBe(Status.ESME_RCANCELFAIL);
  });

  it('replace_sm changes a pending message (the receipt quotes the new text); a final one cannot be replaced', async () => {
    const sim = await startSim({ receiptDelayMs: 400 });
    const { session, delivered } = await receiver(sim.port);
    const id = (await submit(session, submitSmPdu({ registered_delivery: 0 }))).body.message_id!;
    expect((await session.request(replaceSmPdu(id, { short_message: Buffer.from('Replacement text') })))!.status).toBe(Status.ESME_ROK);
    await eventually(() => delivered.length === 1);
    expect(delivered[0]!.body.short_message.toString('latin1')).toMatch(/text:Replacement text$/);
    expect((await session.request(replaceSmPdu(id, { short_message: Buffer.from('Too late') })))!.status).toBe(Status.ESME_RREPLACEFAIL);
    expect((await session.request(replaceSmPdu('FFFF', { short_message: Buffer.from('x') })))!.status).toBe(Status.ESME_RINVMSGID);
  });
});

describe('MO', () => {
  it('goes to a bound receiver, long texts in concatenated parts', async () => {
    const sim = await startSim();
    const { delivered } = await receiver(sim.port);
    const short = await sim.sendMo({ from: '447700900001', to: '88888', text: 'STOP' });
    expect(short).toEqual({ ok: true, systemId: ACCOUNT.systemId, parts: 1, statuses: [0] });
    expect(delivered[0]!.body).toMatchObject({ source_addr: '447700900001', destination_addr: '88888', esm_class: 0, data_coding: 0 });
    expect(delivered[0]!.body.short_message.toString('latin1')).toBe('STOP');

    const long = await sim.sendMo({ from: '447700900001', to: '88888', text: 'x'.repeat(200) });
    expect(long).toMatchObject({ ok: true, parts: 2 });
    expect(delivered.slice(1).map((d) => d.body.esm_class)).toEqual([0x40, 0x40]);
    expect(sim.stats).toMatchObject({ moSent: 3, moAcknowledged: 3 });
  });

  it('reports no receiver when none is bound, and the refusal when the ESME refuses', async () => {
    const sim = await startSim();
    expect(await sim.sendMo({ from: '1', to: '2', text: 'x' })).toEqual({ ok: false, reason: 'no_receiver', systemId: undefined });
    await bindRaw(sim.port, 'transmitter');
    expect(await sim.sendMo({ from: '1', to: '2', text: 'x', systemId: ACCOUNT.systemId })).toMatchObject({ ok: false, reason: 'no_receiver' });
    await receiver(sim.port, () => Status.ESME_RX_P_APPN, 'receiver');
    expect(await sim.sendMo({ from: '1', to: '2', text: 'x' })).toMatchObject({ ok: false, reason: 'not_delivered', statuses: [Status.ESME_RX_P_APPN] });
  });
});

describe('binds and lifecycle', () => {
  it('refuses unknown accounts with ESME_RBINDFAIL', async () => {
    const sim = await startSim();
    const attempt = connectAndBind({
      host: '127.0.0.1',
      port: sim.port,
      bindType: 'transceiver',
      bind: { system_id: ACCOUNT.systemId, password: 'wrong' },
      session: { enquireLinkIntervalMs: 0 },
    });
    await expect(attempt).rejects.toBeInstanceOf(SessionError);
    await expect(attempt).rejects.toMatchObject({ code: 'BIND_FAILED', status: Status.ESME_RBINDFAIL });
    expect(sim.stats).toMatchObject({ bindsRefused: 1, bindsAccepted: 0 });
  });

  it('accepts any bind when no account is configured', async () => {
    const sim = await startSim({ accounts: [] });
    const session = await connectAndBind({
      host: '127.0.0.1',
      port: sim.port,
      bindType: 'transmitter',
      bind: { system_id: 'whoever', password: 'x' },
      session: { enquireLinkIntervalMs: 0 },
    });
    track(() => session.close());
    expect(sim.sessions).toEqual([{ sessionId: expect.any(String), systemId: 'whoever', bindType: 'transmitter' }]);
  });

  it('stop() unbinds sessions gracefully and a restart listens on the same port', async () => {
    const sim = await startSim();
    const { session } = await receiver(sim.port);
    const port = sim.port;
    await sim.stop();
    expect((await session.whenClosed()).code).toBe('PEER_UNBOUND');
    expect(sim.running).toBe(false);
    await sim.start();
    expect(sim.port).toBe(port);
    const again = await receiver(sim.port);
    const resp = await submit(again.session);
    expect(resp.status).toBe(Status.ESME_ROK);
    await eventually(() => again.delivered.length === 1);
    expect(receiptedMessageIdOf(again.delivered[0]!.tlvs)).toBe(resp.body.message_id);
  });

  it('dropSessions() cuts connections without an unbind', async () => {
    const sim = await startSim();
    const { session } = await receiver(sim.port);
    sim.dropSessions();
    expect(['PEER_CLOSED', 'SOCKET_ERROR']).toContain((await session.whenClosed()).code);
    await eventually(() => sim.stats.boundSessions === 0);
  });

  it('keeps no records with recordLimit 0 but still counts', async () => {
    const sim = await startSim({ recordLimit: 0 });
    const { session } = await receiver(sim.port);
    await submit(session);
    expect(sim.submits).toEqual([]);
    expect(sim.received).toEqual([]);
    expect(sim.stats.submitsReceived).toBe(1);
    await sim.waitForSubmits(1, 100);
  });
});
