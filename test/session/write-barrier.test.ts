import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { CoalescingWriter } from '../../src/session/writer.js';

/** Just enough of a socket to see what reaches the wire and when. */
function fakeSocket(): { socket: Socket; written: Buffer[] } {
  const written: Buffer[] = [];
  const emitter = new EventEmitter() as EventEmitter & { write: (b: Buffer) => boolean; destroyed: boolean; writableEnded: boolean };
  emitter.write = (b: Buffer) => {
    written.push(Buffer.from(b));
    return true;
  };
  emitter.destroyed = false;
  emitter.writableEnded = false;
  return { socket: emitter as unknown as Socket, written };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('CoalescingWriter.holdUntil', () => {
  it('keeps queued frames off the wire until the barrier resolves, in order, in one write', async () => {
    const { socket, written } = fakeSocket();
    const writer = new CoalescingWriter(socket, () => undefined);
    let release!: () => void;
    writer.write(Buffer.from('a'));
    writer.holdUntil(new Promise<void>((r) => (release = r)), 10_000);
    writer.write(Buffer.from('b'));
    await tick();
    await tick();
    expect(written).toHaveLength(0);
    release();
    // The flush follows in the next turn after the release, not inside it.
    await tick();
    await tick();
    expect(written.map((b) => b.toString())).toEqual(['ab']);
  });

  it('releases on a rejected barrier and after maxMs when the barrier never settles', async () => {
    const { socket, written } = fakeSocket();
    const writer = new CoalescingWriter(socket, () => undefined);
    writer.holdUntil(Promise.reject(new Error('audit failed')), 10_000);
    writer.write(Buffer.from('x'));
    await tick();
    await tick();
    expect(written.map((b) => b.toString())).toEqual(['x']);

    writer.holdUntil(new Promise(() => undefined), 30);
    writer.write(Buffer.from('y'));
    await tick();
    expect(written).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 60));
    expect(written.map((b) => b.toString())).toEqual(['x', 'y']);
  });

  it('waits for every overlapping hold', async () => {
    const { socket, written } = fakeSocket();
    const writer = new CoalescingWriter(socket, () => undefined);
    let first!: () => void;
    let second!: () => void;
    writer.holdUntil(new Promise<void>((r) => (first = r)), 10_000);
    writer.holdUntil(new Promise<void>((r) => (second = r)), 10_000);
    writer.write(Buffer.from('z'));
    first();
    await tick();
    await tick();
    expect(written).toHaveLength(0);
    second();
    await tick();
    await tick();
    expect(written.map((b) => b.toString())).toEqual(['z']);
  });

  it('does not let a released hold carry out a frame whose own hold is placed later in the same turn', async () => {
    // The proxy queues an answer, then (a few promise continuations later, same turn) holds the
    // writes until that answer's audit records are durable. An earlier hold released in between
    // must not flush the new answer before its hold is in place.
    const { socket, written } = fakeSocket();
    const writer = new CoalescingWriter(socket, () => undefined);
    let first!: () => void;
    writer.holdUntil(new Promise<void>((r) => (first = r)), 10_000);
    writer.write(Buffer.from('r0'));
    await tick();
    let second!: () => void;
    // One turn: the next answer is queued, the first barrier settles, then the answer's own hold.
    writer.write(Buffer.from('r1'));
    first();
    await Promise.resolve();
    await Promise.resolve();
    await Promise.resolve();
    writer.holdUntil(new Promise<void>((r) => (second = r)), 10_000);
    await tick();
    await tick();
    expect(written).toHaveLength(0);
    second();
    await tick();
    await tick();
    expect(written.map((b) => b.toString())).toEqual(['r0r1']);
  });
});
