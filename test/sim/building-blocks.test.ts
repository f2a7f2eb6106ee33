import { describe, expect, it } from 'vitest';
import { choiceArg, durationArg, integerArg, numberArg, statusArg } from '../../src/sim/arg-values.js';
import { createFailurePolicy } from '../../src/sim/failure-policy.js';
import { SimMessageIds } from '../../src/sim/message-ids.js';
import { buildTextParts, fitsDefaultAlphabet, messagePreview } from '../../src/sim/message-text.js';
import { seededRandom } from '../../src/sim/prng.js';
import { wantsReceipt } from '../../src/sim/receipt-pdu.js';
import { RingLog } from '../../src/sim/ring-log.js';
import { SimError } from '../../src/sim/errors.js';
import { MessageState, Status, TlvTag, messageIdMatch } from '../../src/smpp/index.js';

describe('seeded PRNG and failure policy', () => {
  it('gives the same sequence for the same seed and a different one for another seed', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const c = seededRandom(43);
    const seqA = Array.from({ length: 20 }, () => a());
    expect(Array.from({ length: 20 }, () => b())).toEqual(seqA);
    expect(Array.from({ length: 20 }, () => c())).not.toEqual(seqA);
    for (const x of seqA) expect(x >= 0 && x < 1).toBe(true);
  });

  it('fails about the requested share, identically for one seed', () => {
    const run = (seed: number): boolean[] => {
      const policy = createFailurePolicy({ ratio: 0.25, status: Status.ESME_RSYSERR, seed });
      return Array.from({ length: 4000 }, () => policy.shouldFail());
    };
    const first = run(7);
    expect(run(7)).toEqual(first);
    const share = first.filter(Boolean).length / first.length;
    expect(share).toBeGreaterThan(0.2);
    expect(share).toBeLessThan(0.3);
  });

  it('fails exactly every Nth submit', () => {
    const policy = createFailurePolicy({ everyNth: 3, status: Status.ESME_RTHROTTLED });
    expect(Array.from({ length: 9 }, () => policy.shouldFail())).toEqual([false, false, true, false, false, true, false, false, true]);
    expect(policy.status).toBe(Status.ESME_RTHROTTLED);
  });

  it('ratio 0 never fails and ratio 1 always fails', () => {
    const never = createFailurePolicy({ ratio: 0, status: 8 });
    const always = createFailurePolicy({ ratio: 1, status: 8 });
    expect(Array.from({ length: 100 }, () => never.shouldFail()).some(Boolean)).toBe(false);
    expect(Array.from({ length: 100 }, () => always.shouldFail()).every(Boolean)).toBe(true);
  });

  it('refuses nonsense with a typed error', () => {
    expect(() => createFailurePolicy({ ratio: 1.5, status: 8 })).toThrow(SimError);
    expect(() => createFailurePolicy({ ratio: 0.5, status: 0 })).toThrow(SimError);
    expect(() => createFailurePolicy({ everyNth: 0, status: 8 })).toThrow(SimError);
  });
});

describe('message ids', () => {
  it('writes consecutive ids in each format', () => {
    expect(new SimMessageIds('hex', 0xabc).take()).toEqual({ respId: 'ABC', receiptId: 'ABC' });
    expect(new SimMessageIds('decimal', 2748).take()).toEqual({ respId: '2748', receiptId: '2748' });
    expect(new SimMessageIds('string', 36).take()).toEqual({ respId: 'SIM-10', receiptId: 'SIM-10' });
    const mixed = new SimMessageIds('hex-decimal', 0xabc);
    expect(mixed.take()).toEqual({ respId: 'ABC', receiptId: '2748' });
    expect(mixed.take()).toEqual({ respId: 'ABD', receiptId: '2749' });
  });

  it('hex-decimal ids are one number to a carrier-aware matcher', () => {
    const { respId, receiptId } = new SimMessageIds('hex-decimal', 0x1a2b3c4d).take();
    expect(messageIdMatch(respId, receiptId, 'hex', 'decimal')).toBe('exact');
  });

  it('starts from the clock by default, so a restarted simulator does not reuse ids', () => {
    const before = Date.now() * 1000;
    const id = Number.parseInt(new SimMessageIds('hex').take().respId, 16);
    expect(id).toBeGreaterThanOrEqual(before);
  });

  it('refuses an unknown format or a bad first number', () => {
    expect(() => new SimMessageIds('octal' as 'hex')).toThrow(SimError);
    expect(() => new SimMessageIds('hex', 0)).toThrow(SimError);
    expect(() => new SimMessageIds('hex', 2 ** 60)).toThrow(SimError);
  });
});

describe('text parts', () => {
  it('keeps a text that fits in one part, as latin1 with data_coding 0', () => {
    const parts = buildTextParts('Hello world');
    expect(parts).toEqual({ dataCoding: 0, esmClass: 0, parts: [Buffer.from('Hello world', 'latin1')] });
    expect(buildTextParts('x'.repeat(160)).parts).toHaveLength(1);
  });

  it('splits GSM text into 153-character parts behind an 8-bit concatenation UDH', () => {
    const text = 'a'.repeat(153) + 'b'.repeat(153) + 'c';
    const { parts, esmClass } = buildTextParts(text, { reference: 0x2a });
    expect(esmClass).toBe(0x40);
    expect(parts).toHaveLength(3);
    parts.forEach((part, i) => {
      expect([...part.subarray(0, 6)]).toEqual([0x05, 0x00, 0x03, 0x2a, 3, i + 1]);
    });
    expect(Buffer.concat(parts.map((p) => p.subarray(6))).toString('latin1')).toBe(text);
  });

  it('counts GSM escape-table characters as two septets', () => {
    expect(buildTextParts('{'.repeat(80)).parts).toHaveLength(1);
    expect(buildTextParts('{'.repeat(81)).parts).toHaveLength(2);
  });

  it('switches to UCS-2 for text outside the GSM alphabet and never cuts a surrogate pair', () => {
    expect(fitsDefaultAlphabet('Привет')).toBe(false);
    const short = buildTextParts('Привет');
    expect(short.dataCoding).toBe(8);
    expect(short.parts[0]).toEqual(Buffer.from('Привет', 'utf16le').swap16());
    const emoji = '😀'.repeat(40); // 80 UTF-16 units: 2 parts of at most 67 units
    const long = buildTextParts(emoji);
    expect(long.parts).toHaveLength(2);
    for (const part of long.parts) expect((part.length - 6) % 4).toBe(0);
    const joined = Buffer.concat(long.parts.map((p) => Buffer.from(p.subarray(6)).swap16()));
    expect(joined.toString('utf16le')).toBe(emoji);
  });

  it('refuses data_coding 0 for text it cannot carry, and texts beyond 255 parts', () => {
    expect(() => buildTextParts('Привет', { dataCoding: 0 })).toThrow(expect.objectContaining({ code: 'TEXT_NOT_ENCODABLE' }));
    expect(() => buildTextParts('a'.repeat(153 * 256))).toThrow(expect.objectContaining({ code: 'TEXT_TOO_LONG' }));
    expect(buildTextParts('plain', { dataCoding: 8 }).dataCoding).toBe(8);
  });
});

describe('receipt helpers', () => {
  it('previews the start of a message as printable ASCII, skipping the UDH', () => {
    const udh = Buffer.from([0x05, 0x00, 0x03, 0x01, 0x02, 0x01]);
    expect(messagePreview(Buffer.concat([udh, Buffer.from('Part one of a long message')]), 0, 0x40)).toBe('Part one of a long m');
    expect(messagePreview(Buffer.from('Привет', 'utf16le').swap16(), 8, 0)).toBe('??????');
    expect(messagePreview(Buffer.from([0x01, 0xff]), 4, 0)).toBe('');
    const payload = { tag: TlvTag.message_payload, value: Buffer.from('from the payload') };
    expect(messagePreview(Buffer.alloc(0), 0, 0, [payload])).toBe('from the payload');
  });

  it('follows registered_delivery: none, always, failures only', () => {
    expect(wantsReceipt(0, MessageState.DELIVERED)).toBe(false);
    expect(wantsReceipt(1, MessageState.DELIVERED)).toBe(true);
    expect(wantsReceipt(2, MessageState.DELIVERED)).toBe(false);
    expect(wantsReceipt(2, MessageState.UNDELIVERABLE)).toBe(true);
    expect(wantsReceipt(0x11, MessageState.DELIVERED)).toBe(true);
  });
});

describe('ring log', () => {
  it('keeps the most recent entries in order and counts the rest', () => {
    const log = new RingLog<number>(3);
    for (let i = 1; i <= 5; i++) log.push(i);
    expect(log.toArray()).toEqual([3, 4, 5]);
    expect(log.overwritten).toBe(2);
    log.clear();
    expect(log.toArray()).toEqual([]);
    const none = new RingLog<number>(0);
    none.push(1);
    expect(none.toArray()).toEqual([]);
  });
});

describe('command-line values', () => {
  it('reads statuses by name or number and refuses ESME_ROK', () => {
    expect(statusArg('s', 'ESME_RTHROTTLED')).toEqual({ ok: true, value: 0x58 });
    expect(statusArg('s', 'esme_rmsgqful')).toEqual({ ok: true, value: 0x14 });
    expect(statusArg('s', '0x58')).toEqual({ ok: true, value: 0x58 });
    expect(statusArg('s', '88')).toEqual({ ok: true, value: 88 });
    expect(statusArg('s', '0').ok).toBe(false);
    expect(statusArg('s', 'ESME_ROK').ok).toBe(false);
    expect(statusArg('s', 'nope').ok).toBe(false);
  });

  it('reads durations, numbers and choices', () => {
    expect(durationArg('d', '200ms')).toEqual({ ok: true, value: 200 });
    expect(durationArg('d', '1.5s')).toEqual({ ok: true, value: 1500 });
    expect(durationArg('d', '250')).toEqual({ ok: true, value: 250 });
    expect(durationArg('d', 'soon').ok).toBe(false);
    expect(integerArg('n', '10', 1, 10)).toEqual({ ok: true, value: 10 });
    expect(integerArg('n', '11', 1, 10).ok).toBe(false);
    expect(integerArg('n', '1.5', 1, 10).ok).toBe(false);
    expect(numberArg('r', '0.1', 0, 1)).toEqual({ ok: true, value: 0.1 });
    expect(numberArg('r', '', 0, 1).ok).toBe(false);
    expect(choiceArg('c', 'hex', ['hex', 'decimal'] as const)).toEqual({ ok: true, value: 'hex' });
    expect(choiceArg('c', 'oct', ['hex', 'decimal'] as const).ok).toBe(false);
  });
});
