import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Status } from '../../src/smpp/status.js';
import { TlvTag, type Tlv } from '../../src/smpp/tlv.js';
import {
  UserDataError,
  concatFromSar,
  concatFromUdh,
  concatInfo,
  hasUdhIndicator,
  messageConcatInfo,
  parseUdh,
  userDataOf,
  type Udh,
  type UserDataErrorCode,
} from '../../src/smpp/udh.js';

const bytes = (...b: number[]) => Buffer.from(b);
const tlv = (tag: number, ...value: number[]): Tlv => ({ tag, value: Buffer.from(value) });
const sar = (ref: number, total: number, seq: number): Tlv[] => [
  tlv(TlvTag.sar_msg_ref_num, ref >> 8, ref & 0xff),
  tlv(TlvTag.sar_total_segments, total),
  tlv(TlvTag.sar_segment_seqnum, seq),
];

function udhOf(message: Buffer): Udh {
  const udh = parseUdh(message);
  if (udh.kind !== 'udh') throw new Error(`expected a UDH, got ${udh.code}`);
  return udh;
}

describe('parseUdh', () => {
  it('reads the golden submit_sm_udh message (8-bit reference 0x2A, part 1 of 3)', () => {
    const message = Buffer.from('0500032a0301' + Buffer.from('Part 1 of 3').toString('hex'), 'hex');
    const udh = udhOf(message);
    expect(udh.length).toBe(6);
    expect(udh.elements).toHaveLength(1);
    expect(udh.elements[0]!.iei).toBe(0x00);
    expect(udh.elements[0]!.data).toEqual(bytes(0x2a, 0x03, 0x01));
    expect(message.subarray(udh.length).toString()).toBe('Part 1 of 3');
    expect(concatFromUdh(udh)).toEqual({ kind: 'concat', ref: 0x2a, total: 3, seq: 1, refBits: 8, source: 'udh' });
  });

  it('reads a 16-bit reference', () => {
    const udh = udhOf(bytes(0x06, 0x08, 0x04, 0x12, 0x34, 0x05, 0x02, 0x41));
    expect(udh.length).toBe(7);
    expect(concatFromUdh(udh)).toEqual({ kind: 'concat', ref: 0x1234, total: 5, seq: 2, refBits: 16, source: 'udh' });
  });

  it('walks past other elements (port addressing) to the concatenation element', () => {
    const message = bytes(0x0b, 0x05, 0x04, 0x0b, 0x84, 0x23, 0xf0, 0x00, 0x03, 0x07, 0x02, 0x02, 0xaa);
    const udh = udhOf(message);
    expect(udh.length).toBe(12);
    expect(udh.elements.map((e) => e.iei)).toEqual([0x05, 0x00]);
    expect(udh.elements[0]!.data).toEqual(bytes(0x0b, 0x84, 0x23, 0xf0));
    expect(concatFromUdh(udh)).toMatchObject({ ref: 7, total: 2, seq: 2 });
  });

  it('accepts an empty element and UDHL 0', () => {
    expect(udhOf(bytes(0x02, 0x70, 0x00, 0x41)).elements).toEqual([{ iei: 0x70, data: Buffer.alloc(0) }]);
    const empty = udhOf(bytes(0x00, 0x41));
    expect(empty).toEqual({ kind: 'udh', length: 1, elements: [] });
    expect(concatFromUdh(empty)).toBeUndefined();
  });

  it('returns views into the message rather than copies', () => {
    const message = bytes(0x05, 0x00, 0x03, 0x2a, 0x03, 0x01);
    const data = udhOf(message).elements[0]!.data;
    message[3] = 0x2b;
    expect(data[0]).toBe(0x2b);
  });

  it.each<[string, Buffer, UserDataErrorCode]>([
    ['empty message', Buffer.alloc(0), 'UDH_EMPTY'],
    ['UDHL past the end', bytes(0x05, 0x00, 0x03, 0x2a, 0x03), 'UDH_LENGTH_OVERFLOW'],
    ['UDHL 255 on a short message', bytes(0xff, 0x00), 'UDH_LENGTH_OVERFLOW'],
    ['element header cut by UDHL', bytes(0x01, 0x00, 0x41), 'UDH_ELEMENT_TRUNCATED'],
    ['element data past UDHL', bytes(0x03, 0x00, 0x03, 0x2a, 0x03, 0x01), 'UDH_ELEMENT_TRUNCATED'],
    ['second element cut', bytes(0x06, 0x00, 0x03, 0x2a, 0x03, 0x01, 0x08), 'UDH_ELEMENT_TRUNCATED'],
  ])('refuses %s with ESME_RINVMSGLEN', (_name, message, code) => {
    const result = parseUdh(message);
    expect(result).toMatchObject({ kind: 'invalid', code, status: Status.ESME_RINVMSGLEN });
    if (result.kind === 'invalid') expect(result.message).not.toBe('');
  });

  it.each<[string, Buffer, UserDataErrorCode]>([
    ['8-bit element of 2 octets', bytes(0x04, 0x00, 0x02, 0x2a, 0x03), 'CONCAT_ELEMENT_LENGTH'],
    ['8-bit element of 4 octets', bytes(0x06, 0x00, 0x04, 0x2a, 0x03, 0x01, 0x00), 'CONCAT_ELEMENT_LENGTH'],
    ['16-bit element of 3 octets', bytes(0x05, 0x08, 0x03, 0x2a, 0x03, 0x01), 'CONCAT_ELEMENT_LENGTH'],
    ['total 0', bytes(0x05, 0x00, 0x03, 0x2a, 0x00, 0x00), 'CONCAT_VALUE_INVALID'],
    ['sequence 0', bytes(0x05, 0x00, 0x03, 0x2a, 0x03, 0x00), 'CONCAT_VALUE_INVALID'],
    ['sequence above total', bytes(0x05, 0x00, 0x03, 0x2a, 0x03, 0x04), 'CONCAT_VALUE_INVALID'],
    ['16-bit sequence above total', bytes(0x06, 0x08, 0x04, 0x00, 0x01, 0x02, 0x03), 'CONCAT_VALUE_INVALID'],
    [
      'two concatenation elements',
      bytes(0x0b, 0x00, 0x03, 0x2a, 0x03, 0x01, 0x08, 0x04, 0x00, 0x2a, 0x03, 0x01),
      'CONCAT_ELEMENT_REPEATED',
    ],
  ])('refuses a concatenation element with %s with ESME_RINVESMCLASS', (_name, message, code) => {
    expect(concatFromUdh(udhOf(message))).toMatchObject({ kind: 'invalid', code, status: Status.ESME_RINVESMCLASS });
  });

  it('accepts sequence equal to total and a single-part message', () => {
    expect(concatFromUdh(udhOf(bytes(0x05, 0x00, 0x03, 0x01, 0xff, 0xff)))).toMatchObject({ total: 255, seq: 255 });
    expect(concatFromUdh(udhOf(bytes(0x05, 0x00, 0x03, 0x01, 0x01, 0x01)))).toMatchObject({ total: 1, seq: 1 });
  });
});

describe('concatFromSar', () => {
  it('reads the golden submit_sm_sar_tlvs TLVs', () => {
    const tlvs = [tlv(0x020c, 0x12, 0x34), tlv(0x020e, 0x02), tlv(0x020f, 0x01)];
    expect(concatFromSar(tlvs)).toEqual({ kind: 'concat', ref: 0x1234, total: 2, seq: 1, refBits: 16, source: 'sar' });
  });

  it('ignores order and unrelated TLVs, and is undefined without SAR TLVs', () => {
    const tlvs = [
      tlv(TlvTag.sar_segment_seqnum, 3),
      tlv(0x1400, 1, 2),
      tlv(TlvTag.sar_total_segments, 3),
      tlv(TlvTag.sar_msg_ref_num, 0, 9),
    ];
    expect(concatFromSar(tlvs)).toMatchObject({ ref: 9, total: 3, seq: 3 });
    expect(concatFromSar([])).toBeUndefined();
    expect(concatFromSar([tlv(TlvTag.user_message_reference, 0, 1)])).toBeUndefined();
  });

  it.each<[string, Tlv[], UserDataErrorCode, number]>([
    ['missing seqnum', sar(1, 2, 1).slice(0, 2), 'SAR_INCOMPLETE', Status.ESME_RMISSINGOPTPARAM],
    ['only the reference', sar(1, 2, 1).slice(0, 1), 'SAR_INCOMPLETE', Status.ESME_RMISSINGOPTPARAM],
    ['1-octet reference', [tlv(TlvTag.sar_msg_ref_num, 1), ...sar(1, 2, 1).slice(1)], 'SAR_LENGTH_INVALID', Status.ESME_RINVPARLEN],
    [
      '2-octet total',
      [sar(1, 2, 1)[0]!, tlv(TlvTag.sar_total_segments, 0, 2), sar(1, 2, 1)[2]!],
      'SAR_LENGTH_INVALID',
      Status.ESME_RINVPARLEN,
    ],
    ['empty seqnum', [...sar(1, 2, 1).slice(0, 2), tlv(TlvTag.sar_segment_seqnum)], 'SAR_LENGTH_INVALID', Status.ESME_RINVPARLEN],
    ['total 0', sar(1, 0, 0), 'SAR_VALUE_INVALID', Status.ESME_RINVOPTPARAMVAL],
    ['seqnum 0', sar(1, 2, 0), 'SAR_VALUE_INVALID', Status.ESME_RINVOPTPARAMVAL],
    ['seqnum above total', sar(1, 2, 3), 'SAR_VALUE_INVALID', Status.ESME_RINVOPTPARAMVAL],
    ['a repeated seqnum', [...sar(1, 2, 1), tlv(TlvTag.sar_segment_seqnum, 2)], 'SAR_REPEATED', Status.ESME_RINVOPTPARAMVAL],
  ])('refuses %s', (_name, tlvs, code, status) => {
    expect(concatFromSar(tlvs)).toMatchObject({ kind: 'invalid', code, status });
  });
});

describe('concatInfo', () => {
  const udh = bytes(0x05, 0x00, 0x03, 0x2a, 0x03, 0x02, 0x41);

  it('takes the UDH when only a UDH is present', () => {
    expect(concatInfo(parseUdh(udh), [])).toMatchObject({ source: 'udh', ref: 0x2a, total: 3, seq: 2 });
  });

  it('takes the SAR TLVs when there is no UDH or it has no concatenation element', () => {
    expect(concatInfo(undefined, sar(7, 2, 2))).toMatchObject({ source: 'sar', ref: 7 });
    expect(concatInfo(parseUdh(bytes(0x00, 0x41)), sar(7, 2, 2))).toMatchObject({ source: 'sar', ref: 7 });
  });

  it('is undefined for a message that is not concatenated', () => {
    expect(concatInfo(undefined, [])).toBeUndefined();
    expect(concatInfo(parseUdh(bytes(0x04, 0x70, 0x02, 0x01, 0x02)), [])).toBeUndefined();
  });

  it('prefers the UDH when UDH and SAR agree on total and sequence', () => {
    expect(concatInfo(parseUdh(udh), sar(0x1234, 3, 2))).toMatchObject({ source: 'udh', ref: 0x2a, refBits: 8 });
  });

  it('refuses UDH and SAR that disagree', () => {
    expect(concatInfo(parseUdh(udh), sar(0x2a, 3, 1))).toMatchObject({
      kind: 'invalid',
      code: 'CONCAT_CONFLICT',
      status: Status.ESME_RINVOPTPARAMVAL,
    });
    expect(concatInfo(parseUdh(udh), sar(0x2a, 4, 2))).toMatchObject({ code: 'CONCAT_CONFLICT' });
  });

  it('passes on the first error found: UDH structure, UDH values, then SAR', () => {
    expect(concatInfo(parseUdh(Buffer.alloc(0)), sar(1, 2, 1))).toMatchObject({ code: 'UDH_EMPTY' });
    expect(concatInfo(parseUdh(bytes(0x05, 0x00, 0x03, 0x2a, 0x00, 0x01)), sar(1, 2, 0))).toMatchObject({
      code: 'CONCAT_VALUE_INVALID',
    });
    expect(concatInfo(parseUdh(udh), sar(1, 2, 0))).toMatchObject({ code: 'SAR_VALUE_INVALID' });
  });
});

describe('messageConcatInfo and helpers', () => {
  const udh = bytes(0x05, 0x00, 0x03, 0x2a, 0x02, 0x01, 0x41);

  it('reads the UDH only when esm_class has UDHI set', () => {
    expect(hasUdhIndicator(0x40)).toBe(true);
    expect(hasUdhIndicator(0x43)).toBe(true);
    expect(hasUdhIndicator(0x04)).toBe(false);
    expect(messageConcatInfo({ esmClass: 0x40, shortMessage: udh, tlvs: [] })).toMatchObject({ ref: 0x2a, seq: 1 });
    expect(messageConcatInfo({ esmClass: 0x00, shortMessage: udh, tlvs: [] })).toBeUndefined();
  });

  it('finds the UDH in message_payload when short_message is empty', () => {
    const tlvs = [tlv(TlvTag.message_payload, ...udh)];
    expect(userDataOf(Buffer.alloc(0), tlvs)).toEqual(udh);
    expect(userDataOf(bytes(0x41), tlvs)).toEqual(bytes(0x41));
    expect(messageConcatInfo({ esmClass: 0x40, shortMessage: Buffer.alloc(0), tlvs })).toMatchObject({ ref: 0x2a });
  });

  it('refuses UDHI with an empty message', () => {
    expect(messageConcatInfo({ esmClass: 0x40, shortMessage: Buffer.alloc(0), tlvs: [] })).toMatchObject({
      code: 'UDH_EMPTY',
      status: Status.ESME_RINVMSGLEN,
    });
  });

  it('uses the command_status values of the codec status table', () => {
    const expected: Record<UserDataErrorCode, number> = {
      UDH_EMPTY: Status.ESME_RINVMSGLEN,
      UDH_LENGTH_OVERFLOW: Status.ESME_RINVMSGLEN,
      UDH_ELEMENT_TRUNCATED: Status.ESME_RINVMSGLEN,
      CONCAT_ELEMENT_LENGTH: Status.ESME_RINVESMCLASS,
      CONCAT_ELEMENT_REPEATED: Status.ESME_RINVESMCLASS,
      CONCAT_VALUE_INVALID: Status.ESME_RINVESMCLASS,
      SAR_LENGTH_INVALID: Status.ESME_RINVPARLEN,
      SAR_INCOMPLETE: Status.ESME_RMISSINGOPTPARAM,
      SAR_REPEATED: Status.ESME_RINVOPTPARAMVAL,
      SAR_VALUE_INVALID: Status.ESME_RINVOPTPARAMVAL,
      CONCAT_CONFLICT: Status.ESME_RINVOPTPARAMVAL,
    };
    const actual = Object.fromEntries(Object.entries(UserDataError).map(([code, { status }]) => [code, status]));
    expect(actual).toEqual(expected);
  });
});

describe('properties', () => {
  const statuses = new Set<number>(Object.values(UserDataError).map((e) => e.status));

  it('parseUdh never throws on random bytes and accounts for every header octet', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (raw) => {
        const message = Buffer.from(raw);
        const result = parseUdh(message);
        if (result.kind === 'invalid') {
          expect(statuses.has(result.status)).toBe(true);
          return;
        }
        expect(result.length).toBe(message[0]! + 1);
        expect(result.length).toBeLessThanOrEqual(message.length);
        const covered = result.elements.reduce((sum, e) => sum + 2 + e.data.length, 1);
        expect(covered).toBe(result.length);
      }),
      { numRuns: 2000 },
    );
  });

  it('parseUdh reads back every well-formed header element by element', () => {
    const element = fc.record({ iei: fc.integer({ min: 0, max: 255 }), data: fc.uint8Array({ maxLength: 8 }) });
    fc.assert(
      fc.property(fc.array(element, { maxLength: 6 }), fc.uint8Array({ maxLength: 20 }), (elements, text) => {
        const body = Buffer.concat(elements.map((e) => Buffer.concat([bytes(e.iei, e.data.length), e.data])));
        const message = Buffer.concat([bytes(body.length), body, text]);
        const udh = udhOf(message);
        expect(udh.elements.map((e) => [e.iei, [...e.data]])).toEqual(elements.map((e) => [e.iei, [...e.data]]));
        // Whatever the elements hold, concatenation info is a result, never an exception.
        const info = concatInfo(udh, []);
        if (info?.kind === 'concat') expect(info.seq).toBeGreaterThanOrEqual(1);
      }),
    );
  });

  it('concatInfo never throws on random UDH bytes and random SAR TLVs', () => {
    const sarTlv = fc.record({
      tag: fc.constantFrom(TlvTag.sar_msg_ref_num, TlvTag.sar_total_segments, TlvTag.sar_segment_seqnum, 0x1400),
      value: fc.uint8Array({ maxLength: 3 }).map((v) => Buffer.from(v)),
    });
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 40 }),
        fc.array(sarTlv, { maxLength: 5 }),
        fc.integer({ min: 0, max: 255 }),
        (raw, tlvs, esmClass) => {
          const result = messageConcatInfo({ esmClass, shortMessage: Buffer.from(raw), tlvs });
          if (result?.kind === 'invalid') expect(statuses.has(result.status)).toBe(true);
          if (result?.kind === 'concat') {
            expect(result.total).toBeGreaterThanOrEqual(1);
            expect(result.seq).toBeGreaterThanOrEqual(1);
            expect(result.seq).toBeLessThanOrEqual(result.total);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('reads back any valid concatenation header it is given', () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.integer({ min: 0, max: 0xffff }),
        fc.integer({ min: 1, max: 255 }),
        fc.integer({ min: 1, max: 255 }),
        (wide, rawRef, total, rawSeq) => {
          const seq = ((rawSeq - 1) % total) + 1;
          const ref = wide ? rawRef : rawRef & 0xff;
          const header = wide ? bytes(0x06, 0x08, 0x04, ref >> 8, ref & 0xff, total, seq) : bytes(0x05, 0x00, 0x03, ref, total, seq);
          expect(messageConcatInfo({ esmClass: 0x40, shortMessage: header, tlvs: [] })).toEqual({
            kind: 'concat',
            ref,
            total,
            seq,
            refBits: wide ? 16 : 8,
            source: 'udh',
          });
          expect(concatFromSar(sar(ref, total, seq))).toEqual({ kind: 'concat', ref, total, seq, refBits: 16, source: 'sar' });
        },
      ),
    );
  });
});
