import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameSplitter, SmppError, Status, decodePdu } from '../../src/smpp/index.js';
import { vectors } from './vectors.js';

const frames = vectors.map((v) => Buffer.from(v.hex, 'hex'));
const stream = Buffer.concat(frames);
const CAP = 4096;

/** Feeds the chunks, draining after each push as a session does, and returns what came out. */
function run(splitter: FrameSplitter, chunks: Buffer[]): (Buffer | SmppError)[] {
  const out: (Buffer | SmppError)[] = [];
  for (const chunk of chunks) {
    splitter.push(chunk);
    for (let item = splitter.next(); item !== undefined; item = splitter.next()) out.push(item);
  }
  return out;
}

function header(length: number): Buffer {
  const h = Buffer.alloc(16);
  h.writeUInt32BE(length >>> 0, 0);
  h.writeUInt32BE(0x00000015, 4);
  h.writeUInt32BE(123, 12);
  return h;
}

describe('FrameSplitter', () => {
  it('returns every vector from one chunk holding all 41', () => {
    const splitter = new FrameSplitter(CAP);
    expect(run(splitter, [stream])).toEqual(frames);
    expect(splitter.buffered).toBe(0);
  });

  it('returns every vector when fed one octet at a time, holding only the incomplete PDU', () => {
    const splitter = new FrameSplitter(CAP);
    const out: Buffer[] = [];
    let boundary = 0;
    let index = 0;
    for (let i = 0; i < stream.length; i++) {
      splitter.push(stream.subarray(i, i + 1));
      const item = splitter.next();
      if (item !== undefined) {
        expect(item).toBeInstanceOf(Buffer);
        out.push(item as Buffer);
        boundary += frames[index++]!.length;
        expect(splitter.next()).toBeUndefined();
      }
      expect(splitter.buffered).toBe(i + 1 - boundary);
      expect(splitter.buffered).toBeLessThan(CAP);
    }
    expect(out).toEqual(frames);
    expect(splitter.buffered).toBe(0);
  });

  it('returns every vector for any chunking of the stream', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: stream.length }), { maxLength: 60 }), (cuts) => {
        const points = [...new Set([0, ...cuts, stream.length])].sort((a, b) => a - b);
        const chunks: Buffer[] = [];
        for (let i = 1; i < points.length; i++) chunks.push(stream.subarray(points[i - 1]!, points[i]!));
        const splitter = new FrameSplitter(CAP);
        expect(run(splitter, chunks)).toEqual(frames);
        expect(splitter.buffered).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it('copies a frame that straddles chunks, so later changes to the chunks do not reach it', () => {
    const first = Buffer.from(frames[0]!.subarray(0, 10));
    const second = Buffer.from(frames[0]!.subarray(10));
    const splitter = new FrameSplitter(CAP);
    splitter.push(first);
    splitter.push(second);
    const item = splitter.next() as Buffer;
    first.fill(0xee);
    second.fill(0xee);
    expect(item).toEqual(frames[0]);
  });

  it('accepts a header-only PDU of exactly 16 octets and one of exactly maxLength', () => {
    const splitter = new FrameSplitter(64);
    const exact = Buffer.concat([header(64), Buffer.alloc(48, 1)]);
    expect(run(splitter, [header(16), exact])).toEqual([header(16), exact]);
  });

  describe.each([
    ['0', 0],
    ['1', 1],
    ['8', 8],
    ['15', 15],
    ['cap + 1', CAP + 1],
    ['0x7FFFFFFF', 0x7fffffff],
    ['0xFFFFFFFF', 0xffffffff],
    ['"HTTP"', 0x48545450],
    ['"AMQP"', 0x414d5150],
  ])('hostile command_length %s', (_label, length) => {
    it('is a fatal ESME_RINVCMDLEN as soon as the 4 length octets are in, and nothing is buffered', () => {
      const splitter = new FrameSplitter(CAP);
      const bytes = Buffer.alloc(4);
      bytes.writeUInt32BE(length >>> 0, 0);
      for (let i = 0; i < 3; i++) {
        splitter.push(bytes.subarray(i, i + 1));
        expect(splitter.next()).toBeUndefined();
      }
      splitter.push(bytes.subarray(3));
      expect(splitter.buffered).toBe(0);
      const error = splitter.next();
      expect(error).toBeInstanceOf(SmppError);
      expect(error).toMatchObject({ code: 'COMMAND_LENGTH_OUT_OF_RANGE', status: Status.ESME_RINVCMDLEN, fatal: true });
      expect(splitter.failed).toBe(true);
      // Nothing more comes out, and nothing more is held, whatever follows.
      splitter.push(stream);
      expect(splitter.next()).toBeUndefined();
      expect(splitter.buffered).toBe(0);
    });
  });

  it('an HTTP request sent to the port is rejected at its first four octets', () => {
    const splitter = new FrameSplitter(512);
    splitter.push(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    const error = splitter.next();
    expect(error).toMatchObject({ code: 'COMMAND_LENGTH_OUT_OF_RANGE', fatal: true });
    expect(splitter.next()).toBeUndefined();
  });

  it('reports the header sequence with the error when 16 octets are already in', () => {
    const splitter = new FrameSplitter(CAP);
    splitter.push(header(CAP + 1));
    const error = splitter.next() as SmppError;
    expect(error.sequence).toBe(123);
    expect(error.commandId).toBe(0x15);
  });

  it('delivers the good PDUs before a bad length that follows them', () => {
    const splitter = new FrameSplitter(CAP);
    const out = run(splitter, [Buffer.concat([frames[0]!, frames[1]!, header(5)])]);
    expect(out.slice(0, 2)).toEqual([frames[0], frames[1]]);
    expect(out[2]).toBeInstanceOf(SmppError);
    expect(out).toHaveLength(3);
  });

  it('applies a raised maxLength after bind and a lowered one to the next PDU', () => {
    const big = Buffer.concat([header(1000), Buffer.alloc(984)]);
    const splitter = new FrameSplitter(512);
    splitter.maxLength = 2048;
    expect(run(splitter, [big])).toEqual([big]);
    splitter.maxLength = 999;
    const out = run(splitter, [big]);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ code: 'COMMAND_LENGTH_OUT_OF_RANGE' });
  });

  it('never holds more than maxLength octets of an incomplete PDU', () => {
    const max = 300;
    const splitter = new FrameSplitter(max);
    const pdu = Buffer.concat([header(max), Buffer.alloc(max - 16, 7)]);
    for (let i = 0; i < pdu.length - 1; i++) {
      splitter.push(pdu.subarray(i, i + 1));
      expect(splitter.next()).toBeUndefined();
      expect(splitter.buffered).toBeLessThanOrEqual(max);
    }
    splitter.push(pdu.subarray(pdu.length - 1));
    expect(splitter.next()).toEqual(pdu);
  });

  it('stays linear when a large stream arrives one octet at a time', () => {
    // 2,000 PDUs of 60 octets, pushed octet by octet: 120,000 pushes must finish promptly and intact.
    const one = frames.find((f) => f.length === 60)!;
    const big = Buffer.concat(Array.from({ length: 2000 }, () => one));
    const splitter = new FrameSplitter(CAP);
    let count = 0;
    for (let i = 0; i < big.length; i++) {
      splitter.push(big.subarray(i, i + 1));
      const item = splitter.next();
      if (item !== undefined) {
        expect(item).toEqual(one);
        count++;
      }
    }
    expect(count).toBe(2000);
  });

  it('every frame it returns decodes (splitter and decoder agree on boundaries)', () => {
    const splitter = new FrameSplitter(CAP);
    for (const item of run(splitter, [stream])) {
      expect(decodePdu(item as Buffer).ok).toBe(true);
    }
  });

  it('ignores empty chunks', () => {
    const splitter = new FrameSplitter(CAP);
    splitter.push(Buffer.alloc(0));
    expect(splitter.next()).toBeUndefined();
    expect(splitter.buffered).toBe(0);
  });
});
