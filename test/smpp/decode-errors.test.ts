import { describe, expect, it } from 'vitest';
import {
  CommandId,
  Status,
  SmppError,
  decodePdu,
  encodePdu,
  errorResponseFor,
  type SmppErrorCode,
} from '../../src/smpp/index.js';
import { byName, cstr, frame } from './vectors.js';

interface Expectation {
  code: SmppErrorCode;
  status: number;
  fatal: boolean;
  field?: string;
}

function expectError(input: Buffer, expected: Expectation, options?: { maxLength?: number }): SmppError {
  const result = decodePdu(input, options);
  if (result.ok) throw new Error(`decoded a ${result.pdu.command} that should have been rejected`);
  const error = result.error;
  expect(error).toBeInstanceOf(SmppError);
  expect({ code: error.code, status: error.status, fatal: error.fatal }).toEqual({
    code: expected.code,
    status: expected.status,
    fatal: expected.fatal,
  });
  if (expected.field !== undefined) expect(error.field).toBe(expected.field);
  return error;
}

function expectOk(input: Buffer): void {
  const result = decodePdu(input);
  if (!result.ok) throw result.error;
  expect(encodePdu(result.pdu)).toEqual(input);
}

// submit_sm body pieces, so each case changes one thing and everything else stays valid.
const SVC = cstr('');
const SRC = '0500' + cstr('ACME');
const DST = '0101' + cstr('447700900123');
const FLAGS = '000000';
const TIMES = cstr('') + cstr('');
const TAIL = '01000000';
const SM = '0b' + Buffer.from('Hello world').toString('hex');
const submit = (parts: Partial<Record<'svc' | 'src' | 'dst' | 'flags' | 'times' | 'tail' | 'sm' | 'tlvs', string>> = {}): Buffer =>
  frame(
    CommandId.submit_sm,
    (parts.svc ?? SVC) + (parts.src ?? SRC) + (parts.dst ?? DST) + (parts.flags ?? FLAGS) + (parts.times ?? TIMES) +
      (parts.tail ?? TAIL) + (parts.sm ?? SM) + (parts.tlvs ?? ''),
    { sequence: 77 },
  );

const bind = (systemId: string, password: string, systemType = cstr(''), rest = '340000' + cstr('')): Buffer =>
  frame(CommandId.bind_transmitter, systemId + password + systemType + rest, { sequence: 5 });

describe('header and framing errors', () => {
  it.each([0, 1, 8, 15])('command_length %i is fatal ESME_RINVCMDLEN', (length) => {
    const f = Buffer.alloc(16);
    f.writeUInt32BE(length, 0);
    f.writeUInt32BE(CommandId.enquire_link, 4);
    f.writeUInt32BE(9, 12);
    const error = expectError(f, { code: 'COMMAND_LENGTH_OUT_OF_RANGE', status: Status.ESME_RINVCMDLEN, fatal: true });
    expect(error.sequence).toBe(9);
    const nack = errorResponseFor(error);
    expect(nack).toMatchObject({ command: 'generic_nack', status: Status.ESME_RINVCMDLEN, sequence: 9 });
  });

  it('a frame longer than the cap is fatal', () => {
    expectError(frame(CommandId.enquire_link, '00'), { code: 'COMMAND_LENGTH_OUT_OF_RANGE', status: 2, fatal: true }, { maxLength: 16 });
  });

  it('a frame shorter than 4 octets or disagreeing with command_length is fatal', () => {
    expectError(Buffer.from('0000', 'hex'), { code: 'FRAME_LENGTH_MISMATCH', status: 2, fatal: true });
    expectError(Buffer.alloc(0), { code: 'FRAME_LENGTH_MISMATCH', status: 2, fatal: true });
    const long = Buffer.concat([Buffer.from('00000010000000150000000000000001', 'hex'), Buffer.from([0])]);
    expectError(long, { code: 'FRAME_LENGTH_MISMATCH', status: 2, fatal: true });
    const short = Buffer.from('00000020000000150000000000000001', 'hex');
    expectError(short, { code: 'FRAME_LENGTH_MISMATCH', status: 2, fatal: true });
  });

  it('an unknown command_id is non-fatal ESME_RINVCMDID answered by generic_nack', () => {
    const error = expectError(frame(0x00000077, '', { sequence: 42 }), { code: 'UNKNOWN_COMMAND_ID', status: Status.ESME_RINVCMDID, fatal: false });
    expect(error.commandId).toBe(0x77);
    expect(error.sequence).toBe(42);
    expect(errorResponseFor(error)).toEqual({ command: 'generic_nack', status: 3, sequence: 42, body: {}, tlvs: [] });
    // An unknown id is nacked even with the response bit set: no response command exists to answer with.
    const unknownResp = expectError(frame(0x80000077, ''), { code: 'UNKNOWN_COMMAND_ID', status: 3, fatal: false });
    expect(errorResponseFor(unknownResp)?.command).toBe('generic_nack');
  });

  it('keeps a non-zero command_status on a request (the session decides what it means)', () => {
    expectOk(frame(CommandId.enquire_link, '', { status: 0x58 }));
  });
});

describe('bodies that must be empty', () => {
  it.each(['enquire_link', 'enquire_link_resp', 'unbind', 'unbind_resp', 'generic_nack', 'cancel_sm_resp', 'replace_sm_resp'] as const)(
    '%s with one extra octet is BODY_NOT_EMPTY',
    (command) => {
      const error = expectError(frame(CommandId[command], '00', { sequence: 3 }), { code: 'BODY_NOT_EMPTY', status: Status.ESME_RINVCMDLEN, fatal: false });
      const response = errorResponseFor(error);
      if (command === 'enquire_link' || command === 'unbind') {
        expect(response).toEqual({ command: `${command}_resp`, status: 2, sequence: 3, body: {}, tlvs: [] });
        expect(encodePdu(response!)).toHaveLength(16);
      } else {
        expect(response).toBeUndefined();
      }
    },
  );
});

describe('bind fields', () => {
  it('accepts the longest legal system_id and password', () => {
    expectOk(bind(cstr('A'.repeat(15)), cstr('B'.repeat(8))));
  });

  it('system_id without NUL within 16 octets is ESME_RINVSYSID', () => {
    const error = expectError(bind(cstr('A'.repeat(16)), cstr('pw')), { code: 'CSTRING_TOO_LONG', status: Status.ESME_RINVSYSID, fatal: false, field: 'system_id' });
    expect(errorResponseFor(error)).toEqual({ command: 'bind_transmitter_resp', status: Status.ESME_RINVSYSID, sequence: 5, body: {}, tlvs: [] });
  });

  it('password over 8 characters is ESME_RINVPASWD', () => {
    expectError(bind(cstr('sys'), cstr('123456789')), { code: 'CSTRING_TOO_LONG', status: Status.ESME_RINVPASWD, fatal: false, field: 'password' });
  });

  it('system_type over 12 characters is ESME_RINVSYSTYP', () => {
    expectError(bind(cstr('sys'), cstr('pw'), cstr('T'.repeat(13))), { code: 'CSTRING_TOO_LONG', status: Status.ESME_RINVSYSTYP, fatal: false, field: 'system_type' });
  });

  it('address_range over 40 characters fails the bind', () => {
    expectError(bind(cstr('sys'), cstr('pw'), cstr(''), '340101' + cstr('9'.repeat(41))), {
      code: 'CSTRING_TOO_LONG',
      status: Status.ESME_RBINDFAIL,
      fatal: false,
      field: 'address_range',
    });
  });

  it('a body that stops inside system_id is CSTRING_UNTERMINATED', () => {
    expectError(frame(CommandId.bind_transmitter, Buffer.from('acme').toString('hex')), {
      code: 'CSTRING_UNTERMINATED',
      status: Status.ESME_RINVSYSID,
      fatal: false,
      field: 'system_id',
    });
  });

  it('a body that stops before interface_version is BODY_TRUNCATED', () => {
    expectError(frame(CommandId.bind_transmitter, cstr('sys') + cstr('pw') + cstr('')), {
      code: 'BODY_TRUNCATED',
      status: Status.ESME_RINVCMDLEN,
      fatal: false,
      field: 'interface_version',
    });
  });

  it('a body that stops before address_range is BODY_TRUNCATED', () => {
    expectError(bind(cstr('sys'), cstr('pw'), cstr(''), '340101'), { code: 'BODY_TRUNCATED', status: 2, fatal: false, field: 'address_range' });
  });

  it('an empty bind body is BODY_TRUNCATED', () => {
    expectError(frame(CommandId.bind_receiver, ''), { code: 'BODY_TRUNCATED', status: 2, fatal: false, field: 'system_id' });
  });

  it('an octet after address_range is BODY_TRAILING_BYTES (binds take no TLVs)', () => {
    expectError(bind(cstr('sys'), cstr('pw'), cstr(''), '340000' + cstr('') + '00'), { code: 'BODY_TRAILING_BYTES', status: 2, fatal: false });
  });

  it('outbind with a long password answers with generic_nack (outbind has no response)', () => {
    const error = expectError(frame(CommandId.outbind, cstr('smsc') + cstr('x'.repeat(9)), { sequence: 8 }), {
      code: 'CSTRING_TOO_LONG',
      status: Status.ESME_RINVPASWD,
      fatal: false,
    });
    expect(errorResponseFor(error)).toMatchObject({ command: 'generic_nack', status: Status.ESME_RINVPASWD, sequence: 8 });
  });
});

describe('submit_sm fields', () => {
  it('the baseline built here is valid', () => {
    expectOk(submit());
  });

  it('service_type over 5 characters is ESME_RINVSERTYP', () => {
    expectError(submit({ svc: cstr('ABCDEF') }), { code: 'CSTRING_TOO_LONG', status: Status.ESME_RINVSERTYP, fatal: false });
  });

  it('source_addr over 20 characters is ESME_RINVSRCADR', () => {
    expectOk(submit({ src: '0500' + cstr('1'.repeat(20)) }));
    const error = expectError(submit({ src: '0500' + cstr('1'.repeat(21)) }), { code: 'CSTRING_TOO_LONG', status: Status.ESME_RINVSRCADR, fatal: false, field: 'source_addr' });
    expect(errorResponseFor(error)).toEqual({ command: 'submit_sm_resp', status: Status.ESME_RINVSRCADR, sequence: 77, body: {}, tlvs: [] });
  });

  it('destination_addr over 20 characters is ESME_RINVDSTADR', () => {
    expectError(submit({ dst: '0101' + cstr('4'.repeat(21)) }), { code: 'CSTRING_TOO_LONG', status: Status.ESME_RINVDSTADR, fatal: false, field: 'destination_addr' });
  });

  it('a schedule_delivery_time that is not 0 or 16 characters is ESME_RINVSCHED', () => {
    expectError(submit({ times: cstr('26112201020300+') + cstr('') }), { code: 'TIME_FORMAT_INVALID', status: Status.ESME_RINVSCHED, fatal: false });
    expectError(submit({ times: cstr('2611220102030004+') + cstr('') }), { code: 'CSTRING_TOO_LONG', status: Status.ESME_RINVSCHED, fatal: false });
  });

  it('a validity_period with a bad sign or a letter among the digits is ESME_RINVEXPIRY', () => {
    expectError(submit({ times: cstr('') + cstr('261122010203004X') }), { code: 'TIME_FORMAT_INVALID', status: Status.ESME_RINVEXPIRY, fatal: false });
    expectError(submit({ times: cstr('') + cstr('2611220102O3004+') }), { code: 'TIME_FORMAT_INVALID', status: Status.ESME_RINVEXPIRY, fatal: false });
    expectOk(submit({ times: cstr('261122010203004-') + cstr('000001000000000R') }));
  });

  it('sm_length past the end of the body is SM_LENGTH_MISMATCH', () => {
    expectError(submit({ sm: '0c' + Buffer.from('Hello world').toString('hex') }), { code: 'SM_LENGTH_MISMATCH', status: Status.ESME_RINVMSGLEN, fatal: false });
  });

  it('sm_length 255 is SM_LENGTH_TOO_LONG even when the octets are there; 254 is accepted', () => {
    expectError(submit({ sm: 'ff' + '41'.repeat(255) }), { code: 'SM_LENGTH_TOO_LONG', status: Status.ESME_RINVMSGLEN, fatal: false });
    expectOk(submit({ sm: 'fe' + '41'.repeat(254) }));
  });

  it('a body ending before sm_length is BODY_TRUNCATED', () => {
    expectError(submit({ sm: '' }), { code: 'BODY_TRUNCATED', status: 2, fatal: false, field: 'sm_length' });
  });

  it('one to three octets after the short message are TLV_HEADER_TRUNCATED', () => {
    for (const tail of ['04', '0424', '042400']) {
      expectError(submit({ tlvs: tail }), { code: 'TLV_HEADER_TRUNCATED', status: Status.ESME_RINVOPTPARSTREAM, fatal: false });
    }
  });

  it('a TLV length past the end of the PDU is TLV_LENGTH_OVERFLOW', () => {
    expectError(submit({ sm: '00', tlvs: '04240005' + 'aabbcc' }), { code: 'TLV_LENGTH_OVERFLOW', status: Status.ESME_RINVPARLEN, fatal: false, field: 'message_payload' });
    expectError(submit({ tlvs: '1400ffff' }), { code: 'TLV_LENGTH_OVERFLOW', status: Status.ESME_RINVPARLEN, fatal: false });
  });

  it('a fixed-size TLV with another length is TLV_LENGTH_INVALID', () => {
    expectError(submit({ tlvs: '020c000112' }), { code: 'TLV_LENGTH_INVALID', status: Status.ESME_RINVPARLEN, fatal: false, field: 'sar_msg_ref_num' });
    expectError(submit({ tlvs: '020e00020002' }), { code: 'TLV_LENGTH_INVALID', status: Status.ESME_RINVPARLEN, fatal: false, field: 'sar_total_segments' });
    expectError(submit({ tlvs: '04230002000b' }), { code: 'TLV_LENGTH_INVALID', status: Status.ESME_RINVPARLEN, fatal: false, field: 'network_error_code' });
    expectError(submit({ tlvs: '001e0042' + '31'.repeat(65) + '00' }), { code: 'TLV_LENGTH_INVALID', status: Status.ESME_RINVPARLEN, fatal: false, field: 'receipted_message_id' });
  });

  it('message_payload with a non-empty short_message is PAYLOAD_WITH_SHORT_MESSAGE', () => {
    expectError(submit({ tlvs: '0424000141' }), { code: 'PAYLOAD_WITH_SHORT_MESSAGE', status: Status.ESME_RINVMSGLEN, fatal: false });
    expectOk(submit({ sm: '00', tlvs: '0424000141' }));
  });

  it('unknown TLVs of any length, including zero, are kept verbatim', () => {
    expectOk(submit({ tlvs: '14000000' + '14010003010203' + 'ffff0001ee' }));
  });
});

describe('other commands', () => {
  it('submit_multi: number_of_dests 0 is ESME_RINVNUMDESTS', () => {
    const body = cstr('') + SRC + '00' + FLAGS + TIMES + TAIL + SM;
    expectError(frame(CommandId.submit_multi, body), { code: 'DEST_COUNT_INVALID', status: Status.ESME_RINVNUMDESTS, fatal: false });
  });

  it('submit_multi: number_of_dests 255 is ESME_RINVNUMDESTS', () => {
    const dests = ('01' + DST).repeat(255);
    const body = cstr('') + SRC + 'ff' + dests + FLAGS + TIMES + TAIL + SM;
    expectError(frame(CommandId.submit_multi, body), { code: 'DEST_COUNT_INVALID', status: Status.ESME_RINVNUMDESTS, fatal: false });
  });

  it('submit_multi: dest_flag 3 is ESME_RINVDESTFLAG', () => {
    const body = cstr('') + SRC + '01' + '03' + DST + FLAGS + TIMES + TAIL + SM;
    expectError(frame(CommandId.submit_multi, body), { code: 'DEST_FLAG_INVALID', status: Status.ESME_RINVDESTFLAG, fatal: false });
  });

  it('submit_multi: a distribution list name over 20 characters is ESME_RINVDLNAME', () => {
    const body = cstr('') + SRC + '01' + '02' + cstr('d'.repeat(21)) + FLAGS + TIMES + TAIL + SM;
    expectError(frame(CommandId.submit_multi, body), { code: 'CSTRING_TOO_LONG', status: Status.ESME_RINVDLNAME, fatal: false, field: 'dl_name' });
  });

  it('submit_multi: fewer destinations than announced runs into the next fields', () => {
    const body = cstr('') + SRC + '02' + '01' + DST;
    expectError(frame(CommandId.submit_multi, body), { code: 'BODY_TRUNCATED', status: 2, fatal: false, field: 'dest_flag' });
  });

  it('submit_multi_resp: a truncated error_status_code is rejected and not answered', () => {
    const error = expectError(frame(CommandId.submit_multi_resp, cstr('m1') + '01' + '0101' + cstr('44') + '0000'), {
      code: 'BODY_TRUNCATED',
      status: 2,
      fatal: false,
      field: 'error_status_code',
    });
    expect(errorResponseFor(error)).toBeUndefined();
  });

  it('submit_sm_resp: a message_id over 64 characters is ESME_RINVMSGID', () => {
    expectError(frame(CommandId.submit_sm_resp, cstr('m'.repeat(65))), { code: 'CSTRING_TOO_LONG', status: Status.ESME_RINVMSGID, fatal: false });
    expectOk(frame(CommandId.submit_sm_resp, cstr('m'.repeat(64))));
  });

  it('query_sm: TLVs are not allowed', () => {
    expectError(frame(CommandId.query_sm, cstr('abc') + SRC + '00050001'), { code: 'BODY_TRAILING_BYTES', status: 2, fatal: false });
  });

  it('query_sm_resp: a final_date that is not a time is rejected', () => {
    expectError(frame(CommandId.query_sm_resp, cstr('abc') + cstr('yesterday') + '0200'), { code: 'TIME_FORMAT_INVALID', status: Status.ESME_RQUERYFAIL, fatal: false });
  });

  it('query_sm_resp: a body with only some fields is BODY_TRUNCATED', () => {
    expectError(frame(CommandId.query_sm_resp, cstr('abc') + cstr('')), { code: 'BODY_TRUNCATED', status: 2, fatal: false, field: 'message_state' });
  });

  it('cancel_sm: a message_id over 64 characters is ESME_RINVMSGID and answered by cancel_sm_resp', () => {
    const error = expectError(frame(CommandId.cancel_sm, cstr('') + cstr('x'.repeat(65)) + SRC + DST, { sequence: 6 }), {
      code: 'CSTRING_TOO_LONG',
      status: Status.ESME_RINVMSGID,
      fatal: false,
    });
    expect(errorResponseFor(error)).toMatchObject({ command: 'cancel_sm_resp', status: Status.ESME_RINVMSGID, sequence: 6 });
  });

  it('replace_sm: sm_length past the end is SM_LENGTH_MISMATCH; TLVs are not allowed', () => {
    const head = cstr('abc') + SRC + TIMES + '0100';
    expectError(frame(CommandId.replace_sm, head + '05' + '41414141'), { code: 'SM_LENGTH_MISMATCH', status: 1, fatal: false });
    expectError(frame(CommandId.replace_sm, head + '00' + '0424000141'), { code: 'BODY_TRAILING_BYTES', status: 2, fatal: false });
  });

  it('data_sm: addresses may be 64 characters, not 65', () => {
    const body = (addr: string): string => cstr('') + '0101' + cstr(addr) + DST + '000100';
    expectOk(frame(CommandId.data_sm, body('1'.repeat(64))));
    expectError(frame(CommandId.data_sm, body('1'.repeat(65))), { code: 'CSTRING_TOO_LONG', status: Status.ESME_RINVSRCADR, fatal: false });
  });

  it('alert_notification: a long esme_addr is rejected and answered by generic_nack', () => {
    const error = expectError(frame(CommandId.alert_notification, '0101' + cstr('1') + '0101' + cstr('2'.repeat(65)), { sequence: 11 }), {
      code: 'CSTRING_TOO_LONG',
      status: Status.ESME_RINVSRCADR,
      fatal: false,
      field: 'esme_addr',
    });
    expect(errorResponseFor(error)).toMatchObject({ command: 'generic_nack', sequence: 11, status: Status.ESME_RINVSRCADR });
  });

  it('a response body that starts but stops inside its C-string is rejected', () => {
    expectError(frame(CommandId.submit_sm_resp, '6162'), { code: 'CSTRING_UNTERMINATED', status: Status.ESME_RINVMSGID, fatal: false });
  });

  it('a vector with one octet cut off its end is rejected as a non-fatal error', () => {
    for (const name of ['submit_sm_gsm_text', 'deliver_sm_delivery_receipt', 'bind_transceiver', 'submit_multi', 'query_sm_resp', 'alert_notification']) {
      const original = Buffer.from(byName(name).hex, 'hex');
      const cut = Buffer.from(original.subarray(0, original.length - 1));
      cut.writeUInt32BE(cut.length, 0);
      const result = decodePdu(cut);
      expect(result.ok, name).toBe(false);
      if (!result.ok) expect(result.error.fatal, name).toBe(false);
    }
  });
});
