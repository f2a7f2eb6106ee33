import {
  ESM_CLASS_UDHI,
  TextEncoding,
  dataCodingEncoding,
  gsm7Length,
  hasUdhIndicator,
  parseUdh,
  userDataOf,
  type Tlv,
} from '../smpp/index.js';
import { SimError } from './errors.js';

/**
 * Turning text into short_message octets for the messages the simulator and the test ESME
 * compose (MO, test submits), and back into a short preview for receipt texts. The proxy never
 * does either: it forwards the octets it was given.
 */

export const TextCoding = { gsm: 0x00, ucs2: 0x08 } as const;
export type TextCoding = (typeof TextCoding)[keyof typeof TextCoding];

export interface TextPartsOptions {
  /** 0: SMSC default alphabet, sent as latin1 octets; 8: UCS-2. Default: 0 when the text fits, else 8. */
  dataCoding?: TextCoding;
  /** Concatenation reference shared by the parts (0..255). Default 0. */
  reference?: number;
}

export interface TextParts {
  dataCoding: TextCoding;
  /** esm_class for every part: UDHI set when the text needed more than one part. */
  esmClass: number;
  /** short_message of each part, UDH included. */
  parts: Buffer[];
}

/** Units one SMS holds alone and as a part of a concatenated message (the 6-octet UDH takes the rest). */
const LIMITS = {
  [TextCoding.gsm]: { single: 160, multi: 153 },
  [TextCoding.ucs2]: { single: 70, multi: 67 },
} as const;

/** A concatenation header numbers parts with one octet. */
const MAX_PARTS = 255;

/**
 * True when the text can go as data_coding 0: every character is in the GSM 03.38 alphabet (so a
 * handset can show it) and is a single latin1 octet (the form the octets travel in here).
 */
export function fitsDefaultAlphabet(text: string): boolean {
  for (const ch of text) {
    if (ch.codePointAt(0)! > 0xff || gsm7Length(ch) === undefined) return false;
  }
  return true;
}

/**
 * Splits text into the short_message of each part: one part when it fits, otherwise parts
 * prefixed with an 8-bit-reference concatenation UDH (05 00 03 ref total seq). GSM escape-table
 * characters count two septets, and a UTF-16 surrogate pair is never cut in two.
 */
export function buildTextParts(text: string, options: TextPartsOptions = {}): TextParts {
  const fits = fitsDefaultAlphabet(text);
  const dataCoding = options.dataCoding ?? (fits ? TextCoding.gsm : TextCoding.ucs2);
  if (dataCoding !== TextCoding.gsm && dataCoding !== TextCoding.ucs2) {
    throw new SimError('INVALID_OPTION', `data_coding must be 0 or 8, got ${String(dataCoding)}`);
  }
  if (dataCoding === TextCoding.gsm && !fits) {
    throw new SimError('TEXT_NOT_ENCODABLE', 'the text has characters outside the GSM alphabet; send it with data_coding 8 (UCS-2)');
  }
  const reference = options.reference ?? 0;
  if (!Number.isInteger(reference) || reference < 0 || reference > 0xff) {
    throw new SimError('INVALID_OPTION', `concatenation reference must be 0..255, got ${reference}`);
  }
  const units = dataCoding === TextCoding.gsm ? gsmUnits(text) : ucs2Units(text);
  const total = units.reduce((sum, unit) => sum + unit.size, 0);
  const limit = LIMITS[dataCoding];
  const encode = (chunk: string): Buffer =>
    dataCoding === TextCoding.gsm ? Buffer.from(chunk, 'latin1') : Buffer.from(chunk, 'utf16le').swap16();
  if (total <= limit.single) return { dataCoding, esmClass: 0, parts: [encode(text)] };

  const chunks = chunk(units, limit.multi);
  if (chunks.length > MAX_PARTS) {
    throw new SimError('TEXT_TOO_LONG', `the text needs ${chunks.length} parts; at most ${MAX_PARTS} can be concatenated`);
  }
  const parts = chunks.map((piece, index) =>
    Buffer.concat([Buffer.from([0x05, 0x00, 0x03, reference, chunks.length, index + 1]), encode(piece)]),
  );
  return { dataCoding, esmClass: ESM_CLASS_UDHI, parts };
}

interface Unit {
  text: string;
  size: number;
}

function gsmUnits(text: string): Unit[] {
  return [...text].map((ch) => ({ text: ch, size: gsm7Length(ch)! }));
}

/** UTF-16 code units, with a surrogate pair kept together as one unit of size 2. */
function ucs2Units(text: string): Unit[] {
  return [...text].map((ch) => ({ text: ch, size: ch.length }));
}

function chunk(units: Unit[], capacity: number): string[] {
  const chunks: string[] = [];
  let current = '';
  let used = 0;
  for (const unit of units) {
    if (used + unit.size > capacity) {
      chunks.push(current);
      current = '';
      used = 0;
    }
    current += unit.text;
    used += unit.size;
  }
  chunks.push(current);
  return chunks;
}

/** Appendix B receipts quote the first 20 characters of the message. */
const PREVIEW_CHARS = 20;

/** data_coding values whose octets are one-byte national sets (ISO-8859-5 / -8), not UTF-16. */
const SINGLE_BYTE_NATIONAL = new Set([0x06, 0x07]);

/**
 * The characters of user data, when its data_coding names text this module can read: UTF-16BE
 * for the UCS-2 schemes, latin1 for the default-alphabet ones. undefined for binary data and
 * national character sets.
 */
export function readableText(data: Buffer, dataCoding: number): string | undefined {
  const encoding = dataCodingEncoding(dataCoding);
  if (encoding === TextEncoding.gsm7) return data.toString('latin1');
  if (encoding === TextEncoding.ucs2 && !SINGLE_BYTE_NATIONAL.has(dataCoding)) {
    // An odd trailing octet cannot be half a character; it is left out rather than guessed.
    const even = data.subarray(0, data.length - (data.length % 2));
    return Buffer.from(even).swap16().toString('utf16le');
  }
  return undefined;
}

/**
 * The start of a message as printable ASCII, for the `text:` field of a receipt: the UDH is
 * skipped and UCS-2 decoded; binary data gives ''. Other characters become '?', so the receipt
 * text stays plain single-octet text whatever the message held.
 */
export function messagePreview(shortMessage: Buffer, dataCoding: number, esmClass: number, tlvs: readonly Tlv[] = []): string {
  const text = readableText(messageBody(shortMessage, esmClass, tlvs), dataCoding);
  if (text === undefined) return '';
  let preview = '';
  for (const ch of text) {
    if (preview.length >= PREVIEW_CHARS) break;
    const code = ch.codePointAt(0)!;
    preview += code >= 0x20 && code <= 0x7e ? ch : '?';
  }
  return preview;
}

/** The user data without its UDH (when esm_class says one is there and it parses). */
export function messageBody(shortMessage: Buffer, esmClass: number, tlvs: readonly Tlv[] = []): Buffer {
  const data = userDataOf(shortMessage, tlvs);
  if (!hasUdhIndicator(esmClass)) return data;
  const udh = parseUdh(data);
  return udh.kind === 'udh' ? data.subarray(udh.length) : data;
}
