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
});
