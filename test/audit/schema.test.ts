import { describe, expect, it } from 'vitest';
import { EventIdGenerator } from '../../src/audit/event-id.js';
import { formatEventLine } from '../../src/audit/format.js';
import {
  billingRecord,
  bindRejectedRecord,
  dlrRecord,
  parseAuditEvent,
  pduAuditEvent,
  pduRecord,
  SCHEMA_VERSION,
  type RecordContext,
} from '../../src/audit/schema.js';
import { encodePdu, integerTlv, makePdu, TlvTag } from '../../src/smpp/index.js';
import {
  billingEvent,
  bindFrame,
  dlrEvent,
  MESSAGE_TEXT,
  pduEvent,
  receiptFrame,
  submitBody,
  submitSmFrame,
  submitSmRespFrame,
} from './fixtures.js';

function context(): RecordContext {
  const ids = new EventIdGenerator(Date.UTC(2026, 10, 22), Buffer.from('0102030405', 'hex'));
  return { prefix: 'smpp', instance: 'px-1', nextId: () => ids.next() };
}

describe('PDU audit events', () => {
  it('carries the envelope, header values, decoded fields and the raw PDU', () => {
    const frame = submitSmFrame(11);
    const event = pduAuditEvent(pduEvent({ frame, proxyId: 'P9' }), context());
    expect(event).toEqual({
      v: SCHEMA_VERSION,
      type: 'pdu',
      id: expect.any(String),
      ts: '2026-11-22T10:00:00.000Z',
      instance: 'px-1',
      session: 'esme-1',
      side: 'esme',
      peer: 'acme',
      dir: 'in',
      command: 'submit_sm',
      command_id: 4,
      status: 0,
      status_name: 'ESME_ROK',
      seq: 11,
      proxy_id: 'P9',
      fields: {
        service_type: '',
        source_addr_ton: 5,
        source_addr_npi: 0,
        source_addr: 'ACME',
        dest_addr_ton: 1,
        dest_addr_npi: 1,
        destination_addr: '447700900123',
        esm_class: 0,
        protocol_id: 0,
        priority_flag: 0,
        registered_delivery: 1,
        data_coding: 0,
        sm_length: MESSAGE_TEXT.length,
      },
      raw: frame.toString('base64'),
    });
  });

  it('names an error status and keeps a bodiless error response decodable', () => {
    const event = pduAuditEvent(
      pduEvent({ frame: submitSmRespFrame(3, '', 0x58), command: 'submit_sm_resp', direction: 'out' }),
      context(),
    );
    expect(event).toMatchObject({ status: 0x58, status_name: 'ESME_RTHROTTLED', seq: 3, fields: {} });
  });

  it('keeps message text out of decoded fields, receipts included', () => {
    const receipt = pduAuditEvent(pduEvent({ frame: receiptFrame(5, 'C77'), command: 'deliver_sm' }), context());
    expect(receipt.fields).toMatchObject({
      esm_class: 4,
      receipted_message_id: 'C77',
      message_state: 2,
      receipt: { id: 'C77', sub: '001', dlvrd: '001', submit_date: '2611220101', done_date: '2611220102', stat: 'DELIVRD', err: '000' },
      tlvs: ['0x001e', '0x0427'],
    });
    expect(JSON.stringify(receipt.fields)).not.toMatch(/Secret|verification/);
    expect(Buffer.from(receipt.raw!, 'base64').toString('latin1')).toContain('text:Secret');
  });

  it('reads the receipt of a data_sm from message_payload', () => {
    const text = 'id:X1 sub:001 dlvrd:001 submit date:2611220101 done date:2611220102 stat:UNDELIV err:011 text:hello';
    const frame = encodePdu(
      makePdu(
        'data_sm',
        {
          service_type: '',
          source_addr_ton: 1,
          source_addr_npi: 1,
          source_addr: '447700900123',
          dest_addr_ton: 0,
          dest_addr_npi: 0,
          destination_addr: 'ACME',
          esm_class: 0x04,
          registered_delivery: 0,
          data_coding: 0,
        },
        { sequence: 4, tlvs: [{ tag: TlvTag.message_payload, value: Buffer.from(text, 'latin1') }, integerTlv(TlvTag.message_state, 5)] },
      ),
    );
    const event = pduAuditEvent(pduEvent({ frame, command: 'data_sm' }), context());
    expect(event.fields).toMatchObject({ payload_length: text.length, message_state: 5, receipt: { id: 'X1', stat: 'UNDELIV', err: '011' } });
  });

  it('reports long-message numbering from the UDH and from SAR TLVs', () => {
    const udh = Buffer.concat([Buffer.from([0x05, 0x00, 0x03, 0x2a, 0x03, 0x02]), Buffer.from('part two')]);
    const withUdh = encodePdu(makePdu('submit_sm', { ...submitBody('447700900123'), esm_class: 0x40, short_message: udh }, { sequence: 1 }));
    expect(pduAuditEvent(pduEvent({ frame: withUdh }), context()).fields?.concat).toEqual({ ref: 0x2a, total: 3, seq: 2 });
    const withSar = encodePdu(
      makePdu('submit_sm', submitBody('447700900123'), {
        sequence: 2,
        tlvs: [
          integerTlv(TlvTag.sar_msg_ref_num, 0x1234),
          integerTlv(TlvTag.sar_total_segments, 2),
          integerTlv(TlvTag.sar_segment_seqnum, 1),
        ],
      }),
    );
    expect(pduAuditEvent(pduEvent({ frame: withSar }), context()).fields?.concat).toEqual({ ref: 0x1234, total: 2, seq: 1 });
  });

  it('lists submit_multi destinations', () => {
    const frame = encodePdu(
      makePdu(
        'submit_multi',
        {
          ...submitBody(''),
          dest_address: [
            { dest_flag: 1, dest_addr_ton: 1, dest_addr_npi: 1, destination_addr: '447700900123' },
            { dest_flag: 2, dl_name: 'friends' },
          ],
        },
        { sequence: 27 },
      ),
    );
    const event = pduAuditEvent(pduEvent({ frame, command: 'submit_multi' }), context());
    expect(event.fields?.dest_address).toEqual([
      { dest_addr_ton: 1, dest_addr_npi: 1, destination_addr: '447700900123' },
      { dl_name: 'friends' },
    ]);
  });

  it('never publishes a bind password', () => {
    const frame = bindFrame(1, 'acme', 'pw123456');
    const event = pduAuditEvent(pduEvent({ frame, command: 'bind_transceiver' }), context());
    expect(event.redacted).toEqual(['password']);
    expect(event.fields).toMatchObject({ system_id: 'acme', interface_version: 0x34 });
    expect(JSON.stringify(event)).not.toContain('pw123456');
    const raw = Buffer.from(event.raw!, 'base64');
    expect(raw.includes(Buffer.from('pw123456'))).toBe(false);
    expect(raw.readUInt32BE(0)).toBe(raw.length);

    // A bind that does not decode keeps only its header: the password could be anywhere.
    const broken = Buffer.from(frame);
    broken.fill(0x41, 16); // no NUL terminators left in the body
    const brokenEvent = pduAuditEvent(pduEvent({ frame: broken, command: 'bind_transceiver' }), context());
    expect(brokenEvent.decode_error).toBeDefined();
    expect(brokenEvent.redacted).toEqual(['body']);
    expect(Buffer.from(brokenEvent.raw!, 'base64')).toEqual(broken.subarray(0, 16));
  });

  it('publishes an undecodable PDU with its error code and its bytes', () => {
    const frame = submitSmFrame(2);
    const truncated = Buffer.from(frame.subarray(0, 30));
    truncated.writeUInt32BE(30, 0);
    const event = pduAuditEvent(pduEvent({ frame: truncated }), context());
    expect(event.fields).toBeUndefined();
    expect(event.decode_error).toMatch(/^[A-Z_]+$/);
    expect(event.raw).toBe(truncated.toString('base64'));
  });

  it('puts the event on the documented subject, escaping the peer name', () => {
    const record = pduRecord(pduEvent({ frame: submitSmFrame(1), peer: 'big.co *', side: 'carrier', direction: 'out' }), context());
    expect(record.subject).toBe('smpp.pdu.carrier.big%2Eco%20%2A.out.submit_sm');
    expect(JSON.parse(record.payload.toString()).id).toBe(record.id);
  });
});

describe('billing, dlr and bind events', () => {
  it('maps billing and dlr events with ISO times', () => {
    const billing = billingRecord(billingEvent(1, { cost: 0.05, parts: 2 }), context());
    expect(billing.subject).toBe('smpp.billing.acme');
    expect(JSON.parse(billing.payload.toString())).toEqual({
      v: 1,
      type: 'billing',
      id: billing.id,
      ts: '2026-11-22T10:00:01.001Z',
      instance: 'px-1',
      proxy_id: 'P1',
      account: 'acme',
      carrier: 'cheap-uk',
      route: 'uk',
      cost: 0.05,
      parts: 2,
      destination: '447700900001',
      sender_original: 'ACME',
      sender_sent: 'ACME',
      carrier_message_id: 'C1',
      submitted_at: '2026-11-22T10:00:00.001Z',
      accepted_at: '2026-11-22T10:00:01.001Z',
    });
    const dlr = dlrRecord(dlrEvent(1, { err: undefined, messageState: undefined }), context());
    expect(dlr.subject).toBe('smpp.dlr.acme');
    const parsed = JSON.parse(dlr.payload.toString());
    expect(parsed).toMatchObject({ type: 'dlr', stat: 'DELIVRD', received_at: '2026-11-22T10:00:05.001Z' });
    expect('err' in parsed).toBe(false);
    expect('message_state' in parsed).toBe(false);
  });

  it('records rejected binds on one subject whatever the system_id', () => {
    const record = bindRejectedRecord({ systemId: 'x.*>', remote: '10.0.0.1:5000', reason: 'bad password', at: 0 }, context());
    expect(record.subject).toBe('smpp.bind.rejected');
    expect(JSON.parse(record.payload.toString())).toMatchObject({ type: 'bind_rejected', system_id: 'x.*>', reason: 'bad password' });
  });
});

describe('parseAuditEvent', () => {
  it('accepts v1 events and reports anything else', () => {
    const record = billingRecord(billingEvent(1), context());
    expect(parseAuditEvent(record.payload).ok).toBe(true);
    expect(parseAuditEvent(Buffer.from(record.payload)).ok).toBe(true);
    expect(parseAuditEvent('not json')).toEqual({ ok: false, reason: 'not JSON' });
    expect(parseAuditEvent('42')).toEqual({ ok: false, reason: 'not an object' });
    expect(parseAuditEvent(JSON.stringify({ ...JSON.parse(record.payload.toString()), v: 2 }))).toEqual({
      ok: false,
      reason: 'unsupported schema version 2',
    });
    expect(parseAuditEvent(JSON.stringify({ v: 1, id: 'x', ts: 't', type: 'other' })).ok).toBe(false);
  });
});

describe('formatEventLine', () => {
  it('prints one readable line per event kind', () => {
    const ctx = context();
    const pdu = pduRecord(pduEvent({ frame: submitSmFrame(11), proxyId: 'P1' }), ctx);
    expect(formatEventLine(pdu.subject, pdu.payload)).toBe(
      '2026-11-22T10:00:00.000Z smpp.pdu.esme.acme.in.submit_sm  submit_sm ESME_ROK seq=11 session=esme-1 ACME -> 447700900123 dc=0 len=31 proxy_id=P1',
    );
    const resp = pduRecord(
      pduEvent({ frame: submitSmRespFrame(11, 'P1'), command: 'submit_sm_resp', direction: 'out', proxyId: 'P1' }),
      ctx,
    );
    expect(formatEventLine(resp.subject, resp.payload)).toContain('submit_sm_resp ESME_ROK seq=11 session=esme-1 message_id=P1');
    const billing = billingRecord(billingEvent(2, { senderSent: 'INFO' }), ctx);
    expect(formatEventLine(billing.subject, billing.payload)).toBe(
      '2026-11-22T10:00:01.002Z smpp.billing.acme  billing acme via cheap-uk route=uk cost=0.0123 parts=1 to=447700900002 from=INFO (was ACME) proxy_id=P2 carrier_id=C2',
    );
    const dlr = dlrRecord(dlrEvent(2), ctx);
    expect(formatEventLine(dlr.subject, dlr.payload)).toContain('dlr acme via cheap-uk stat=DELIVRD err=000 proxy_id=P2');
    expect(formatEventLine('x.y', 'garbage\u0007')).toBe('x.y  (not JSON) garbage\\x07');
  });

  it('keeps control characters from peers off the terminal', () => {
    const ctx = context();
    const rejected = bindRejectedRecord({ systemId: 'evil\u001b[2J', remote: '1.2.3.4:5', reason: 'unknown', at: 0 }, ctx);
    expect(formatEventLine(rejected.subject, rejected.payload)).toContain('system_id=evil\\x1b[2J');
  });
});

it('event ids are unique and carry the boot prefix', () => {
  const a = new EventIdGenerator(1_000, Buffer.from('0000000001', 'hex'));
  const b = new EventIdGenerator(1_000, Buffer.from('0000000002', 'hex'));
  const ids = new Set<string>();
  for (let i = 0; i < 1_000; i++) {
    ids.add(a.next());
    ids.add(b.next());
  }
  expect(ids.size).toBe(2_000);
  expect(a.issued).toBe(1_000);
});
