import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TlvTag, type Tlv } from '../../src/smpp/tlv.js';
import {
  EsmMessageType,
  MessageState,
  StatWord,
  formatReceiptDate,
  formatReceiptText,
  isReceipt,
  messageIdKeys,
  messageIdMatch,
  messageStateName,
  messageStateOf,
  messageStateOfStat,
  normalizeMessageId,
  parseReceiptDate,
  parseReceiptText,
  receiptedMessageIdOf,
  rewriteReceiptId,
  statWordOf,
  type MessageIdFormat,
  type ReceiptFields,
} from '../../src/smpp/receipt.js';

/** short_message of the golden deliver_sm_delivery_receipt vector. */
const GOLDEN =
  'id:0123456789 sub:001 dlvrd:001 submit date:2611220101 done date:2611220102 stat:DELIVRD err:000 text:Hello';

const latin1 = (s: string) => Buffer.from(s, 'latin1');

function valuesOf(fields: ReceiptFields | undefined): Omit<ReceiptFields, 'spans'> | undefined {
  if (fields === undefined) return undefined;
  const { spans: _spans, ...values } = fields;
  return values;
}

describe('isReceipt and message states', () => {
  it.each<[number, boolean]>([
    [0x04, true],
    [0x44, true],
    [0x06, true],
    [0x87, true],
    [0x00, false],
    [0x08, false],
    [0x10, false],
    [0x18, false],
    [0x20, false],
    [0x24, false],
    [0x40, false],
  ])('esm_class 0x%s -> %s', (esmClass, expected) => {
    expect(isReceipt(esmClass)).toBe(expected);
  });

  it('names the esm_class message types of SMPP 3.4', () => {
    expect(EsmMessageType.deliveryReceipt).toBe(0x04);
    expect(EsmMessageType.intermediateNotification).toBe(0x20);
  });

  it('maps every message_state to its stat word and back', () => {
    const table: [number, string, string][] = [
      [1, 'ENROUTE', 'ENROUTE'],
      [2, 'DELIVERED', 'DELIVRD'],
      [3, 'EXPIRED', 'EXPIRED'],
      [4, 'DELETED', 'DELETED'],
      [5, 'UNDELIVERABLE', 'UNDELIV'],
      [6, 'ACCEPTED', 'ACCEPTD'],
      [7, 'UNKNOWN', 'UNKNOWN'],
      [8, 'REJECTED', 'REJECTD'],
    ];
    for (const [state, name, word] of table) {
      expect(messageStateName(state)).toBe(name);
      expect(MessageState[name as keyof typeof MessageState]).toBe(state);
      expect(statWordOf(state)).toBe(word);
      expect(StatWord[name as keyof typeof StatWord]).toBe(word);
      expect(messageStateOfStat(word)).toBe(state);
      expect(messageStateOfStat(name)).toBe(state);
      expect(messageStateOfStat(` ${word.toLowerCase()} `)).toBe(state);
    }
  });

  it('knows nothing of states and words outside the table', () => {
    expect(statWordOf(0)).toBeUndefined();
    expect(statWordOf(9)).toBeUndefined();
    expect(messageStateName(255)).toBeUndefined();
    expect(messageStateOfStat('FAILEDX')).toBeUndefined();
    expect(messageStateOfStat('')).toBeUndefined();
    expect(messageStateOfStat('UNDELIVERED')).toBe(MessageState.UNDELIVERABLE);
  });

  it('reads the receipt TLVs of the golden vector', () => {
    const tlvs: Tlv[] = [
      { tag: TlvTag.receipted_message_id, value: Buffer.from('3031323334353637383900', 'hex') },
      { tag: TlvTag.message_state, value: Buffer.from([2]) },
    ];
    expect(receiptedMessageIdOf(tlvs)).toBe('0123456789');
    expect(messageStateOf(tlvs)).toBe(MessageState.DELIVERED);
    expect(receiptedMessageIdOf([{ tag: TlvTag.receipted_message_id, value: latin1('abc') }])).toBe('abc');
    expect(receiptedMessageIdOf([])).toBeUndefined();
    expect(messageStateOf([{ tag: TlvTag.message_state, value: Buffer.from([0, 2]) }])).toBeUndefined();
  });
});

describe('parseReceiptText', () => {
  it('reads the golden receipt with byte positions of every value', () => {
    const text = latin1(GOLDEN);
    const fields = parseReceiptText(text)!;
    expect(valuesOf(fields)).toEqual({
      id: '0123456789',
      sub: '001',
      dlvrd: '001',
      submitDate: '2611220101',
      doneDate: '2611220102',
      stat: 'DELIVRD',
      err: '000',
      text: 'Hello',
    });
    for (const [key, span] of Object.entries(fields.spans)) {
      expect(text.toString('latin1', span.start, span.end)).toBe(fields[key as keyof typeof fields.spans]);
    }
    expect(fields.spans.id).toEqual({ start: 3, end: 13 });
    expect(fields.spans.text).toEqual({ start: GOLDEN.length - 5, end: GOLDEN.length });
  });

  it('gives the same values for the string form', () => {
    expect(valuesOf(parseReceiptText(GOLDEN))).toEqual(valuesOf(parseReceiptText(latin1(GOLDEN))));
  });

  it.each<[string, string, Omit<ReceiptFields, 'spans'>]>([
    ['fields in another order', 'stat:UNDELIV err:034 id:77 dlvrd:000', { stat: 'UNDELIV', err: '034', id: '77', dlvrd: '000' }],
    [
      'upper-case keys',
      'ID:AB12 SUB:001 DLVRD:001 SUBMIT DATE:2611220101 DONE DATE:2611220102 STAT:DELIVRD ERR:000 TEXT:Hi',
      {
        id: 'AB12',
        sub: '001',
        dlvrd: '001',
        submitDate: '2611220101',
        doneDate: '2611220102',
        stat: 'DELIVRD',
        err: '000',
        text: 'Hi',
      },
    ],
    [
      'mixed case, underscores and joined date keys',
      'Id:x1 Submit_Date:2611220101 donedate:261122010259 Stat:EXPIRED',
      { id: 'x1', submitDate: '2611220101', doneDate: '261122010259', stat: 'EXPIRED' },
    ],
    [
      'extra spaces, tabs and a space before or after the colon',
      '  id:  42 \t sub :001   submit  date: 2611220101 stat : DELIVRD  ',
      { id: '42', sub: '001', submitDate: '2611220101', stat: 'DELIVRD' },
    ],
    ['only an id', 'id:abc', { id: 'abc' }],
    ['only a stat', 'stat:REJECTD', { stat: 'REJECTD' }],
    [
      'a text holding spaces, colons and keys',
      'id:1 stat:DELIVRD text:id:999 stat:FAKE a:b  c',
      { id: '1', stat: 'DELIVRD', text: 'id:999 stat:FAKE a:b  c' },
    ],
    ['an empty text', 'id:1 stat:DELIVRD text:', { id: '1', stat: 'DELIVRD', text: '' }],
    ['trailing NULs after the text', 'id:1 stat:DELIVRD text:hi\0\0', { id: '1', stat: 'DELIVRD', text: 'hi' }],
    ['NUL-terminated values', 'id:1\0stat:DELIVRD\0', { id: '1', stat: 'DELIVRD' }],
    ['unknown tokens in between', 'id:9 mcc:234 mnc:10 junk stat:DELIVRD', { id: '9', stat: 'DELIVRD' }],
    ['an empty id before the next key', 'id: sub:001 stat:DELIVRD', { id: '', sub: '001', stat: 'DELIVRD' }],
    ['keys inside other words are not keys', 'msgid:5 xstat:Q stat:DELIVRD', { stat: 'DELIVRD' }],
    ['a repeated key keeps its first value', 'id:first id:second stat:DELIVRD', { id: 'first', stat: 'DELIVRD' }],
    ['new lines as separators', 'id:5\r\nstat:DELIVRD\nerr:000', { id: '5', stat: 'DELIVRD', err: '000' }],
  ])('tolerates %s', (_name, text, expected) => {
    const fields = parseReceiptText(latin1(text));
    expect(valuesOf(fields)).toEqual(expected);
  });

  it.each<[string, string]>([
    ['an ordinary message', 'Hello world: see you at 5'],
    ['an empty text', ''],
    ['fields without id or stat', 'sub:001 dlvrd:001 err:000'],
    ['an id that only appears after text:', 'text:hello id:1 stat:DELIVRD'],
  ])('is undefined for %s', (_name, text) => {
    expect(parseReceiptText(text)).toBeUndefined();
  });

  it('puts the span of an empty id right after its colon', () => {
    const fields = parseReceiptText('id:   sub:001 stat:X')!;
    expect(fields.spans.id).toEqual({ start: 3, end: 3 });
  });

  it('keeps octets above 0x7F, including 0xA0, inside values', () => {
    const text = Buffer.concat([latin1('id:ab'), Buffer.from([0xa0, 0xe9]), latin1('cd stat:DELIVRD text:'), Buffer.from([0xc3, 0xa9])]);
    const fields = parseReceiptText(text)!;
    expect(fields.id).toBe('ab\u00a0\u00e9cd');
    expect(text.subarray(fields.spans.text!.start, fields.spans.text!.end)).toEqual(Buffer.from([0xc3, 0xa9]));
  });

  it('never throws on random bytes, and every span holds exactly its value', () => {
    const keyish = fc.constantFrom('id:', 'ID: ', 'stat:', 'text:', 'submit date:', 'done_date:', ' ', '\0', ':', 'err:');
    const chunk = fc.oneof(keyish, fc.uint8Array({ maxLength: 8 }).map((b) => Buffer.from(b).toString('latin1')));
    fc.assert(
      fc.property(fc.array(chunk, { maxLength: 20 }), (chunks) => {
        const text = latin1(chunks.join(''));
        const fields = parseReceiptText(text);
        if (fields === undefined) return;
        expect(fields.id !== undefined || fields.stat !== undefined).toBe(true);
        for (const [key, span] of Object.entries(fields.spans)) {
          expect(span.start).toBeLessThanOrEqual(span.end);
          expect(span.end).toBeLessThanOrEqual(text.length);
          expect(text.toString('latin1', span.start, span.end)).toBe(fields[key as keyof typeof fields.spans]);
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe('rewriteReceiptId', () => {
  it('replaces only the id of the golden receipt', () => {
    const out = rewriteReceiptId(latin1(GOLDEN), 'PX-7f3a9c2e')!;
    expect(out.toString('latin1')).toBe(GOLDEN.replace('id:0123456789', 'id:PX-7f3a9c2e'));
  });

  it('keeps the carrier spelling of everything around the id', () => {
    const text = 'ID:  00ab  Submit_Date:2611220101 STAT:DELIVRD text:id:00ab';
    expect(rewriteReceiptId(latin1(text), 'new')!.toString('latin1')).toBe(
      'ID:  new  Submit_Date:2611220101 STAT:DELIVRD text:id:00ab',
    );
  });

  it('fills an empty id in place', () => {
    expect(rewriteReceiptId(latin1('id: sub:001 stat:DELIVRD'), 'P1')!.toString('latin1')).toBe('id:P1 sub:001 stat:DELIVRD');
  });

  it('is undefined when the text has no id', () => {
    expect(rewriteReceiptId(latin1('stat:DELIVRD err:000'), 'P1')).toBeUndefined();
    expect(rewriteReceiptId(latin1('Hello'), 'P1')).toBeUndefined();
  });

  it.each(['', 'has space', 'tab\t', 'nul\0', 'é', 'x'.repeat(65), 'sub:1', 'TEXT:x'])('throws RangeError for new id %j', (newId) => {
    expect(() => rewriteReceiptId(latin1(GOLDEN), newId)).toThrow(RangeError);
  });

  it('can grow the text past 254 octets, which the caller must check', () => {
    const text = latin1(`id:1 stat:DELIVRD text:${'x'.repeat(240)}`);
    expect(rewriteReceiptId(text, 'y'.repeat(64))!.length).toBe(text.length + 63);
  });

  const keyVariants: Record<string, string[]> = {
    sub: ['sub'],
    dlvrd: ['dlvrd'],
    submitDate: ['submit date', 'submit_date', 'submitdate', 'submit  date'],
    doneDate: ['done date', 'done_date', 'donedate'],
    stat: ['stat'],
    err: ['err'],
  };
  const caseOf = fc.constantFrom<(s: string) => string>(
    (s) => s,
    (s) => s.toUpperCase(),
    (s) => s[0]!.toUpperCase() + s.slice(1),
  );
  const token = fc.stringMatching(/^[A-Za-z0-9._\-#/+]{1,12}$/);
  const gap = fc.stringMatching(/^[ \t]{1,3}$/);
  const colonSpace = fc.constantFrom('', ' ', '  ');
  const field = (key: string) =>
    fc.record({ key: fc.constant(key), spelling: fc.constantFrom(...keyVariants[key]!), caseOf, colonSpace, value: token, gap });
  const otherFields = fc.shuffledSubarray(Object.keys(keyVariants)).chain((keys) => fc.tuple(...keys.map(field)));
  const receipt = fc.record({
    before: otherFields,
    after: otherFields,
    idSpelling: caseOf,
    idColonSpace: colonSpace,
    id: fc.stringMatching(/^[0-9A-Za-z\-]{1,20}$/),
    idGap: gap,
    unknown: fc.option(fc.constantFrom('mcc:234', 'x', 'sub-id:7'), { nil: undefined }),
    text: fc.option(fc.string({ unit: 'binary', maxLength: 30 }), { nil: undefined }),
    newId: fc
      .stringMatching(/^[\x21-\x7e]{1,64}$/)
      .filter((id) => !/^(id|sub|dlvrd|submit[ \t_]*date|done[ \t_]*date|stat|err|text)[ \t]*:/i.test(id)),
  });

  it('changes the id octets and nothing else, whatever the layout', () => {
    fc.assert(
      fc.property(receipt, (r) => {
        // Build the text piece by piece, tracking where the id value lands.
        let s = '';
        for (const f of r.before) s += `${f.caseOf(f.spelling)}${f.colonSpace}:${f.colonSpace}${f.value}${f.gap}`;
        s += `${r.idSpelling('id')}:${r.idColonSpace}`;
        const idStart = s.length;
        s += r.id;
        const idEnd = s.length;
        s += r.idGap;
        if (r.unknown !== undefined) s += `${r.unknown} `;
        // A key seen twice keeps its first value, so the fields after the id are other keys.
        const afterKeys = r.after.filter((f) => !r.before.some((b) => b.key === f.key));
        for (const f of afterKeys) s += `${f.caseOf(f.spelling)}:${f.value} `;
        if (r.text !== undefined) s += `text:${r.text}`;
        const text = Buffer.from(s, 'latin1');
        const before = parseReceiptText(text)!;
        expect(before.id).toBe(r.id);
        expect(before.spans.id).toEqual({ start: idStart, end: idEnd });

        const out = rewriteReceiptId(text, r.newId)!;
        expect(out.subarray(0, idStart)).toEqual(text.subarray(0, idStart));
        expect(out.toString('latin1', idStart, idStart + r.newId.length)).toBe(r.newId);
        expect(out.subarray(idStart + r.newId.length)).toEqual(text.subarray(idEnd));

        const after = parseReceiptText(out)!;
        expect(after.id).toBe(r.newId);
        expect({ ...valuesOf(after), id: undefined }).toEqual({ ...valuesOf(before), id: undefined });
      }),
      { numRuns: 500 },
    );
  });
});

describe('formatReceiptText', () => {
  it('writes the canonical Appendix B layout', () => {
    expect(
      formatReceiptText({
        id: '0123456789',
        sub: 1,
        dlvrd: 1,
        submitDate: '2611220101',
        doneDate: '2611220102',
        stat: 'DELIVRD',
        err: 0,
        text: 'Hello',
      }),
    ).toBe(GOLDEN);
  });

  it('fills defaults, writes Dates in UTC and cuts the text to 20 characters', () => {
    const text = formatReceiptText({
      id: 'abc',
      submitDate: new Date(Date.UTC(2026, 10, 22, 1, 1, 59)),
      doneDate: new Date(Date.UTC(2027, 0, 2, 23, 5)),
      stat: StatWord.UNDELIVERABLE,
      err: 34,
      text: 'The quick brown fox jumps over the lazy dog',
    });
    expect(text).toBe(
      'id:abc sub:001 dlvrd:000 submit date:2611220101 done date:2701022305 stat:UNDELIV err:034 text:The quick brown fox ',
    );
    expect(formatReceiptText({ id: '1', submitDate: '2611220101', doneDate: '2611220101', stat: 'DELIVRD' })).toBe(
      'id:1 sub:001 dlvrd:001 submit date:2611220101 done date:2611220101 stat:DELIVRD err:000 text:',
    );
  });

  it('counts the 20 text characters by code point', () => {
    const emoji = '\u{1F600}';
    const text = formatReceiptText({
      id: '1',
      submitDate: '2611220101',
      doneDate: '2611220101',
      stat: 'DELIVRD',
      text: emoji.repeat(25),
    });
    expect(text.endsWith('text:' + emoji.repeat(20))).toBe(true);
  });

  it.each<[string, Partial<Parameters<typeof formatReceiptText>[0]>]>([
    ['id', { id: 'a b' }],
    ['stat', { stat: 'NOT DELIVERED' }],
    ['sub', { sub: '0 1' }],
    ['date', { doneDate: '26 11' }],
    ['err', { err: 'x\0' }],
  ])('refuses a %s it could not read back', (_name, override) => {
    const input = { id: '1', submitDate: '2611220101', doneDate: '2611220101', stat: 'DELIVRD', ...override };
    expect(() => formatReceiptText(input)).toThrow(RangeError);
  });

  it('parses back what it formats', () => {
    const word = fc.constantFrom(...Object.values(StatWord));
    const digits10 = fc.stringMatching(/^\d{10}$/);
    fc.assert(
      fc.property(
        fc.stringMatching(/^[\x21-\x7e]{1,64}$/),
        fc.integer({ min: 0, max: 999 }),
        fc.integer({ min: 0, max: 999 }),
        digits10,
        digits10,
        word,
        fc.integer({ min: 0, max: 999 }),
        fc.string({ maxLength: 20 }),
        (id, sub, dlvrd, submitDate, doneDate, stat, err, text) => {
          fc.pre(!/^(id|sub|dlvrd|submit[ \t_]*date|done[ \t_]*date|stat|err|text)[ \t]*:/i.test(id));
          const parsed = parseReceiptText(formatReceiptText({ id, sub, dlvrd, submitDate, doneDate, stat, err, text }));
          expect(valuesOf(parsed)).toEqual({
            id,
            sub: String(sub).padStart(3, '0'),
            dlvrd: String(dlvrd).padStart(3, '0'),
            submitDate,
            doneDate,
            stat,
            err: String(err).padStart(3, '0'),
            text: text.replace(/^[ \t]+/, '').replace(/\0+$/, ''),
          });
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('receipt dates', () => {
  it.each<[string, ReturnType<typeof parseReceiptDate>]>([
    ['2611220101', { year: 2026, month: 11, day: 22, hour: 1, minute: 1 }],
    ['261122010259', { year: 2026, month: 11, day: 22, hour: 1, minute: 2, second: 59 }],
    ['2402292359', { year: 2024, month: 2, day: 29, hour: 23, minute: 59 }],
    ['2502290000', undefined],
    ['2613010000', undefined],
    ['2600010000', undefined],
    ['2601320000', undefined],
    ['2601012400', undefined],
    ['2601010060', undefined],
    ['260101000060', undefined],
    ['26010100', undefined],
    ['26010100000', undefined],
    ['2601010000x0', undefined],
    ['', undefined],
  ])('parseReceiptDate(%j)', (value, expected) => {
    expect(parseReceiptDate(value)).toEqual(expected);
  });

  it('formats an instant as YYMMDDhhmm in UTC', () => {
    expect(formatReceiptDate(new Date(Date.UTC(2009, 0, 5, 7, 8, 9)))).toBe('0901050708');
  });
});

describe('carrier message id normalisation', () => {
  it('gives the hex submit_sm_resp id and the decimal receipt id the same key', () => {
    expect(normalizeMessageId('1A2B3C', 'hex')).toBe(normalizeMessageId('1715004', 'decimal'));
    expect(normalizeMessageId('1A2B3C', 'auto')).toBe(normalizeMessageId('1715004', 'auto'));
    expect(normalizeMessageId('1715004', 'decimal')).toBe(normalizeMessageId('1a2b3c', 'auto'));
    expect(messageIdMatch('1A2B3C', '1715004', 'auto')).toBe('exact');
    expect(messageIdMatch('1A2B3C', '1715004', 'hex', 'decimal')).toBe('exact');
  });

  it.each<[string, string, string, MessageIdFormat]>([
    ['case', '1a2b3c', '1A2B3C', 'auto'],
    ['case, explicit hex', 'DEADBEEF', 'deadbeef', 'hex'],
    ['dropped leading zeros', '000123', '123', 'auto'],
    ['dropped leading zeros, explicit decimal', '0000000042', '42', 'decimal'],
    ['dropped hex leading zeros and case', '00ab', 'AB', 'auto'],
    ['0x prefix', '0x1A2B3C', '1a2b3c', 'auto'],
    ['0x prefix, explicit hex', '0X1a2b3c', '1A2B3C', 'hex'],
    ['surrounding spaces and NULs', ' 123\0', '123', 'auto'],
    ['UUID case', '550E8400-E29B-41D4-A716-446655440000', '550e8400-e29b-41d4-a716-446655440000', 'auto'],
    ['identical opaque ids', 'msg_ZZ-1', 'msg_ZZ-1', 'string'],
    ['zero', '0000', '0', 'auto'],
  ])('matches two spellings differing in %s', (_name, a, b, format) => {
    expect(normalizeMessageId(a, format)).toBe(normalizeMessageId(b, format));
    expect(messageIdMatch(a, b, format)).toBe('exact');
  });

  it.each<[string, string, string, MessageIdFormat]>([
    ['different numbers', '123', '124', 'auto'],
    ['case of an opaque string', 'AbC-xYz', 'abc-xyz', 'string'],
    ['case of a non-hex id under auto', 'msgQ1', 'MSGQ1', 'auto'],
    ['leading zeros of an opaque string', '007', '7', 'string'],
    ['a decimal id and a letterless hex id of another number', '17', '16', 'auto'],
  ])('keeps apart %s', (_name, a, b, format) => {
    expect(normalizeMessageId(a, format)).not.toBe(normalizeMessageId(b, format));
    expect(messageIdMatch(a, b, format)).toBeUndefined();
  });

  it('keeps numbers and strings in separate key namespaces', () => {
    expect(normalizeMessageId('123', 'string')).toBe('s:123');
    expect(normalizeMessageId('123', 'decimal')).toBe('n:7b');
    expect(normalizeMessageId('123', 'hex')).toBe('n:123');
    expect(normalizeMessageId('n:7b', 'string')).toBe('s:n:7b');
  });

  it('compares an id that does not fit its declared radix as a string', () => {
    expect(normalizeMessageId('ab12', 'decimal')).toBe('s:ab12');
    expect(normalizeMessageId('xyz', 'hex')).toBe('s:xyz');
    expect(normalizeMessageId('-12', 'decimal')).toBe('s:-12');
    expect(normalizeMessageId('', 'auto')).toBe('s:');
  });

  it('offers the hex reading of a digits-only id as a second key under auto only', () => {
    expect(messageIdKeys('16', 'auto')).toEqual(['n:10', 'n:16']);
    expect(messageIdKeys('7', 'auto')).toEqual(['n:7']);
    expect(messageIdKeys('1a', 'auto')).toEqual(['n:1a']);
    expect(messageIdKeys('0x16', 'auto')).toEqual(['n:16']);
    expect(messageIdKeys('16', 'decimal')).toEqual(['n:10']);
    expect(messageIdKeys('16', 'hex')).toEqual(['n:16']);
    expect(messageIdKeys('16', 'string')).toEqual(['s:16']);
  });

  it('matches a letterless hex id to its decimal spelling through the second key', () => {
    // 0x123456 = 1193046: a carrier answering hex without a letter, then receipting in decimal.
    expect(messageIdMatch('123456', '1193046', 'auto')).toBe('alternate');
    expect(messageIdMatch('1193046', '123456', 'auto')).toBe('alternate');
    // With the carrier's convention configured the match is exact.
    expect(messageIdMatch('123456', '1193046', 'hex', 'decimal')).toBe('exact');
  });

  it('ranks the ambiguous case so a store can prefer the exact match', () => {
    // Receipt "16" could be decimal 16 (submit "16" read as decimal) or hex 0x16; submit "10"
    // read as hex is also 16. Both candidates share a key; only one is exact.
    expect(messageIdMatch('16', '16', 'auto')).toBe('exact');
    expect(messageIdMatch('10', '16', 'auto')).toBe('alternate');
    expect(messageIdMatch('22', '16', 'auto')).toBe('alternate');
    expect(messageIdMatch('17', '16', 'auto')).toBeUndefined();
  });

  const value = fc.bigInt({ min: 0n, max: (1n << 200n) - 1n });
  const zeros = fc.integer({ min: 0, max: 4 }).map((n) => '0'.repeat(n));
  const hexSpelling = (v: bigint) =>
    fc.tuple(zeros, fc.boolean(), fc.boolean()).map(([z, upper, prefix]) => {
      const digits = z + (upper ? v.toString(16).toUpperCase() : v.toString(16));
      return prefix ? `0x${digits}` : digits;
    });
  const decimalSpelling = (v: bigint) => zeros.map((z) => z + v.toString(10));

  it('explicit hex and decimal spellings of one number always share their key', () => {
    fc.assert(
      fc.property(
        value.chain((v) => fc.tuple(hexSpelling(v), decimalSpelling(v))),
        ([hex, dec]) => {
          expect(normalizeMessageId(hex, 'hex')).toBe(normalizeMessageId(dec, 'decimal'));
          expect(messageIdMatch(hex, dec, 'hex', 'decimal')).toBe('exact');
          expect(messageIdMatch(dec, hex, 'decimal', 'hex')).toBe('exact');
        },
      ),
      { numRuns: 300 },
    );
  });

  it('auto matches a hex spelling to a decimal spelling of the same number, exactly when the hex has a letter or 0x', () => {
    fc.assert(
      fc.property(
        value.chain((v) => fc.tuple(hexSpelling(v), decimalSpelling(v))),
        ([hex, dec]) => {
          const match = messageIdMatch(hex, dec, 'auto');
          expect(match).toBeDefined();
          if (/[a-f]/i.test(hex.replace(/^0x/i, '')) || /^0x/i.test(hex)) expect(match).toBe('exact');
        },
      ),
      { numRuns: 300 },
    );
  });

  it('auto matches two hex spellings, or two decimal spellings, of one number exactly', () => {
    fc.assert(
      fc.property(
        value.chain((v) => fc.tuple(hexSpelling(v), hexSpelling(v), decimalSpelling(v), decimalSpelling(v))),
        ([h1, h2, d1, d2]) => {
          expect(messageIdMatch(d1, d2, 'auto')).toBe('exact');
          const prefixed = [h1, h2].filter((h) => /^0x/i.test(h)).length;
          // "0x123" against "123" is the one pair auto reads in different radixes.
          if (prefixed !== 1) expect(messageIdMatch(h1, h2, 'auto')).toBe('exact');
          else expect(messageIdMatch(h1, h2, 'auto')).toBeDefined();
        },
      ),
      { numRuns: 300 },
    );
  });

  it('never gives two different numbers the same first key', () => {
    fc.assert(
      fc.property(value, value, fc.constantFrom<MessageIdFormat>('auto', 'decimal'), (v, w, format) => {
        fc.pre(v !== w);
        expect(normalizeMessageId(v.toString(10), format)).not.toBe(normalizeMessageId(w.toString(10), format));
        expect(normalizeMessageId(v.toString(16), 'hex')).not.toBe(normalizeMessageId(w.toString(16), 'hex'));
      }),
      { numRuns: 300 },
    );
  });

  it('never throws and always returns one to two namespaced keys', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 70 }),
        fc.constantFrom<MessageIdFormat>('auto', 'hex', 'decimal', 'string'),
        (id, format) => {
          const keys = messageIdKeys(id, format);
          expect(keys.length).toBeGreaterThanOrEqual(1);
          expect(keys.length).toBeLessThanOrEqual(format === 'auto' ? 2 : 1);
          for (const key of keys) expect(key).toMatch(/^[ns]:/);
          expect(normalizeMessageId(id, format)).toBe(keys[0]);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
