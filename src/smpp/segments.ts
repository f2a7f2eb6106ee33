/**
 * How many SMS a message costs: the alphabet a data_coding value selects, the number of
 * alphabet units (GSM septets, UCS-2 code units or octets) and the number of parts a carrier
 * sends. Counting only: the proxy forwards message bytes unchanged and never transcodes them.
 */

export const TextEncoding = { gsm7: 'gsm7', ucs2: 'ucs2', octets: '8bit' } as const;
export type TextEncoding = (typeof TextEncoding)[keyof typeof TextEncoding];

export interface SegmentCount {
  encoding: TextEncoding;
  /** GSM septets (escape-table characters count 2), UTF-16 code units, or octets. */
  units: number;
  /** Parts the message takes: at least 1, since an empty message still costs one SMS. */
  segments: number;
}

/**
 * Capacity of one SMS (140 octets of user data) per alphabet: alone, and as one part of a
 * concatenated message, where the 6-octet concatenation header takes 7 septets, 3 UCS-2 units
 * or 6 octets.
 */
export const SegmentLimits = {
  gsm7: { single: 160, multi: 153 },
  ucs2: { single: 70, multi: 67 },
  '8bit': { single: 140, multi: 134 },
} as const satisfies Record<TextEncoding, { single: number; multi: number }>;

/** Octets of user data one SMS carries (TP-UD, 3GPP TS 23.040). */
const USER_DATA_OCTETS = 140;

/**
 * What the octets of data_coding 0 (SMSC default alphabet) are. SMPP leaves it to the SMSC, and
 * both conventions are common:
 * - 'latin1' (default): ASCII / ISO-8859-1 text, which the carrier maps to GSM 7-bit; the
 *   characters GSM keeps in its escape table (^ { } \ [ ] ~ | and form feed) cost 2 septets.
 * - 'gsm7': GSM 03.38 septets, one per octet, escape-table characters already written as 0x1B
 *   plus a septet, so every octet is one septet.
 */
export const DefaultAlphabet = { latin1: 'latin1', gsm7: 'gsm7' } as const;
export type DefaultAlphabet = (typeof DefaultAlphabet)[keyof typeof DefaultAlphabet];

export interface SegmentOptions {
  defaultAlphabet?: DefaultAlphabet;
}

/**
 * How the octets of a data_coding value are counted. Internal detail of countSegments:
 * 'text' = one character per octet, carried as GSM 7-bit; 'septets' = GSM 03.38 unpacked;
 * 'ucs2' = UTF-16BE; 'single-byte-ucs2' = a one-octet national character set the carrier has to
 * send as UCS-2; 'octets' = counted as raw octets.
 */
type CountingScheme = 'text' | 'septets' | 'ucs2' | 'single-byte-ucs2' | 'octets';

/**
 * The alphabet a handset receives for a data_coding value.
 *
 * SMPP 3.4 (5.2.19) defines 0x00-0x0E and the GSM MWI / message-class groups 0xC0-0xDF and
 * 0xF0-0xFF; it calls 0x0F-0xBF reserved, but SMSCs pass 0x10-0x7F through as GSM 03.38 data
 * coding schemes (e.g. 0x18 UCS-2 flash, 0x15 8-bit class 1), so those follow GSM 03.38 here:
 * - 0x00 SMSC default, 0x01 IA5/ASCII, 0x03 Latin-1: gsm7 (the carrier converts them to GSM 7-bit).
 * - 0x02, 0x04 octet unspecified, 0x09 pictogram: 8bit.
 * - 0x08 UCS-2: ucs2. 0x06 Cyrillic and 0x07 Hebrew (ISO-8859-5/-8): ucs2, one unit per octet,
 *   because GSM 7-bit cannot carry those scripts.
 * - 0x05 JIS, 0x0A ISO-2022-JP, 0x0D JIS X 0212, 0x0E KS C 5601: multi-octet sets whose
 *   conversion depends on the carrier; counted as 8bit octets, an upper bound on the cost.
 * - 0x10-0x7F (GSM general and auto-deletion groups): bit 5 compressed -> 8bit, else bits 3-2:
 *   00 gsm7, 01 8bit, 10 ucs2, 11 (reserved) 8bit.
 * - 0xC0-0xDF (MWI, default alphabet): gsm7; 0xE0-0xEF (MWI, UCS-2): ucs2;
 *   0xF0-0xFF (message class): bit 2 clear gsm7, set 8bit.
 * - 0x0B, 0x0C, 0x0F, 0x80-0xBF and values outside 0..255: 8bit.
 */
export function dataCodingEncoding(dataCoding: number): TextEncoding {
  return encodingOfScheme(schemeOf(dataCoding, DefaultAlphabet.latin1));
}

function encodingOfScheme(scheme: CountingScheme): TextEncoding {
  switch (scheme) {
    case 'text':
    case 'septets':
      return TextEncoding.gsm7;
    case 'ucs2':
    case 'single-byte-ucs2':
      return TextEncoding.ucs2;
    case 'octets':
      return TextEncoding.octets;
  }
}

function schemeOf(dataCoding: number, defaultAlphabet: DefaultAlphabet): CountingScheme {
  const defaultScheme: CountingScheme = defaultAlphabet === DefaultAlphabet.gsm7 ? 'septets' : 'text';
  if (!Number.isInteger(dataCoding) || dataCoding < 0 || dataCoding > 0xff) return 'octets';
  switch (dataCoding) {
    case 0x00:
      return defaultScheme;
    case 0x01:
    case 0x03:
      return 'text';
    case 0x06:
    case 0x07:
      return 'single-byte-ucs2';
    case 0x08:
      return 'ucs2';
    default:
      break;
  }
  if (dataCoding < 0x10) return 'octets';
  if (dataCoding < 0x80) {
    if ((dataCoding & 0x20) !== 0) return 'octets';
    const alphabet = (dataCoding >> 2) & 0x03;
    if (alphabet === 0) return defaultScheme;
    if (alphabet === 2) return 'ucs2';
    return 'octets';
  }
  if (dataCoding < 0xc0) return 'octets';
  if (dataCoding < 0xe0) return defaultScheme;
  if (dataCoding < 0xf0) return 'ucs2';
  return (dataCoding & 0x04) === 0 ? defaultScheme : 'octets';
}

/**
 * Counts a short_message (or message_payload) the way a carrier bills it.
 *
 * Without a UDH the message is split greedily into parts of SegmentLimits[encoding].multi units
 * once it exceeds .single; a character never straddles two parts (an escape-table character or
 * a UTF-16 surrogate pair moves whole to the next part, as real splitters do), which can cost
 * one part more than units / multi.
 *
 * With hasUdh the ESME has already split the message: the UDH (UDHL + 1 octets, taken from the
 * first octet) is skipped and the rest counted as one part in the room the header leaves. The
 * result is 1 when it fits; more than 1 means this part exceeds one SMS, which a carrier rejects
 * or truncates. A UDHL pointing past the end counts as a header holding everything.
 *
 * An odd trailing UCS-2 octet counts as one unit. GSM national language shift tables are not
 * considered.
 */
export function countSegments(
  shortMessageOrPayload: Buffer,
  dataCoding: number,
  hasUdh: boolean,
  options: SegmentOptions = {},
): SegmentCount {
  const scheme = schemeOf(dataCoding, options.defaultAlphabet ?? DefaultAlphabet.latin1);
  const encoding = encodingOfScheme(scheme);
  let body = shortMessageOrPayload;
  let headerOctets = 0;
  if (hasUdh && body.length > 0) {
    headerOctets = Math.min(body[0]! + 1, body.length);
    body = body.subarray(headerOctets);
  }
  const widths = unitWidths(body, scheme);
  const units = widths.reduce((sum, w) => sum + w, 0);
  if (hasUdh) {
    return { encoding, units, segments: packParts(widths, Math.max(1, partRoom(encoding, headerOctets))) };
  }
  const limits = SegmentLimits[encoding];
  const segments = units <= limits.single ? 1 : packParts(widths, limits.multi);
  return { encoding, units, segments };
}

/** Units a part holds after a UDH of headerOctets octets (UDHL included). */
function partRoom(encoding: TextEncoding, headerOctets: number): number {
  const octets = USER_DATA_OCTETS - headerOctets;
  switch (encoding) {
    case TextEncoding.gsm7:
      // The header is padded with fill bits to a septet boundary (3GPP TS 23.040 9.2.3.24).
      return SegmentLimits.gsm7.single - Math.ceil((headerOctets * 8) / 7);
    case TextEncoding.ucs2:
      return Math.floor(octets / 2);
    case TextEncoding.octets:
      return octets;
  }
}

/** Number of parts when items of these widths are packed in order into parts of `room` units. */
function packParts(widths: readonly number[], room: number): number {
  let parts = 1;
  let used = 0;
  for (const width of widths) {
    if (used + width > room && used > 0) {
      parts += 1;
      used = 0;
    }
    used += width;
  }
  return parts;
}

/**
 * The message as indivisible items with their unit widths. Kept as a list rather than a total
 * because part boundaries must not cut an item.
 */
function unitWidths(body: Buffer, scheme: CountingScheme): number[] {
  const widths: number[] = [];
  switch (scheme) {
    case 'octets':
    case 'single-byte-ucs2':
      for (let i = 0; i < body.length; i++) widths.push(1);
      return widths;
    case 'text':
      for (let i = 0; i < body.length; i++) widths.push(isEscapeTableOctet(body[i]!) ? 2 : 1);
      return widths;
    case 'septets':
      for (let i = 0; i < body.length; i++) {
        if (body[i] === GSM_ESCAPE && i + 1 < body.length) {
          widths.push(2);
          i += 1;
        } else {
          widths.push(1);
        }
      }
      return widths;
    case 'ucs2':
      for (let i = 0; i < body.length; i += 2) {
        if (i + 1 >= body.length) {
          widths.push(1);
          break;
        }
        const unit = body.readUInt16BE(i);
        if (isHighSurrogate(unit) && i + 3 < body.length && isLowSurrogate(body.readUInt16BE(i + 2))) {
          widths.push(2);
          i += 2;
        } else {
          widths.push(1);
        }
      }
      return widths;
  }
}

function isHighSurrogate(unit: number): boolean {
  return unit >= 0xd800 && unit <= 0xdbff;
}

function isLowSurrogate(unit: number): boolean {
  return unit >= 0xdc00 && unit <= 0xdfff;
}

// ---------------------------------------------------------------------------------------------
// GSM 03.38 default alphabet (3GPP TS 23.038 6.2.1) and its extension table.

const GSM_ESCAPE = 0x1b;

/** Basic table, indexed by septet. The escape septet 0x1B has no character of its own. */
const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u001bÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';

/** Extension table: septet after the escape -> character. */
const GSM_EXTENSION: ReadonlyMap<number, string> = new Map([
  [0x0a, '\f'],
  [0x14, '^'],
  [0x28, '{'],
  [0x29, '}'],
  [0x2f, '\\'],
  [0x3c, '['],
  [0x3d, '~'],
  [0x3e, ']'],
  [0x40, '|'],
  [0x65, '€'],
]);

const BASIC_SEPTET_OF: ReadonlyMap<string, number> = new Map(
  [...GSM_BASIC].flatMap((ch, septet) => (septet === GSM_ESCAPE ? [] : [[ch, septet] as const])),
);
const EXTENSION_SEPTET_OF: ReadonlyMap<string, number> = new Map([...GSM_EXTENSION].map(([s, ch]) => [ch, s]));

/** ASCII octets whose characters live in the GSM extension table: ^ { } \ [ ] ~ | and form feed. */
function isEscapeTableOctet(octet: number): boolean {
  return octet < 0x80 && EXTENSION_SEPTET_OF.has(String.fromCharCode(octet));
}

/** Septets the text takes in GSM 7-bit, or undefined when a character is not in the alphabet. */
export function gsm7Length(text: string): number | undefined {
  let septets = 0;
  for (const ch of text) {
    if (BASIC_SEPTET_OF.has(ch)) septets += 1;
    else if (EXTENSION_SEPTET_OF.has(ch)) septets += 2;
    else return undefined;
  }
  return septets;
}

/** True when every character has a GSM 7-bit (default or extension table) code. */
export function gsm7Fits(text: string): boolean {
  return gsm7Length(text) !== undefined;
}

/**
 * The text as GSM 03.38 septets, one per octet (the form SMPP carries for data_coding 0 on
 * SMSCs using GSM as their default alphabet); undefined when a character has no GSM code.
 */
export function encodeGsm7Unpacked(text: string): Buffer | undefined {
  const septets = gsm7Length(text);
  if (septets === undefined) return undefined;
  const out = Buffer.allocUnsafe(septets);
  let at = 0;
  for (const ch of text) {
    const basic = BASIC_SEPTET_OF.get(ch);
    if (basic !== undefined) {
      out[at++] = basic;
    } else {
      out[at++] = GSM_ESCAPE;
      out[at++] = EXTENSION_SEPTET_OF.get(ch)!;
    }
  }
  return out;
}

/**
 * Decodes unpacked GSM 03.38 septets. Following TS 23.038: an escape followed by a septet with no
 * extension character shows the basic-table character, a double escape (reserved for a further
 * table) shows a space. A trailing lone escape is dropped, and an octet above 0x7F (not a
 * septet) becomes U+FFFD.
 */
export function decodeGsm7(septets: Buffer): string {
  let out = '';
  for (let i = 0; i < septets.length; i++) {
    const septet = septets[i]!;
    if (septet > 0x7f) {
      out += '\ufffd';
    } else if (septet !== GSM_ESCAPE) {
      out += GSM_BASIC[septet]!;
    } else if (i + 1 < septets.length) {
      const next = septets[++i]!;
      if (next === GSM_ESCAPE) out += ' ';
      else if (next > 0x7f) out += '\ufffd';
      else out += GSM_EXTENSION.get(next) ?? GSM_BASIC[next]!;
    }
  }
  return out;
}

/**
 * Counts text the proxy itself composes (carrier simulator, command-line send): GSM 7-bit when
 * every character fits, otherwise UCS-2 in UTF-16 code units.
 */
export function countTextSegments(text: string): SegmentCount {
  if (gsm7Fits(text)) {
    return countSegments(encodeGsm7Unpacked(text)!, 0x00, false, { defaultAlphabet: DefaultAlphabet.gsm7 });
  }
  return countSegments(Buffer.from(text, 'utf16le').swap16(), 0x08, false);
}
