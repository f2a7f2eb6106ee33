import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { EventBatchError, packEventBatch, unpackEventBatch } from '../../src/store/event-batch.js';

describe('packed event batches', () => {
  it('round-trips sequence numbers, ids, subjects and payloads, keeping strings strings and bytes bytes', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            seq: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
            id: fc.string({ minLength: 1, maxLength: 60 }),
            subject: fc.string({ minLength: 1, maxLength: 120 }),
            payload: fc.oneof(fc.string({ maxLength: 200 }), fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a))),
          }),
          { maxLength: 30 },
        ),
        (events) => {
          const back = unpackEventBatch(packEventBatch(events));
          expect(back.map((e) => ({ ...e, payload: typeof e.payload === 'string' ? e.payload : Buffer.from(e.payload) }))).toEqual(events);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('packs into a buffer of its own, so it can be transferred to another thread', () => {
    const packed = packEventBatch([{ seq: 1, id: 'a', subject: 's', payload: Buffer.from('x') }]);
    expect(packed.byteLength).toBe(8 + 2 + 1 + 2 + 1 + 1 + 4 + 1);
    const copy = structuredClone(packed, { transfer: [packed] });
    expect(unpackEventBatch(copy)[0]!.id).toBe('a');
  });

  it('refuses a cut-short batch', () => {
    const packed = Buffer.from(packEventBatch([{ seq: 1, id: 'abc', subject: 'smpp.x', payload: 'payload' }]));
    for (let n = 1; n < packed.length; n++) expect(() => unpackEventBatch(packed.subarray(0, n))).toThrow(EventBatchError);
  });
});
