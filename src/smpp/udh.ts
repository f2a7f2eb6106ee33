/**
 * User Data Header (3GPP TS 23.040 9.2.3.24) and SAR TLV parsing, reduced to what a proxy needs:
 * which concatenated message a PDU belongs to, so every part leaves through the same carrier,
 * and a command_status to answer with when the header cannot be trusted.
 */
import { TlvTag, type Tlv } from './tlv.js';

/** esm_class bit 6: the user data starts with a UDH. */
export const ESM_CLASS_UDHI = 0x40;

/** Information element identifiers of the two concatenation headers. */
export const UdhIei = {
  /** Concatenated short messages, 8-bit reference: ref, total, seq (3 octets). */
  concat8: 0x00,
  /** Concatenated short messages, 16-bit reference: ref (2), total, seq (4 octets). */
  concat16: 0x08,
} as const;

/**
 * command_status values (SMPP 3.4 5.1.3) this module answers with, kept here so the module
 * depends on nothing but the TLV table.
 */
const ESME_RINVMSGLEN = 0x01;
const ESME_RINVESMCLASS = 0x43;
const ESME_RINVPARLEN = 0xc2;
const ESME_RMISSINGOPTPARAM = 0xc3;
const ESME_RINVOPTPARAMVAL = 0xc4;

/**
 * Why the concatenation data of a PDU is unusable, each with the status the PDU is refused with.
 *
 * - Lengths inside the user data that disagree with the octets present are ESME_RINVMSGLEN, the
 *   status the codec gives sm_length running past the body: the message is shorter than its
 *   own headers say.
 * - A well-formed UDH whose concatenation element holds impossible values is
 *   ESME_RINVESMCLASS: SMPP 3.4 has no status for UDH content, and the UDHI bit of esm_class
 *   is what claims a valid header is there, so that is the field the ESME has to look at.
 * - SAR TLVs use the TLV statuses: wrong size ESME_RINVPARLEN, one or two of the three missing
 *   ESME_RMISSINGOPTPARAM, impossible or contradictory values ESME_RINVOPTPARAMVAL.
 */
export const UserDataError = {
  /** esm_class has UDHI set but the message has no octets. */
  UDH_EMPTY: { status: ESME_RINVMSGLEN },
  /** UDHL + 1 is more than the octets of the message. */
  UDH_LENGTH_OVERFLOW: { status: ESME_RINVMSGLEN },
  /** An information element's header or data runs past the end of the UDH. */
  UDH_ELEMENT_TRUNCATED: { status: ESME_RINVMSGLEN },
  /** A concatenation element whose length is not 3 (IEI 0x00) or 4 (IEI 0x08). */
  CONCAT_ELEMENT_LENGTH: { status: ESME_RINVESMCLASS },
  /** More than one concatenation element in one UDH: the message it belongs to is ambiguous. */
  CONCAT_ELEMENT_REPEATED: { status: ESME_RINVESMCLASS },
  /** Concatenation element with total 0, sequence 0, or sequence above total. */
  CONCAT_VALUE_INVALID: { status: ESME_RINVESMCLASS },
  /** A SAR TLV whose value is not the size SMPP 3.4 sets (2, 1, 1 octets). */
  SAR_LENGTH_INVALID: { status: ESME_RINVPARLEN },
  /** Some but not all of sar_msg_ref_num, sar_total_segments, sar_segment_seqnum. */
  SAR_INCOMPLETE: { status: ESME_RMISSINGOPTPARAM },
  /** A SAR TLV given twice. */
  SAR_REPEATED: { status: ESME_RINVOPTPARAMVAL },
  /** sar_total_segments 0, sar_segment_seqnum 0, or sequence above total. */
  SAR_VALUE_INVALID: { status: ESME_RINVOPTPARAMVAL },
  /** UDH and SAR TLVs both present and disagreeing on total or sequence. */
  CONCAT_CONFLICT: { status: ESME_RINVOPTPARAMVAL },
} as const satisfies Record<string, { status: number }>;

export type UserDataErrorCode = keyof typeof UserDataError;

/** A refusal: answer the PDU with `status` and forward nothing. */
export interface UserDataInvalid {
  readonly kind: 'invalid';
  readonly code: UserDataErrorCode;
  readonly status: number;
  readonly message: string;
}

export interface UdhElement {
  readonly iei: number;
  /** The element's data octets, a view into the message (not a copy). */
  readonly data: Buffer;
}

export interface Udh {
  readonly kind: 'udh';
  /** Octets the header takes, UDHL octet included: the text starts at this offset. */
  readonly length: number;
  readonly elements: readonly UdhElement[];
}

export interface ConcatInfo {
  readonly kind: 'concat';
  /** Reference shared by all parts of one message (scope: sender and destination). */
  readonly ref: number;
  readonly total: number;
  /** 1-based part number. */
  readonly seq: number;
  readonly refBits: 8 | 16;
  readonly source: 'udh' | 'sar';
}

function invalid(code: UserDataErrorCode, message: string): UserDataInvalid {
  return { kind: 'invalid', code, status: UserDataError[code].status, message };
}

export function hasUdhIndicator(esmClass: number): boolean {
  return (esmClass & ESM_CLASS_UDHI) !== 0;
}

/**
 * The octets that carry the message: short_message, or the message_payload TLV when
 * short_message is empty (SMPP 3.4 forbids both at once; the codec rejects that).
 */
export function userDataOf(shortMessage: Buffer, tlvs: readonly Tlv[]): Buffer {
  if (shortMessage.length > 0) return shortMessage;
  return tlvs.find((t) => t.tag === TlvTag.message_payload)?.value ?? shortMessage;
}

/**
 * Parses the UDH at the start of user data whose esm_class has UDHI set. Every length is
 * checked against the octets present before anything is read, so no input makes it throw.
 * UDHL 0 is accepted as a header with no elements.
 */
export function parseUdh(userData: Buffer): Udh | UserDataInvalid {
  if (userData.length === 0) return invalid('UDH_EMPTY', 'UDHI is set but the message is empty');
  const udhl = userData[0]!;
  const length = udhl + 1;
  if (length > userData.length) {
    return invalid('UDH_LENGTH_OVERFLOW', `UDH length ${udhl} exceeds the ${userData.length - 1} octets after it`);
  }
  const elements: UdhElement[] = [];
  let at = 1;
  while (at < length) {
    if (at + 2 > length) {
      return invalid('UDH_ELEMENT_TRUNCATED', `information element header at octet ${at} is cut off`);
    }
    const iei = userData[at]!;
    const iedl = userData[at + 1]!;
    const start = at + 2;
    if (start + iedl > length) {
      return invalid(
        'UDH_ELEMENT_TRUNCATED',
        `information element 0x${hex2(iei)} declares ${iedl} octets, ${length - start} left in the UDH`,
      );
    }
    elements.push({ iei, data: userData.subarray(start, start + iedl) });
    at = start + iedl;
  }
  return { kind: 'udh', length, elements };
}

/** The concatenation element of a UDH; undefined when it has none (e.g. only port addressing). */
export function concatFromUdh(udh: Udh): ConcatInfo | UserDataInvalid | undefined {
  const concat = udh.elements.filter((e) => e.iei === UdhIei.concat8 || e.iei === UdhIei.concat16);
  const element = concat[0];
  if (element === undefined) return undefined;
  if (concat.length > 1) {
    return invalid('CONCAT_ELEMENT_REPEATED', `${concat.length} concatenation elements in one UDH`);
  }
  const refBits = element.iei === UdhIei.concat8 ? 8 : 16;
  const expected = refBits === 8 ? 3 : 4;
  const data = element.data;
  if (data.length !== expected) {
    return invalid(
      'CONCAT_ELEMENT_LENGTH',
      `concatenation element 0x${hex2(element.iei)} has ${data.length} octets, expected ${expected}`,
    );
  }
  const ref = refBits === 8 ? data[0]! : data.readUInt16BE(0);
  const total = data[expected - 2]!;
  const seq = data[expected - 1]!;
  const problem = concatValueProblem(total, seq);
  if (problem !== undefined) return invalid('CONCAT_VALUE_INVALID', `UDH ${problem}`);
  return { kind: 'concat', ref, total, seq, refBits, source: 'udh' };
}

const SAR_TAGS = [
  { tag: TlvTag.sar_msg_ref_num, name: 'sar_msg_ref_num', size: 2 },
  { tag: TlvTag.sar_total_segments, name: 'sar_total_segments', size: 1 },
  { tag: TlvTag.sar_segment_seqnum, name: 'sar_segment_seqnum', size: 1 },
] as const;

/** Concatenation from the SAR TLVs; undefined when none of the three is present. */
export function concatFromSar(tlvs: readonly Tlv[]): ConcatInfo | UserDataInvalid | undefined {
  const values: number[] = [];
  const missing: string[] = [];
  for (const { tag, name, size } of SAR_TAGS) {
    const found = tlvs.filter((t) => t.tag === tag);
    const tlv = found[0];
    if (tlv === undefined) {
      missing.push(name);
      continue;
    }
    if (found.length > 1) return invalid('SAR_REPEATED', `${name} appears ${found.length} times`);
    if (tlv.value.length !== size) {
      return invalid('SAR_LENGTH_INVALID', `${name} has ${tlv.value.length} octets, expected ${size}`);
    }
    values.push(tlv.value.readUIntBE(0, size));
  }
  if (missing.length === SAR_TAGS.length) return undefined;
  if (missing.length > 0) return invalid('SAR_INCOMPLETE', `SAR TLVs present without ${missing.join(', ')}`);
  const [ref, total, seq] = values as [number, number, number];
  const problem = concatValueProblem(total, seq);
  if (problem !== undefined) return invalid('SAR_VALUE_INVALID', `SAR ${problem}`);
  return { kind: 'concat', ref, total, seq, refBits: 16, source: 'sar' };
}

function concatValueProblem(total: number, seq: number): string | undefined {
  if (total === 0) return 'total segments is 0';
  if (seq === 0) return 'segment number is 0';
  if (seq > total) return `segment number ${seq} exceeds total ${total}`;
  return undefined;
}

/**
 * Which concatenated message a PDU belongs to, from the result of parseUdh (undefined when
 * esm_class has no UDHI) and the SAR TLVs. undefined: not part of a concatenated message.
 *
 * When both carry concatenation data they must agree on total and sequence (references may
 * differ in width); the UDH wins because it is what the handset joins on.
 */
export function concatInfo(
  udh: Udh | UserDataInvalid | undefined,
  tlvs: readonly Tlv[],
): ConcatInfo | UserDataInvalid | undefined {
  if (udh?.kind === 'invalid') return udh;
  const fromUdh = udh === undefined ? undefined : concatFromUdh(udh);
  if (fromUdh?.kind === 'invalid') return fromUdh;
  const fromSar = concatFromSar(tlvs);
  if (fromSar?.kind === 'invalid') return fromSar;
  if (fromUdh !== undefined && fromSar !== undefined) {
    if (fromUdh.total !== fromSar.total || fromUdh.seq !== fromSar.seq) {
      return invalid(
        'CONCAT_CONFLICT',
        `UDH says part ${fromUdh.seq}/${fromUdh.total}, SAR TLVs say ${fromSar.seq}/${fromSar.total}`,
      );
    }
  }
  return fromUdh ?? fromSar;
}

export interface ConcatSource {
  esmClass: number;
  shortMessage: Buffer;
  tlvs: readonly Tlv[];
}

/**
 * concatInfo for a submit_sm / deliver_sm / data_sm / submit_multi straight from its fields:
 * parses the UDH when esm_class has UDHI set, from short_message or, when that is empty, from
 * message_payload (data_sm has no short_message: pass an empty Buffer).
 */
export function messageConcatInfo(pdu: ConcatSource): ConcatInfo | UserDataInvalid | undefined {
  const udh = hasUdhIndicator(pdu.esmClass) ? parseUdh(userDataOf(pdu.shortMessage, pdu.tlvs)) : undefined;
  return concatInfo(udh, pdu.tlvs);
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}
