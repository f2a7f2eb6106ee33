/**
 * Delivery receipts: recognising them, reading and writing the receipt text of SMPP 3.4
 * Appendix B, rewriting the carrier's message id to the proxy's without touching anything
 * else, and normalising carrier message ids so a receipt finds the submit it belongs to.
 */
import { TlvTag, type Tlv } from './tlv.js';

// ---------------------------------------------------------------------------------------------
// esm_class message types and message_state

/** esm_class bits 2-5: the message type of a deliver_sm / data_sm (SMPP 3.4 5.2.12). */
export const EsmMessageType = {
  default: 0x00,
  deliveryReceipt: 0x04,
  deliveryAck: 0x08,
  manualAck: 0x10,
  conversationAbort: 0x18,
  intermediateNotification: 0x20,
} as const;
export type EsmMessageType = (typeof EsmMessageType)[keyof typeof EsmMessageType];

const ESM_MESSAGE_TYPE_MASK = 0x3c;

/** True for an SMSC delivery receipt (esm_class bits 2-5 = 0001). */
export function isReceipt(esmClass: number): boolean {
  return (esmClass & ESM_MESSAGE_TYPE_MASK) === EsmMessageType.deliveryReceipt;
}

/** message_state TLV (0x0427) and query_sm_resp values, SMPP 3.4 5.2.28. */
export const MessageState = {
  ENROUTE: 1,
  DELIVERED: 2,
  EXPIRED: 3,
  DELETED: 4,
  UNDELIVERABLE: 5,
  ACCEPTED: 6,
  UNKNOWN: 7,
  REJECTED: 8,
} as const;
export type MessageStateName = keyof typeof MessageState;
export type MessageState = (typeof MessageState)[MessageStateName];

/** The 7-letter `stat:` words of Appendix B, by message state. */
export const StatWord = {
  ENROUTE: 'ENROUTE',
  DELIVERED: 'DELIVRD',
  EXPIRED: 'EXPIRED',
  DELETED: 'DELETED',
  UNDELIVERABLE: 'UNDELIV',
  ACCEPTED: 'ACCEPTD',
  UNKNOWN: 'UNKNOWN',
  REJECTED: 'REJECTD',
} as const satisfies Record<MessageStateName, string>;
export type StatWord = (typeof StatWord)[MessageStateName];

const STATE_NAME_BY_VALUE = new Map<number, MessageStateName>(
  (Object.entries(MessageState) as [MessageStateName, MessageState][]).map(([name, value]) => [value, name]),
);

/**
 * Stat words as carriers write them, upper-cased: the Appendix B words, the spelled-out state
 * names (ENROUTE, DELIVERED, ...), and UNDELIVERED.
 */
const STATE_BY_WORD = new Map<string, MessageState>([
  ...(Object.entries(StatWord) as [MessageStateName, StatWord][]).map(
    ([name, word]) => [word, MessageState[name]] as [string, MessageState],
  ),
  ...(Object.entries(MessageState) as [MessageStateName, MessageState][]),
  ['UNDELIVERED', MessageState.UNDELIVERABLE],
]);

export function messageStateName(state: number): MessageStateName | undefined {
  return STATE_NAME_BY_VALUE.get(state);
}

export function statWordOf(state: number): StatWord | undefined {
  const name = STATE_NAME_BY_VALUE.get(state);
  return name === undefined ? undefined : StatWord[name];
}

/** The message state a `stat:` word stands for, case-insensitive; undefined for unknown words. */
export function messageStateOfStat(word: string): MessageState | undefined {
  return STATE_BY_WORD.get(word.trim().toUpperCase());
}

// ---------------------------------------------------------------------------------------------
// Receipt TLVs

/** receipted_message_id (C-octet string) without its NUL, as latin1; undefined when absent. */
export function receiptedMessageIdOf(tlvs: readonly Tlv[]): string | undefined {
  const tlv = tlvs.find((t) => t.tag === TlvTag.receipted_message_id);
  if (tlv === undefined) return undefined;
  const v = tlv.value;
  const end = v.indexOf(0);
  return v.toString('latin1', 0, end === -1 ? v.length : end);
}

/** message_state TLV value; undefined when absent or not one octet. */
export function messageStateOf(tlvs: readonly Tlv[]): number | undefined {
  const tlv = tlvs.find((t) => t.tag === TlvTag.message_state);
  return tlv !== undefined && tlv.value.length === 1 ? tlv.value[0] : undefined;
}

// ---------------------------------------------------------------------------------------------
// Receipt text

export const ReceiptKey = {
  id: 'id',
  sub: 'sub',
  dlvrd: 'dlvrd',
  submitDate: 'submitDate',
  doneDate: 'doneDate',
  stat: 'stat',
  err: 'err',
  text: 'text',
} as const;
export type ReceiptKey = (typeof ReceiptKey)[keyof typeof ReceiptKey];

/** Where a value sits: [start, end) in octets of a Buffer, or in UTF-16 units of a string. */
export interface ReceiptSpan {
  readonly start: number;
  readonly end: number;
}

/**
 * The fields found in a receipt text. Values are verbatim (a Buffer is read as latin1, one
 * character per octet, so a span maps back to exactly those octets); a key that is absent
 * is undefined, a key with nothing after its colon is ''.
 */
export interface ReceiptFields {
  id?: string;
  sub?: string;
  dlvrd?: string;
  submitDate?: string;
  doneDate?: string;
  stat?: string;
  err?: string;
  text?: string;
  readonly spans: Partial<Record<ReceiptKey, ReceiptSpan>>;
}

/**
 * A key at the current position: `id`, `sub`, `dlvrd`, `submit date`, `done date`, `stat`,
 * `err`, `text`, any case, with `submit_date`/`submitdate` spellings, spaces allowed before the
 * colon. Sticky so it only matches where the scanner stands.
 */
const KEY_AT = /(id|sub|dlvrd|submit[ \t_]*date|done[ \t_]*date|stat|err|text)[ \t]*:/iy;
// Separators are ASCII whitespace and NUL only: \s would also split on U+00A0, which is octet
// 0xA0 of a latin1-read Buffer and may belong to a value.
const SPACE_AT = /[ \t]*/y;
const VALUE_AT = /[^\t\n\v\f\r \0]*/y;
const SEPARATORS_AT = /[\t\n\v\f\r \0]+/y;
const TOKEN_AT = /[^\t\n\v\f\r \0]+/y;

function keyOf(matched: string): ReceiptKey {
  const k = matched.toLowerCase();
  if (k.startsWith('submit')) return ReceiptKey.submitDate;
  if (k.startsWith('done')) return ReceiptKey.doneDate;
  return k as ReceiptKey;
}

function matchAt(re: RegExp, s: string, at: number): RegExpExecArray | null {
  re.lastIndex = at;
  return re.exec(s);
}

/**
 * Reads a receipt text. Tolerant by design, because carriers differ: fields in any order, keys
 * in any case, extra or missing spaces and fields, 10- or 12-digit dates, tokens it does not
 * know (skipped). A value runs to the next space or NUL, except `text:`, which takes everything
 * after it to the end (spaces and colons included, trailing NULs dropped), so the first `text:`
 * ends the scan. A key seen twice keeps its first value.
 *
 * Returns undefined when the text has neither an id nor a stat, i.e. it is not a receipt text.
 * Only single-octet encodings are read; a UCS-2 receipt text finds no keys.
 */
export function parseReceiptText(text: string | Buffer): ReceiptFields | undefined {
  const s = typeof text === 'string' ? text : text.toString('latin1');
  const fields: ReceiptFields = { spans: {} };
  const spans = fields.spans as Partial<Record<ReceiptKey, ReceiptSpan>>;
  let at = 0;
  while (at < s.length) {
    const gap = matchAt(SEPARATORS_AT, s, at);
    if (gap !== null) {
      at += gap[0].length;
      continue;
    }
    const key = matchAt(KEY_AT, s, at);
    if (key === null) {
      at += matchAt(TOKEN_AT, s, at)![0].length;
      continue;
    }
    const name = keyOf(key[1]!);
    const afterColon = at + key[0].length;
    const valueStart = afterColon + matchAt(SPACE_AT, s, afterColon)![0].length;
    if (name === ReceiptKey.text) {
      let end = s.length;
      while (end > valueStart && s.charCodeAt(end - 1) === 0) end--;
      if (fields.text === undefined) record(fields, spans, name, s, valueStart, end, afterColon);
      break;
    }
    // A key straight after the spaces means this value is empty ("id: sub:001"); the spaces are
    // a separator then, and the empty value sits right after the colon.
    const valueEnd =
      matchAt(KEY_AT, s, valueStart) !== null ? valueStart : valueStart + matchAt(VALUE_AT, s, valueStart)![0].length;
    if (fields[name] === undefined) record(fields, spans, name, s, valueStart, valueEnd, afterColon);
    at = valueEnd;
  }
  if (fields.id === undefined && fields.stat === undefined) return undefined;
  return fields;
}

function record(
  fields: ReceiptFields,
  spans: Partial<Record<ReceiptKey, ReceiptSpan>>,
  name: ReceiptKey,
  s: string,
  start: number,
  end: number,
  afterColon: number,
): void {
  const from = start === end ? afterColon : start;
  const to = start === end ? afterColon : end;
  fields[name] = s.slice(from, to);
  spans[name] = { start: from, end: to };
}

/** A message id the proxy can write into a receipt: 1..64 printable ASCII, no spaces. */
const WRITABLE_ID = /^[\x21-\x7e]{1,64}$/;

/**
 * The receipt text with its id value replaced by newId and every other octet unchanged;
 * undefined when the text has no `id:` field. newId must be 1..64 printable ASCII characters
 * without spaces, not starting like a key (`stat:`...): a message_id SMPP can carry, and one the
 * text can still be parsed back from. Anything else is a programming error and throws RangeError.
 *
 * The result can be longer than the original; a caller writing it to short_message must check
 * the 254-octet limit.
 */
export function rewriteReceiptId(text: Buffer, newId: string): Buffer | undefined {
  // An id starting like a key ("sub:1") would read back as an empty id followed by that key.
  if (!WRITABLE_ID.test(newId) || matchAt(KEY_AT, newId, 0) !== null) {
    throw new RangeError(
      `receipt id must be 1..64 printable ASCII, no spaces, not starting like a key: ${JSON.stringify(newId)}`,
    );
  }
  const span = parseReceiptText(text)?.spans.id;
  if (span === undefined) return undefined;
  const id = Buffer.from(newId, 'latin1');
  const out = Buffer.allocUnsafe(text.length - (span.end - span.start) + id.length);
  text.copy(out, 0, 0, span.start);
  id.copy(out, span.start);
  text.copy(out, span.start + id.length, span.end);
  return out;
}

export interface ReceiptDate {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second?: number;
}

/**
 * YYMMDDhhmm or YYMMDDhhmmss (years 2000-2099) with range checks; undefined otherwise. The
 * carrier's time zone is unknown, so this returns fields, not an instant.
 */
export function parseReceiptDate(value: string): ReceiptDate | undefined {
  if (!/^(\d{10}|\d{12})$/.test(value)) return undefined;
  const pairs = value.match(/\d\d/g)!.map(Number);
  const [yy, month, day, hour, minute, second] = pairs as [number, number, number, number, number, number?];
  const year = 2000 + yy;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59) return undefined;
  if (second !== undefined && second > 59) return undefined;
  return second === undefined ? { year, month, day, hour, minute } : { year, month, day, hour, minute, second };
}

/** YYMMDDhhmm of an instant, in UTC. */
export function formatReceiptDate(date: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return (
    two(date.getUTCFullYear() % 100) +
    two(date.getUTCMonth() + 1) +
    two(date.getUTCDate()) +
    two(date.getUTCHours()) +
    two(date.getUTCMinutes())
  );
}

export interface ReceiptTextInput {
  id: string;
  /** Default 1. */
  sub?: number | string;
  /** Default 1 when stat is DELIVRD, else 0. */
  dlvrd?: number | string;
  submitDate: Date | string;
  doneDate: Date | string;
  stat: string;
  /** Default 0. */
  err?: number | string;
  /** Start of the original message; cut to its first 20 characters as Appendix B shows. */
  text?: string;
}

/** Appendix B keeps the first 20 characters of the original message. */
const RECEIPT_TEXT_CHARS = 20;
const TOKEN = /^[^\t\n\v\f\r \0]*$/;

/**
 * The canonical receipt text:
 * `id:IIII sub:SSS dlvrd:DDD submit date:YYMMDDhhmm done date:YYMMDDhhmm stat:DDDDDDD err:EEE text:...`.
 * Numbers are zero-padded to 3 digits, Dates written in UTC. A field value holding a space or
 * NUL could not be read back, so it throws RangeError.
 */
export function formatReceiptText(fields: ReceiptTextInput): string {
  const three = (v: number | string) => (typeof v === 'number' ? String(v).padStart(3, '0') : v);
  const date = (v: Date | string) => (typeof v === 'string' ? v : formatReceiptDate(v));
  const parts: [string, string][] = [
    ['id', fields.id],
    ['sub', three(fields.sub ?? 1)],
    ['dlvrd', three(fields.dlvrd ?? (messageStateOfStat(fields.stat) === MessageState.DELIVERED ? 1 : 0))],
    ['submit date', date(fields.submitDate)],
    ['done date', date(fields.doneDate)],
    ['stat', fields.stat],
    ['err', three(fields.err ?? 0)],
  ];
  for (const [key, value] of parts) {
    if (!TOKEN.test(value)) {
      throw new RangeError(`receipt field ${key} cannot hold spaces or NULs: ${JSON.stringify(value)}`);
    }
  }
  const text = [...(fields.text ?? '')].slice(0, RECEIPT_TEXT_CHARS).join('');
  return `${parts.map(([k, v]) => `${k}:${v}`).join(' ')} text:${text}`;
}

// ---------------------------------------------------------------------------------------------
// Carrier message-id normalisation

/**
 * How a carrier writes a message id on one side (submit_sm_resp or receipt):
 * - 'decimal': digits; leading zeros are not significant.
 * - 'hex': hex digits, optional 0x, any case; leading zeros are not significant.
 * - 'string': opaque, compared exactly (only surrounding spaces and NULs are dropped).
 * - 'auto': decided per id from its shape; see messageIdKeys.
 * An id that does not fit its declared 'decimal' or 'hex' shape is compared as a string.
 *
 * Configure each side separately when a carrier mixes them (the classic case: hex in
 * submit_sm_resp, decimal in the receipt): 'hex' and 'decimal' keys of the same number are equal.
 */
export const MessageIdFormat = { auto: 'auto', hex: 'hex', decimal: 'decimal', string: 'string' } as const;
export type MessageIdFormat = (typeof MessageIdFormat)[keyof typeof MessageIdFormat];

const DECIMAL = /^[0-9]+$/;
const HEX = /^[0-9a-f]+$/i;
const PREFIXED_HEX = /^0x([0-9a-f]+)$/i;
/** Groups of hex digits joined by dashes, like a UUID: case carries no meaning. */
const DASHED_HEX = /^[0-9a-f]+(?:-[0-9a-f]+)+$/i;
const EDGE_NOISE = /^[\s\0]+|[\s\0]+$/g;

/** Keys of numeric ids: the number in lower-case hex, no leading zeros. */
function numberKeyFromHex(digits: string): string {
  const stripped = digits.replace(/^0+/, '').toLowerCase();
  return `n:${stripped === '' ? '0' : stripped}`;
}

function numberKeyFromDecimal(digits: string): string {
  return `n:${BigInt(digits).toString(16)}`;
}

function stringKey(id: string): string {
  return `s:${id}`;
}

/**
 * The lookup keys of a carrier message id, most likely first. Keys are opaque strings in two
 * namespaces that never collide: `n:` for a number (whatever radix it was written in) and `s:`
 * for an id compared as text. Two spellings of one id share at least one key.
 *
 * Explicit formats give exactly one key. 'auto' reads the id by its shape:
 * - `0x` + hex digits, or hex digits with at least one letter a-f: a hex number.
 * - only digits: a decimal number, and as a second key the same digits read as hex.
 * - hex groups joined by dashes (UUID-like): the text in lower case.
 * - anything else: the exact text.
 *
 * The ambiguity 'auto' cannot remove: a digits-only id may be decimal or hex. Reading it as
 * decimal first matches the carriers that write decimal on both sides or hex (with a letter)
 * on one side and decimal on the other; the second key matches a hex id that happens to have
 * no letter (about 2% of random 8-digit hex ids) against its decimal spelling. The second key
 * can equal another message's first key (decimal "16" and hex "10" are both 0x10), so a store
 * must prefer a match on both first keys, and accept a match through a second key only when
 * it is the only candidate (messageIdMatch ranks a pair). A carrier whose hex ids are
 * sequential counters should be configured explicitly rather than left on 'auto'.
 */
export function messageIdKeys(id: string, format: MessageIdFormat): string[] {
  const clean = id.replace(EDGE_NOISE, '');
  switch (format) {
    case MessageIdFormat.string:
      return [stringKey(clean)];
    case MessageIdFormat.decimal:
      return [DECIMAL.test(clean) ? numberKeyFromDecimal(clean) : stringKey(clean)];
    case MessageIdFormat.hex: {
      const digits = PREFIXED_HEX.exec(clean)?.[1] ?? (HEX.test(clean) ? clean : undefined);
      return [digits !== undefined ? numberKeyFromHex(digits) : stringKey(clean)];
    }
    case MessageIdFormat.auto: {
      const prefixed = PREFIXED_HEX.exec(clean)?.[1];
      if (prefixed !== undefined) return [numberKeyFromHex(prefixed)];
      if (DECIMAL.test(clean)) {
        const asDecimal = numberKeyFromDecimal(clean);
        const asHex = numberKeyFromHex(clean);
        return asHex === asDecimal ? [asDecimal] : [asDecimal, asHex];
      }
      if (HEX.test(clean)) return [numberKeyFromHex(clean)];
      if (DASHED_HEX.test(clean)) return [stringKey(clean.toLowerCase())];
      return [stringKey(clean)];
    }
  }
}

/** The first (most likely) key of messageIdKeys: one canonical key per id. */
export function normalizeMessageId(id: string, format: MessageIdFormat): string {
  return messageIdKeys(id, format)[0]!;
}

export const MessageIdMatch = { exact: 'exact', alternate: 'alternate' } as const;
export type MessageIdMatch = (typeof MessageIdMatch)[keyof typeof MessageIdMatch];

/**
 * How well a submit_sm_resp id and a receipt id match: 'exact' when their first keys are equal,
 * 'alternate' when they only share a second key, undefined when they share none. A store that
 * finds several candidates for a receipt keeps the 'exact' one, or a lone 'alternate' one.
 */
export function messageIdMatch(
  respId: string,
  receiptId: string,
  respFormat: MessageIdFormat,
  receiptFormat: MessageIdFormat = respFormat,
): MessageIdMatch | undefined {
  const a = messageIdKeys(respId, respFormat);
  const b = messageIdKeys(receiptId, receiptFormat);
  if (a[0] === b[0]) return MessageIdMatch.exact;
  return a.some((k) => b.includes(k)) ? MessageIdMatch.alternate : undefined;
}
