import { describe, expect, it } from 'vitest';
import { AckWindows } from '../../src/audit/ack-windows.js';

const events = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({ seq: from + i }));

/** Acknowledges `n` per-event sends whose stream sequences run on from `streamFrom`. */
function ackRun(w: AckWindows<{ seq: number }>, seqFrom: number, streamFrom: number, n: number): void {
  for (let i = 0; i < n; i++) w.sentEach(seqFrom + i);
  for (let i = 0; i < n; i++) w.ackedEach(seqFrom + i, streamFrom + i, false);
}

describe('AckWindows', () => {
  it('uses no windows until enough consecutive per-event acknowledgements came back with nothing outstanding', () => {
    const w = new AckWindows({ trustAfter: 5 });
    expect(w.open(events(1, 3))).toBeUndefined();
    ackRun(w, 1, 100, 4);
    expect(w.trusted).toBe(false);
    w.sentEach(5);
    w.sentEach(6);
    w.ackedEach(5, 104, false);
    // Five in a row, but one send is still outstanding: its sequence is not counted yet.
    expect(w.trusted).toBe(false);
    w.ackedEach(6, 105, false);
    expect(w.trusted).toBe(true);
  });

  it('proves a window stored when its last stream sequence adds up, window after window', () => {
    const w = new AckWindows({ trustAfter: 3 });
    ackRun(w, 1, 10, 3); // stream at 12
    const a = w.open(events(4, 5))!; // 13..17
    const b = w.open(events(9, 1))!; // 18
    const c = w.open(events(10, 3))!; // 19..21
    expect(w.settle(a, { streamSeq: 17, duplicate: false })).toEqual({ kind: 'stored', events: events(4, 5) });
    expect(w.settle(b, { streamSeq: 18, duplicate: false })?.kind).toBe('stored');
    expect(w.settle(c, { streamSeq: 21, duplicate: false })?.kind).toBe('stored');
    expect(w.trusted).toBe(true);
  });

  it.each([
    ['an event lost (sequence short)', { streamSeq: 16, duplicate: false }],
    ['another writer (sequence long)', { streamSeq: 19, duplicate: false }],
    ['the last event a duplicate', { streamSeq: 17, duplicate: true }],
    ['an error instead of an acknowledgement', undefined],
  ])('leaves a window unproven on %s, and every window after it too', (_name, ack) => {
    const w = new AckWindows({ trustAfter: 3 });
    ackRun(w, 1, 10, 3);
    const a = w.open(events(4, 5))!;
    const b = w.open(events(9, 2))!;
    expect(w.settle(a, ack)).toEqual({ kind: 'unproven', events: events(4, 5) });
    expect(w.trusted).toBe(false);
    // b was counted from the old baseline; even a matching number proves nothing now.
    expect(w.settle(b, { streamSeq: 19, duplicate: false })?.kind).toBe('unproven');
    expect(w.open(events(11, 2))).toBeUndefined();
  });

  it('needs a new consecutive run after a duplicate, a gap or a refusal breaks one', () => {
    const w = new AckWindows({ trustAfter: 3 });
    ackRun(w, 1, 10, 2);
    w.sentEach(3);
    w.ackedEach(3, 20, false); // another writer stored 12..19 in between
    expect(w.trusted).toBe(false);
    ackRun(w, 4, 21, 1);
    expect(w.trusted).toBe(false);
    ackRun(w, 5, 22, 1); // 20, 21, 22: three in a row
    expect(w.trusted).toBe(true);
    w.sentEach(6);
    w.droppedEach(6);
    expect(w.trusted).toBe(false);
  });

  it('forgets everything on reset, and windows it no longer knows settle to nothing', () => {
    const w = new AckWindows({ trustAfter: 1 });
    ackRun(w, 1, 1, 1);
    const a = w.open(events(2, 2))!;
    w.reset();
    expect(w.trusted).toBe(false);
    expect(w.settle(a, { streamSeq: 3, duplicate: false })).toBeUndefined();
  });

  it('forgets windows never settled after maxAgeMs', () => {
    let now = 0;
    const w = new AckWindows({ trustAfter: 1, maxAgeMs: 1_000, now: () => now });
    ackRun(w, 1, 1, 1);
    const a = w.open(events(2, 1))!;
    now = 5_000;
    w.open(events(3, 1));
    expect(w.settle(a, { streamSeq: 2, duplicate: false })).toBeUndefined();
  });
});
