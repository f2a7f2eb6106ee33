import { afterEach, describe, expect, it } from 'vitest';
import { OutboxPublisher } from '../../src/audit/publisher.js';
import {
  RefusalKind,
  type OutgoingEvent,
  type PublishTransport,
  type TransportListener,
} from '../../src/audit/transport.js';
import { openMemoryStore, type Store } from '../../src/store/index.js';

/** A transport that records what it is asked to send and lets the test answer. */
class ScriptedTransport implements PublishTransport {
  listener!: TransportListener;
  readonly sent: OutgoingEvent[] = [];
  rechecks = 0;
  start(listener: TransportListener): void {
    this.listener = listener;
  }
  send(batch: readonly OutgoingEvent[]): void {
    this.sent.push(...batch);
  }
  recheckStream(): void {
    this.rechecks++;
  }
  async stop(): Promise<void> {}
  ready(): void {
    this.listener.state({ connected: true, streamReady: true });
  }
  down(): void {
    this.listener.state({ connected: false, streamReady: false });
  }
  sentSeqs(): number[] {
    return this.sent.map((e) => e.seq);
  }
}

const stream = {
  name: 'S',
  subjects: ['t.>'],
  replicas: 1,
  maxAgeMs: 0,
  maxBytes: -1,
  duplicateWindowMs: 120_000,
  storage: 'file' as const,
};

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function until(condition: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(2);
  }
}

let store: Store | undefined;
let publisher: OutboxPublisher | undefined;

afterEach(async () => {
  await publisher?.stop({ flushTimeoutMs: 0 });
  await store?.close();
  publisher = undefined;
  store = undefined;
});

async function setup(count: number, options: Partial<ConstructorParameters<typeof OutboxPublisher>[0]> = {}) {
  store = openMemoryStore();
  await store.outbox.append(
    Array.from({ length: count }, (_, i) => ({ id: `e${i + 1}`, subject: 't.x', payload: Buffer.from(`{"n":${i + 1}}`) })),
  );
  const transport = new ScriptedTransport();
  publisher = new OutboxPublisher({
    outbox: store.outbox,
    servers: 'unused',
    stream,
    transport,
    retryInitialMs: 20,
    retryMaxMs: 40,
    cursorSaveIntervalMs: 0,
    ...options,
  });
  publisher.start();
  return { transport, publisher, outbox: store.outbox };
}

describe('OutboxPublisher bookkeeping', () => {
  it('sends nothing until the transport is ready, then sends in outbox order with the event ids', async () => {
    const { transport } = await setup(5);
    await sleep(20);
    expect(transport.sent).toHaveLength(0);
    transport.ready();
    await until(() => transport.sent.length === 5);
    expect(transport.sent.map((e) => [e.seq, e.id])).toEqual([
      [1, 'e1'],
      [2, 'e2'],
      [3, 'e3'],
      [4, 'e4'],
      [5, 'e5'],
    ]);
  });

  it('moves the outbox cursor only over a contiguous acknowledged prefix', async () => {
    const { transport, publisher, outbox } = await setup(5);
    transport.ready();
    await until(() => transport.sent.length === 5);
    transport.listener.acked(3, false);
    transport.listener.acked(2, false);
    await sleep(10);
    expect(publisher.stats.ackedThrough).toBe(0);
    expect(outbox.depth()).toBe(5);
    transport.listener.acked(1, false);
    await until(() => outbox.depth() === 2);
    expect(publisher.stats.ackedThrough).toBe(3);
    transport.listener.acked(5, false);
    transport.listener.acked(4, true);
    expect(await publisher.waitDrained(1_000)).toBe(true);
    expect(publisher.stats).toMatchObject({ published: 5, duplicates: 1, ackedThrough: 5, inFlight: 0 });
  });

  it('keeps at most maxInFlight outstanding and refills as acknowledgements come', async () => {
    const { transport } = await setup(50, { maxInFlight: 8, readBatch: 4 });
    transport.ready();
    await until(() => transport.sent.length === 8);
    await sleep(20);
    expect(transport.sent).toHaveLength(8);
    for (let seq = 1; seq <= 4; seq++) transport.listener.acked(seq, false);
    await until(() => transport.sent.length === 12);
    expect(transport.sentSeqs().slice(8)).toEqual([9, 10, 11, 12]);
  });

  it('resends what is unacknowledged, under the same ids, when the transport is ready again', async () => {
    const { transport, publisher } = await setup(4);
    transport.ready();
    await until(() => transport.sent.length === 4);
    transport.listener.acked(1, false);
    transport.down();
    transport.ready();
    await until(() => transport.sent.length === 7);
    expect(transport.sent.slice(4).map((e) => e.id)).toEqual(['e2', 'e3', 'e4']);
    expect(publisher.stats.resent).toBe(3);
  });

  it('resends an event whose acknowledgement does not come in time', async () => {
    const { transport, publisher } = await setup(2, { ackTimeoutMs: 60 });
    transport.ready();
    await until(() => transport.sent.length === 2);
    transport.listener.acked(1, false);
    await until(() => transport.sent.length >= 3, 3_000);
    expect(transport.sent[2]!.id).toBe('e2');
    transport.listener.acked(2, false);
    expect(await publisher.waitDrained(1_000)).toBe(true);
  });

  it('pauses after a temporary refusal and then resends', async () => {
    const { transport, publisher } = await setup(3);
    transport.ready();
    await until(() => transport.sent.length === 3);
    transport.listener.refused(2, RefusalKind.temporary, 'insufficient resources');
    expect(publisher.stats.lastError).toBe('insufficient resources');
    await until(() => transport.sent.length === 6);
    expect(transport.sentSeqs().slice(3)).toEqual([1, 2, 3]);
  });

  it('asks for the stream again when it is missing, and resends once it is back', async () => {
    const { transport } = await setup(2);
    transport.ready();
    await until(() => transport.sent.length === 2);
    transport.listener.refused(1, RefusalKind.streamMissing, 'no responders');
    expect(transport.rechecks).toBe(1);
    transport.listener.state({ connected: true, streamReady: false });
    transport.ready();
    await until(() => transport.sent.length === 4);
  });

  it('skips an event refused for good so the rest of the trail is not held up', async () => {
    const { transport, publisher } = await setup(3);
    transport.ready();
    await until(() => transport.sent.length === 3);
    transport.listener.refused(1, RefusalKind.permanent, 'message size exceeds maximum allowed');
    transport.listener.acked(2, false);
    transport.listener.acked(3, false);
    expect(await publisher.waitDrained(1_000)).toBe(true);
    expect(publisher.stats).toMatchObject({ rejected: 1, published: 2, ackedThrough: 3 });
    expect(publisher.stats.lastError).toContain('e1');
  });

  it('rejects nonsensical settings', () => {
    const outbox = openMemoryStore().outbox;
    expect(() => new OutboxPublisher({ outbox, servers: 'x', stream, maxInFlight: 0 })).toThrow(RangeError);
    expect(() => new OutboxPublisher({ outbox, servers: 'x', stream: { ...stream, duplicateWindowMs: 0 } })).toThrow(
      /duplicate window/,
    );
  });
});
