import { describe, expect, it } from 'vitest';
import {
  COMMAND_NAMES,
  CommandId,
  SmppError,
  Status,
  TlvTag,
  commandNameOf,
  cstringTlv,
  decodePdu,
  encodePdu,
  errorResponseFor,
  findTlv,
  integerTlv,
  isResponseId,
  makePdu,
  patchSequence,
  responseNameOf,
  statusName,
  tlvInteger,
  tlvNameOf,
  tlvString,
  type Pdu,
  type SmppErrorCode,
  type SubmitSmBody,
} from '../../src/smpp/index.js';
import { ERROR_REGISTRY, FIELD_STATUS } from '../../src/smpp/errors.js';
import { submitSmBody } from '../../src/sim/pdus.js';
import { byName } from './vectors.js';

const baseSubmit = (): SubmitSmBody => submitSmBody({ short_message: Buffer.from('Hello world') });

function expectEncodeError(pdu: unknown, code: SmppErrorCode, field?: string): SmppError {
  let thrown: unknown;
  try {
    encodePdu(pdu as Pdu);
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(SmppError);
  const error = thrown as SmppError;
  expect(error.code).toBe(code);
  if (field !== undefined) expect(error.field).toBe(field);
  return error;
}

describe('encodePdu', () => {
  it('builds the submit_sm vector from a typed body', () => {
    const pdu = makePdu('submit_sm', baseSubmit(), { sequence: 11 });
    expect(encodePdu(pdu).toString('hex')).toBe(byName('submit_sm_gsm_text').hex);
  });

  it('makePdu defaults: status 0, sequence 0, no TLVs', () => {
    expect(makePdu('enquire_link', {})).toEqual({ command: 'enquire_link', status: 0, sequence: 0, body: {}, tlvs: [] });
  });

  it('rejects C-strings over their maximum size', () => {
    expectEncodeError(makePdu('submit_sm', { ...baseSubmit(), source_addr: '1'.repeat(21) }), 'CSTRING_TOO_LONG', 'source_addr');
    expectEncodeError(makePdu('bind_transmitter', { system_id: 'x'.repeat(16), password: '', system_type: '', interface_version: 0x34, addr_ton: 0, addr_npi: 0, address_range: '' }), 'CSTRING_TOO_LONG', 'system_id');
    const ok = makePdu('submit_sm', { ...baseSubmit(), source_addr: '1'.repeat(20) });
    expect(() => encodePdu(ok)).not.toThrow();
  });

  it('rejects strings holding NUL or characters beyond latin1', () => {
    expectEncodeError(makePdu('submit_sm', { ...baseSubmit(), source_addr: 'A\0B' }), 'CSTRING_INVALID_CHAR', 'source_addr');
    expectEncodeError(makePdu('submit_sm', { ...baseSubmit(), destination_addr: '44\u20ac' }), 'CSTRING_INVALID_CHAR', 'destination_addr');
  });

  it('writes latin1 characters as single octets', () => {
    const out = encodePdu(makePdu('submit_sm', { ...baseSubmit(), source_addr: '\u00e9\u00ff' }));
    expect(out.includes(Buffer.from([0xe9, 0xff, 0x00]))).toBe(true);
  });

  it('rejects integers that are not octets, and header values that are not uint32', () => {
    expectEncodeError(makePdu('submit_sm', { ...baseSubmit(), esm_class: 256 }), 'FIELD_OUT_OF_RANGE', 'esm_class');
    expectEncodeError(makePdu('submit_sm', { ...baseSubmit(), data_coding: -1 }), 'FIELD_OUT_OF_RANGE', 'data_coding');
    expectEncodeError(makePdu('submit_sm', { ...baseSubmit(), priority_flag: 1.5 }), 'FIELD_OUT_OF_RANGE', 'priority_flag');
    expectEncodeError(makePdu('enquire_link', {}, { sequence: 2 ** 32 }), 'FIELD_OUT_OF_RANGE', 'sequence_number');
    expectEncodeError(makePdu('enquire_link', {}, { status: -1 }), 'FIELD_OUT_OF_RANGE', 'command_status');
  });

  it('rejects missing mandatory fields', () => {
    const body: Partial<SubmitSmBody> = baseSubmit();
    delete body.destination_addr;
    expectEncodeError(makePdu('submit_sm', body as SubmitSmBody), 'FIELD_MISSING', 'destination_addr');
    expectEncodeError({ command: 'submit_sm', status: 0, sequence: 1, body: { ...baseSubmit(), short_message: 'text' }, tlvs: [] }, 'FIELD_MISSING', 'short_message');
    expectEncodeError({ command: 'query_sm_resp', status: 0, sequence: 1, body: { message_id: 'x' }, tlvs: [] }, 'FIELD_MISSING', 'final_date');
  });

  it('rejects a short_message over 254 octets', () => {
    expectEncodeError(makePdu('submit_sm', { ...baseSubmit(), short_message: Buffer.alloc(255) }), 'SM_LENGTH_TOO_LONG');
    expect(encodePdu(makePdu('submit_sm', { ...baseSubmit(), short_message: Buffer.alloc(254) }))).toHaveLength(60 - 11 + 254);
  });

  it('rejects malformed time fields', () => {
    expectEncodeError(makePdu('submit_sm', { ...baseSubmit(), validity_period: '1d' }), 'TIME_FORMAT_INVALID', 'validity_period');
    expectEncodeError(makePdu('submit_sm', { ...baseSubmit(), schedule_delivery_time: '261122010203004*' }), 'TIME_FORMAT_INVALID');
  });

  it('rejects message_payload with a non-empty short_message', () => {
    const tlvs = [{ tag: TlvTag.message_payload, value: Buffer.from('x') }];
    expectEncodeError(makePdu('submit_sm', baseSubmit(), { tlvs }), 'PAYLOAD_WITH_SHORT_MESSAGE');
    expect(() => encodePdu(makePdu('submit_sm', { ...baseSubmit(), short_message: Buffer.alloc(0) }, { tlvs }))).not.toThrow();
  });

  it('rejects TLVs the command does not take, the decoder could not read back, or that are malformed', () => {
    const tlv = integerTlv(TlvTag.message_state, 2);
    expectEncodeError(makePdu('enquire_link', {}, { tlvs: [tlv] }), 'TLV_NOT_ALLOWED');
    expectEncodeError(makePdu('query_sm', { message_id: 'a', source_addr_ton: 0, source_addr_npi: 0, source_addr: '' }, { tlvs: [tlv] }), 'TLV_NOT_ALLOWED');
    expectEncodeError(makePdu('submit_sm_resp', {}, { status: 8, tlvs: [tlv] }), 'TLVS_WITHOUT_BODY');
    expectEncodeError(makePdu('submit_sm', baseSubmit(), { tlvs: [{ tag: TlvTag.message_state, value: Buffer.alloc(2) }] }), 'TLV_LENGTH_INVALID', 'message_state');
    expectEncodeError(makePdu('submit_sm', baseSubmit(), { tlvs: [{ tag: 0x10000, value: Buffer.alloc(1) }] }), 'TLV_INVALID');
    expectEncodeError(makePdu('submit_sm', baseSubmit(), { tlvs: [{ tag: 0x1400, value: Buffer.alloc(65536) }] }), 'TLV_INVALID');
  });

  it('rejects bad submit_multi destination lists', () => {
    const multi = (dest_address: unknown[]): unknown => ({
      command: 'submit_multi',
      status: 0,
      sequence: 1,
      tlvs: [],
      body: { ...baseSubmit(), dest_addr_ton: undefined, dest_addr_npi: undefined, destination_addr: undefined, dest_address },
    });
    expectEncodeError(multi([]), 'DEST_COUNT_INVALID');
    expectEncodeError(multi(Array.from({ length: 255 }, () => ({ dest_flag: 2, dl_name: 'x' }))), 'DEST_COUNT_INVALID');
    expectEncodeError(multi([{ dest_flag: 3, dl_name: 'x' }]), 'DEST_FLAG_INVALID');
    expectEncodeError(multi([{ dest_flag: 2, dl_name: 'x'.repeat(21) }]), 'CSTRING_TOO_LONG', 'dl_name');
    expect(() => encodePdu(multi([{ dest_flag: 2, dl_name: 'x'.repeat(20) }]) as Pdu)).not.toThrow();
  });

  it('rejects an unknown command name', () => {
    expectEncodeError({ command: 'submit_lm', status: 0, sequence: 1, body: {}, tlvs: [] }, 'UNKNOWN_COMMAND_ID');
    expectEncodeError({ command: 'toString', status: 0, sequence: 1, body: {}, tlvs: [] }, 'UNKNOWN_COMMAND_ID');
  });

  it('writes a response body only when a field is present', () => {
    expect(encodePdu(makePdu('submit_sm_resp', {}, { status: Status.ESME_RTHROTTLED, sequence: 19 })).toString('hex')).toBe(
      byName('submit_sm_resp_status_0x58_no_body').hex,
    );
    expect(encodePdu(makePdu('submit_sm_resp', { message_id: '' }, { status: Status.ESME_RTHROTTLED, sequence: 20 })).toString('hex')).toBe(
      byName('submit_sm_resp_status_0x58_public_api').hex,
    );
  });
});

describe('errorResponseFor', () => {
  it('builds an encodable *_resp for every request command, and nothing for responses', () => {
    for (const name of COMMAND_NAMES) {
      const error = new SmppError('BODY_TRUNCATED', 'test', { commandId: CommandId[name], sequence: 99 });
      const response = errorResponseFor(error);
      if (isResponseId(CommandId[name])) {
        expect(response, name).toBeUndefined();
        continue;
      }
      const expected = responseNameOf(name) ?? 'generic_nack';
      expect(response, name).toEqual({ command: expected, status: Status.ESME_RINVCMDLEN, sequence: 99, body: {}, tlvs: [] });
      const bytes = encodePdu(response!);
      expect(bytes).toHaveLength(16);
      const decoded = decodePdu(bytes);
      expect(decoded.ok && decoded.pdu.command).toBe(expected);
    }
  });

  it('answers an error without header context with generic_nack sequence 0', () => {
    expect(errorResponseFor(new SmppError('FRAME_LENGTH_MISMATCH', 'x'))).toEqual({
      command: 'generic_nack',
      status: Status.ESME_RINVCMDLEN,
      sequence: 0,
      body: {},
      tlvs: [],
    });
  });
});

describe('patchSequence', () => {
  it('returns a copy with only the sequence changed', () => {
    const original = Buffer.from(byName('submit_sm_udh').hex, 'hex');
    const before = Buffer.from(original);
    const patched = patchSequence(original, 0x7fffffff);
    expect(original).toEqual(before);
    expect(patched.readUInt32BE(12)).toBe(0x7fffffff);
    expect(patched.subarray(0, 12)).toEqual(original.subarray(0, 12));
    expect(patched.subarray(16)).toEqual(original.subarray(16));
  });

  it('rejects a frame without a header and a sequence that is not a uint32', () => {
    expect(() => patchSequence(Buffer.alloc(15), 1)).toThrow(SmppError);
    expect(() => patchSequence(Buffer.alloc(16), -1)).toThrow(SmppError);
    expect(() => patchSequence(Buffer.alloc(16), 2 ** 32)).toThrow(SmppError);
  });
});

describe('lookups', () => {
  it('maps command ids and names both ways', () => {
    expect(commandNameOf(0x80000004)).toBe('submit_sm_resp');
    expect(commandNameOf(0x00000102)).toBe('alert_notification');
    expect(commandNameOf(0x12345)).toBeUndefined();
    expect(responseNameOf('submit_sm')).toBe('submit_sm_resp');
    expect(responseNameOf('bind_transceiver')).toBe('bind_transceiver_resp');
    expect(responseNameOf('data_sm')).toBe('data_sm_resp');
    expect(responseNameOf('outbind')).toBeUndefined();
    expect(responseNameOf('alert_notification')).toBeUndefined();
    expect(responseNameOf('submit_sm_resp')).toBeUndefined();
    expect(responseNameOf('generic_nack')).toBeUndefined();
    expect(isResponseId(CommandId.generic_nack)).toBe(true);
    expect(isResponseId(CommandId.enquire_link)).toBe(false);
    expect(COMMAND_NAMES).toHaveLength(27);
  });

  it('names statuses, with hex for unknown codes', () => {
    expect(statusName(0x58)).toBe('ESME_RTHROTTLED');
    expect(statusName(0)).toBe('ESME_ROK');
    expect(statusName(0xc2)).toBe('ESME_RINVPARLEN');
    expect(statusName(0x400)).toBe('0x00000400');
    expect(statusName(0xdeadbeef)).toBe('0xDEADBEEF');
  });

  it('has a status for every error code and every field the layouts name', () => {
    for (const [code, entry] of Object.entries(ERROR_REGISTRY)) {
      expect(typeof entry.fatal, code).toBe('boolean');
    }
    for (const status of Object.values(FIELD_STATUS)) expect(statusName(status)).toMatch(/^ESME_/);
  });

  it('builds, finds and reads TLVs', () => {
    const tlvs = [integerTlv(TlvTag.sar_msg_ref_num, 0x1234), cstringTlv(TlvTag.receipted_message_id, 'abc'), integerTlv(TlvTag.message_state, 2)];
    expect(tlvs[0]!.value).toEqual(Buffer.from([0x12, 0x34]));
    expect(tlvs[1]!.value).toEqual(Buffer.from('abc\0'));
    expect(findTlv(tlvs, TlvTag.message_state)).toBe(tlvs[2]);
    expect(findTlv(tlvs, TlvTag.message_payload)).toBeUndefined();
    expect(tlvInteger(tlvs, TlvTag.sar_msg_ref_num)).toBe(0x1234);
    expect(tlvString(tlvs, TlvTag.receipted_message_id)).toBe('abc');
    expect(tlvString([{ tag: 0x1e, value: Buffer.from('xyz') }], 0x1e)).toBe('xyz');
    expect(tlvNameOf(0x0427)).toBe('message_state');
    expect(tlvNameOf(0x1400)).toBeUndefined();
    expect(() => integerTlv(TlvTag.sar_total_segments, 256)).toThrow(SmppError);
    expect(() => integerTlv(TlvTag.message_payload, 1)).toThrow(SmppError);
    expect(() => cstringTlv(TlvTag.receipted_message_id, 'a\0')).toThrow(SmppError);
  });
});
