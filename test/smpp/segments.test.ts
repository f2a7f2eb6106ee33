import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  SegmentLimits,
  countSegments,
  countTextSegments,
  dataCodingEncoding,
  decodeGsm7,
  encodeGsm7Unpacked,
  gsm7Fits,
  gsm7Length,
  type TextEncoding,
} from '../../src/smpp/segments.js';

const ascii = (s: string) => Buffer.from(s, 'latin1');
const ucs2 = (s: string) => Buffer.from(s, 'utf16le').swap16();
const octets = (n: number) => Buffer.alloc(n, 0x41);
const UDH8 = Buffer.from([0x05, 0x00, 0x03, 0x2a, 0x03, 0x01]);
const UDH16 = Buffer.from([0x06, 0x08, 0x04, 0x12, 0x34, 0x03, 0x01]);

const EMOJI = '\u{1F600}';

describe('dataCodingEncoding', () => {
  it.each<[number, TextEncoding]>([
    [0x00, 'gsm7'],
    [0x01, 'gsm7'],
    [0x02, '8bit'],
    [0x03, 'gsm7'],
    [0x04, '8bit'],
    [0x05, '8bit'],
    [0x06, 'ucs2'],
    [0x07, 'ucs2'],
    [0x08, 'ucs2'],
    [0x09, '8bit'],
    [0x0a, '8bit'],
    [0x0b, '8bit'],
    [0x0c, '8bit'],
    [0x0d, '8bit'],
    [0x0e, '8bit'],
    [0x0f, '8bit'],
    [0x10, 'gsm7'],
    [0x11, 'gsm7'],
    [0x14, '8bit'],
    [0x15, '8bit'],
    [0x18, 'ucs2'],
    [0x19, 'ucs2'],
    [0x1c, '8bit'],
    [0x30, '8bit'],
    [0x38, '8bit'],
    [0x40, 'gsm7'],
    [0x48, 'ucs2'],
    [0x80, '8bit'],
    [0xbf, '8bit'],
    [0xc0, 'gsm7'],
    [0xd8, 'gsm7'],
    [0xe0, 'ucs2'],
    [0xef, 'ucs2'],
    [0xf0, 'gsm7'],
    [0xf3, 'gsm7'],
    [0xf4, '8bit'],
    [0xf7, '8bit'],
    [0xfb, 'gsm7'],
    [0xff, '8bit'],
    [-1, '8bit'],
    [256, '8bit'],
    [1.5, '8bit'],
    [Number.NaN, '8bit'],
  ])('data_coding %s -> %s', (dc, encoding) => {
    expect(dataCodingEncoding(dc)).toBe(encoding);
    expect(countSegments(Buffer.alloc(0), dc, false).encoding).toBe(encoding);
  });
});

describe('countSegments without a UDH', () => {
  it.each<[string, Buffer, number, number, number]>([
    ['empty message still costs one SMS', Buffer.alloc(0), 0x00, 0, 1],
    ['160 GSM characters fit one SMS', ascii('a'.repeat(160)), 0x00, 160, 1],
    ['161 GSM characters take two parts', ascii('a'.repeat(161)), 0x00, 161, 2],
    ['306 GSM characters take two parts of 153', ascii('a'.repeat(306)), 0x00, 306, 2],
    ['307 GSM characters take three', ascii('a'.repeat(307)), 0x00, 307, 3],
    ['escape-table characters count two septets', ascii('^{}\\[~]|'), 0x00, 16, 1],
    ['80 brackets are 160 septets', ascii('['.repeat(80)), 0x01, 160, 1],
    ['81 brackets are 162 septets', ascii('['.repeat(81)), 0x01, 162, 2],
    ['form feed is an escape-table character', ascii('\f'), 0x00, 2, 1],
    ['Latin-1 octets count one septet', ascii('é'.repeat(160)), 0x03, 160, 1],
    ['70 UCS-2 characters fit one SMS', ucs2('ж'.repeat(70)), 0x08, 70, 1],
    ['71 UCS-2 characters take two parts', ucs2('ж'.repeat(71)), 0x08, 71, 2],
    ['134 UCS-2 characters take two parts of 67', ucs2('ж'.repeat(134)), 0x08, 134, 2],
    ['135 UCS-2 characters take three', ucs2('ж'.repeat(135)), 0x08, 135, 3],
    ['a surrogate pair counts two units', ucs2(EMOJI.repeat(35)), 0x08, 70, 1],
    ['36 emoji are 72 units', ucs2(EMOJI.repeat(36)), 0x08, 72, 2],
    ['an odd trailing UCS-2 octet counts one unit', Buffer.from([0x04, 0x36, 0x04]), 0x08, 2, 1],
    ['a lone high surrogate counts one unit', Buffer.from([0xd8, 0x3d, 0x00, 0x41]), 0x08, 2, 1],
    ['Cyrillic ISO-8859-5 counts a UCS-2 unit per octet', octets(71), 0x06, 71, 2],
    ['140 octets fit one SMS', octets(140), 0x04, 140, 1],
    ['141 octets take two parts', octets(141), 0x02, 141, 2],
    ['268 octets take two parts of 134', octets(268), 0x04, 268, 2],
    ['269 octets take three', octets(269), 0x04, 269, 3],
  ])('%s', (_name, message, dc, units, segments) => {
    const result = countSegments(message, dc, false);
    expect(result.units).toBe(units);
    expect(result.segments).toBe(segments);
  });

  it('does not split an escape sequence across parts, which can cost an extra part', () => {
    // 152 + 2 + 152 = 306 septets would fit two parts of 153 only by cutting the brace in two.
    const message = ascii('a'.repeat(152) + '{' + 'a'.repeat(152));
    expect(countSegments(message, 0x00, false)).toEqual({ encoding: 'gsm7', units: 306, segments: 3 });
  });

  it('does not split a surrogate pair across parts', () => {
    const message = ucs2('a'.repeat(66) + EMOJI + 'b'.repeat(66));
    expect(countSegments(message, 0x08, false)).toEqual({ encoding: 'ucs2', units: 134, segments: 3 });
  });

  it('reads data_coding 0 octets as GSM septets when told the default alphabet is GSM', () => {
    // 0x5B is [ in ASCII (two septets once escaped) but Ä in GSM (one septet).
    expect(countSegments(Buffer.from([0x5b]), 0x00, false).units).toBe(2);
    expect(countSegments(Buffer.from([0x5b]), 0x00, false, { defaultAlphabet: 'gsm7' }).units).toBe(1);
    // IA5 is ASCII whatever the SMSC default is.
    expect(countSegments(Buffer.from([0x5b]), 0x01, false, { defaultAlphabet: 'gsm7' }).units).toBe(2);
  });

  it('keeps GSM escape pairs whole when counting septets', () => {
    const septets = Buffer.concat([octets(152), Buffer.from([0x1b, 0x28]), octets(152)]);
    expect(countSegments(septets, 0x00, false, { defaultAlphabet: 'gsm7' })).toEqual({
      encoding: 'gsm7',
      units: 306,
      segments: 3,
    });
    expect(countSegments(Buffer.from([0x41, 0x1b]), 0x00, false, { defaultAlphabet: 'gsm7' }).units).toBe(2);
  });
});

describe('countSegments with a UDH already present', () => {
  it.each<[string, Buffer, Buffer, number, number, number]>([
    ['GSM part of 153 septets after an 8-bit reference', UDH8, ascii('a'.repeat(153)), 0x00, 153, 1],
    ['GSM part of 154 septets overflows', UDH8, ascii('a'.repeat(154)), 0x00, 154, 2],
    ['GSM part of 152 septets after a 16-bit reference', UDH16, ascii('a'.repeat(152)), 0x00, 152, 1],
    ['GSM part of 153 septets after a 16-bit reference overflows', UDH16, ascii('a'.repeat(153)), 0x00, 153, 2],
    ['UCS-2 part of 67 units', UDH8, ucs2('ж'.repeat(67)), 0x08, 67, 1],
    ['UCS-2 part of 68 units overflows', UDH8, ucs2('ж'.repeat(68)), 0x08, 68, 2],
    ['UCS-2 part of 66 units after a 16-bit reference', UDH16, ucs2('ж'.repeat(66)), 0x08, 66, 1],
    ['UCS-2 part of 67 units after a 16-bit reference overflows', UDH16, ucs2('ж'.repeat(67)), 0x08, 67, 2],
    ['8-bit part of 134 octets', UDH8, octets(134), 0x04, 134, 1],
    ['8-bit part of 135 octets overflows', UDH8, octets(135), 0x04, 135, 2],
    ['8-bit part of 133 octets after a 16-bit reference', UDH16, octets(133), 0x04, 133, 1],
    ['header only', UDH8, Buffer.alloc(0), 0x00, 0, 1],
  ])('%s', (_name, udh, text, dc, units, segments) => {
    const result = countSegments(Buffer.concat([udh, text]), dc, true);
    expect(result.units).toBe(units);
    expect(result.segments).toBe(segments);
  });

  it('treats a UDH length pointing past the end as a header holding everything', () => {
    expect(countSegments(Buffer.from([0x10, 0x41, 0x42]), 0x00, true)).toEqual({ encoding: 'gsm7', units: 0, segments: 1 });
    expect(countSegments(Buffer.alloc(0), 0x00, true)).toEqual({ encoding: 'gsm7', units: 0, segments: 1 });
  });

  it('still counts when the header leaves no room', () => {
    const udh = Buffer.concat([Buffer.from([0xff]), Buffer.alloc(0xff)]);
    const result = countSegments(Buffer.concat([udh, octets(3)]), 0x04, true);
    expect(result.units).toBe(3);
    expect(result.segments).toBe(3);
  });
});

describe('GSM 7-bit alphabet', () => {
  it('knows which characters fit', () => {
    expect(gsm7Fits('Hello @£$¥ èéùìò ΔΦΓΛΩΠΨΣΘΞ ¡¿ §¤ ÄÖÑÜäöñüà\r\n')).toBe(true);
    expect(gsm7Fits('^{}\\[~]|€\f')).toBe(true);
    expect(gsm7Fits('`')).toBe(false);
    expect(gsm7Fits('Привет')).toBe(false);
    expect(gsm7Fits(EMOJI)).toBe(false);
    expect(gsm7Fits('\u001b')).toBe(false);
  });

  it('counts escape-table characters twice', () => {
    expect(gsm7Length('€')).toBe(2);
    expect(gsm7Length('^{}\\[~]|')).toBe(16);
    expect(gsm7Length('abc')).toBe(3);
    expect(gsm7Length('ç')).toBeUndefined();
  });

  it('encodes to unpacked septets byte by byte', () => {
    expect(encodeGsm7Unpacked('@£$')).toEqual(Buffer.from([0x00, 0x01, 0x02]));
    expect(encodeGsm7Unpacked('¤¡§¿à')).toEqual(Buffer.from([0x24, 0x40, 0x5f, 0x60, 0x7f]));
    expect(encodeGsm7Unpacked('€[')).toEqual(Buffer.from([0x1b, 0x65, 0x1b, 0x3c]));
    expect(encodeGsm7Unpacked('Ωé')).toEqual(Buffer.from([0x15, 0x05]));
    expect(encodeGsm7Unpacked('x`')).toBeUndefined();
  });

  it('decodes following TS 23.038 for odd escapes', () => {
    expect(decodeGsm7(Buffer.from([0x1b, 0x65, 0x00]))).toBe('€@');
    expect(decodeGsm7(Buffer.from([0x1b, 0x41]))).toBe('A');
    expect(decodeGsm7(Buffer.from([0x1b, 0x1b]))).toBe(' ');
    expect(decodeGsm7(Buffer.from([0x41, 0x1b]))).toBe('A');
    expect(decodeGsm7(Buffer.from([0x80, 0x1b, 0xff]))).toBe('\ufffd\ufffd');
  });

  const gsmChar = fc.constantFrom(
    ...'@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà^{}\\[~]|€\f',
  );

  it('round-trips every GSM string through encode and decode', () => {
    fc.assert(
      fc.property(fc.string({ unit: gsmChar, maxLength: 200 }), (text) => {
        const septets = encodeGsm7Unpacked(text);
        expect(septets).toBeDefined();
        expect(septets!.length).toBe(gsm7Length(text));
        expect(decodeGsm7(septets!)).toBe(text);
      }),
    );
  });

  it('countTextSegments agrees with the septet count for GSM text and uses UCS-2 otherwise', () => {
    fc.assert(
      fc.property(fc.string({ unit: gsmChar, maxLength: 400 }), (text) => {
        const result = countTextSegments(text);
        expect(result.encoding).toBe('gsm7');
        expect(result.units).toBe(gsm7Length(text));
      }),
    );
    expect(countTextSegments('Привет' + EMOJI)).toEqual({ encoding: 'ucs2', units: 8, segments: 1 });
    expect(countTextSegments('€'.repeat(81))).toEqual({ encoding: 'gsm7', units: 162, segments: 2 });
  });
});

describe('countSegments properties', () => {
  const codings = fc.constantFrom(0x00, 0x01, 0x03, 0x04, 0x06, 0x08, 0x18, 0xf0);
  const alphabet = fc.constantFrom<'latin1' | 'gsm7'>('latin1', 'gsm7');

  it('never decreases as the message grows', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 700 }),
        fc.uint8Array({ minLength: 1, maxLength: 200 }),
        codings,
        alphabet,
        (head, tail, dc, defaultAlphabet) => {
          const short = countSegments(Buffer.from(head), dc, false, { defaultAlphabet });
          const long = countSegments(Buffer.concat([head, tail]), dc, false, { defaultAlphabet });
          expect(long.units).toBeGreaterThanOrEqual(short.units);
          expect(long.segments).toBeGreaterThanOrEqual(short.segments);
        },
      ),
    );
  });

  it('never decreases as a part after a fixed UDH grows', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(UDH8, UDH16),
        fc.uint8Array({ maxLength: 300 }),
        fc.uint8Array({ minLength: 1, maxLength: 100 }),
        codings,
        (udh, head, tail, dc) => {
          const short = countSegments(Buffer.concat([udh, head]), dc, true);
          const long = countSegments(Buffer.concat([udh, head, tail]), dc, true);
          expect(long.segments).toBeGreaterThanOrEqual(short.segments);
        },
      ),
    );
  });

  it('uses as few parts as the limits allow, give or take characters that cannot be cut', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1500 }), codings, alphabet, (bytes, dc, defaultAlphabet) => {
        const { encoding, units, segments } = countSegments(Buffer.from(bytes), dc, false, { defaultAlphabet });
        const limits = SegmentLimits[encoding];
        if (units <= limits.single) {
          expect(segments).toBe(1);
        } else {
          // Each part but the last loses at most one unit to an item that did not fit.
          expect(segments).toBeGreaterThanOrEqual(Math.ceil(units / limits.multi));
          expect(segments).toBeLessThanOrEqual(Math.ceil(units / (limits.multi - 1)));
        }
      }),
    );
  });
});
