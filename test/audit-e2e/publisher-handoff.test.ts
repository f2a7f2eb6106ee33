import { afterEach, describe, expect, it } from 'vitest';
import type { AuditOutbox, OutboxRecordInput } from '../../src/audit/outbox-port.js';
import { OutboxPublisher } from '../../src/audit/publisher.js';
import type { OutgoingEvent, PublishTransport, TransportListener } from '../../src/audit/transport.js';
import { openMemoryStore, type Store } from '../../src/store/index.js';

/**
 * The recorder hands durable records to the publisher (offer) so that, while it keeps up, no
 * event is read back from the outbox. Whatever the interleaving with reads, windows and
 * reconnects, every event must still go out once, in outbox order, and none may be skipped.
 */

/** Records what it is asked to send; the test acknowledges. */
class ScriptedTransport implements PublishTransport {
  listener!: TransportListener;
  readonly sent: OutgoingEvent[] = [];
  start(listener: TransportListener): void {
    this.listener = listener;
  }
  send(batch: readonly OutgoingEvent[]): void {
    this.sent.push(...batch);
  }
  recheckStream(): void {}
  async stop(): Promise<void> {}
  ready(): void {
    this.listener.state({ connected: true, streamReady: true });
  }
  down(): void {
    this.listener.state({ connected: false, streamReady: false });
  }
  ackAll(): void {
    for (const event of this.sent) this.listener.acked(event.seq, false);
  }
  seqs(): number[] {
    return this.sent.map((e) => e.seq);
  }
}

/** The store's outbox, counting reads and able to hold the next read until released. */
class WatchedOutbox implements AuditOutbox {
  reads = 0;
  private gate: Promise<void> | undefined;
  private openGate: (() => void) | undefined;

  constructor(private readonly inner: Store['outbox']) {}

  append(records: readonly OutboxRecordInput[]) {
    return this.inner.append(records);
  }
  async read(after: number, limit: number) {
    this.reads++;
    const records = await this.inner.read(after, limit);
    await this.gate;
    return records;
  }
  ackUpTo(seq: number) {
    return this.inner.ackUpTo(seq);
  }
  depth() {
    return this.inner.depth();
  }
  isFull() {
    return this.inner.isFull();
  }
  holdReads(): void {
    this.gate = new Promise((resolve) => (this.openGate = resolve));
  }
  releaseReads(): void {
    this.openGate?.();
    this.gate = undefined;
  }
  /** Lets the reads held so far finish and holds the next ones. */
  passHeldReads(): void {
    const open = this.openGate;
    this.holdReads();
    open?.();
  }
}

const stream = { name: 'S', subjects: ['t.>'], replicas: 1, maxAgeMs: 0, maxBytes: -1, duplicateWindowMs: 120_000, storage: 'file' as const };
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function until(condition: () => boolean, what: string, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
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

function records(from: number, count: number): OutboxRecordInput[] {
  return Array.from({ length: count }, (_, i) => ({ id: `e${from + i}`, subject: 't.x', payload: Buffer.from(`{"n":${from + i}}`) }));
}

async function setup(options: { maxInFlight?: number; acknowledgedBefore?: number } = {}) {
  store = openMemoryStore();
  if (options.acknowledgedBefore !== undefined) {
    // A restart: earlier events were published and acknowledged, the outbox is empty.
    await store.outbox.append(records(1, options.acknowledgedBefore));
    await store.outbox.ackUpTo(options.acknowledgedBefore);
  }
  const outbox = new WatchedOutbox(store.outbox);
  const transport = new ScriptedTransport();
  publisher = new OutboxPublisher({
    outbox,
    servers: 'unused',
    stream,
    transport,
    handOff: true,
    // Long enough that no poll or resend happens during a test unless it waits for one.
    pollIntervalMs: 60_000,
    ackTimeoutMs: 60_000,
    cursorSaveIntervalMs: 0,
    ...(options.maxInFlight === undefined ? {} : { maxInFlight: options.maxInFlight }),
  });
  publisher.start();
  /** What the recorder does: append, then offer the records under the sequence numbers given. */
  const record = async (batch: OutboxRecordInput[]): Promise<void> => {
    const seqs = await outbox.append(batch);
    publisher!.offer(batch, seqs);
  };
  return { outbox, transport, publisher, record };
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('publisher hand-off', () => {
  it('sends offered records from memory once it has caught up, without reading them back', async () => {
    const { outbox, transport, publisher, record } = await setup();
    await record(records(1, 5)); // before the transport is ready: waits in the outbox
    expect(transport.sent).toHaveLength(0);
    transport.ready();
    await until(() => transport.sent.length === 5, 'the backlog to be read and sent');
    const readsAfterCatchUp = outbox.reads;
    for (let n = 6; n <= 500; n += 10) await record(records(n, 10));
    expect(transport.seqs()).toEqual(range(1, 505));
    expect(transport.sent.map((e) => e.id)).toEqual(range(1, 505).map((n) => `e${n}`));
    // Acknowledgements move the cursor without sending anyone back to the outbox.
    transport.ackAll();
    await until(() => publisher.stats.depth === 0, 'the outbox to empty');
    expect(outbox.reads).toBe(readsAfterCatchUp);
  });

  it('leaves records it cannot take now in the outbox and reads them in their turn', async () => {
    const { outbox, transport, publisher, record } = await setup({ maxInFlight: 20 });
    transport.ready();
    await until(() => outbox.reads > 0 && publisher.stats.connected, 'the first read');
    for (let n = 1; n <= 100; n += 10) await record(records(n, 10));
    // Only a window's worth went out; the rest waits durably.
    expect(transport.seqs()).toEqual(range(1, 20));
    while (transport.sent.length < 100) {
      const before = transport.sent.length;
      transport.ackAll();
      await until(() => transport.sent.length > before, 'the next window');
    }
    expect(transport.seqs()).toEqual(range(1, 100));
    transport.ackAll();
    await until(() => publisher.stats.depth === 0, 'the outbox to empty');
    // Caught up again: new records are offered and taken directly.
    const reads = outbox.reads;
    await record(records(101, 5));
    expect(transport.seqs()).toEqual(range(1, 105));
    expect(outbox.reads).toBe(reads);
  });

  it('neither repeats nor skips records offered while a read of the same records is under way', async () => {
    const { outbox, transport, publisher, record } = await setup();
    transport.ready();
    await until(() => outbox.reads > 0, 'the first read');
    await sleep(5);
    await record(records(1, 10));
    expect(transport.seqs()).toEqual(range(1, 10));
    // Records 11-20 are durable but not yet offered when a read starts (a poll) and sees them;
    // the read is held while they are offered, and more after them.
    const batch = records(11, 10);
    const seqs = await outbox.append(batch);
    outbox.holdReads();
    const reads = outbox.reads;
    publisher.wake();
    await until(() => outbox.reads > reads, 'the read to start');
    publisher.offer(batch, seqs);
    await record(records(21, 10));
    expect(transport.seqs()).toEqual(range(1, 30));
    outbox.releaseReads();
    await sleep(20);
    expect(transport.seqs()).toEqual(range(1, 30));
    transport.ackAll();
    await until(() => publisher.stats.depth === 0, 'the outbox to empty');
  });

  it('takes offers directly after a restart over an outbox whose events were all acknowledged', async () => {
    const { outbox, transport, publisher, record } = await setup({ acknowledgedBefore: 40 });
    transport.ready();
    await until(() => outbox.reads > 0, 'the first read');
    await sleep(5);
    const reads = outbox.reads;
    await record(records(41, 10));
    await record(records(51, 10));
    expect(transport.seqs()).toEqual(range(41, 60));
    expect(outbox.reads).toBe(reads);
    transport.ackAll();
    await until(() => publisher.stats.depth === 0, 'the outbox to empty');
  });

  it('skips nothing refused while a read of the backlog after a restart was under way', async () => {
    const { outbox, transport, publisher, record } = await setup({ acknowledgedBefore: 40 });
    await record(records(41, 10)); // before the transport is ready: waits in the outbox
    outbox.holdReads();
    transport.ready();
    await until(() => outbox.reads === 1, 'the read of the backlog');
    // Refused: not the next sequence the publisher knows of (its cursor starts at 0).
    await record(records(51, 5));
    outbox.passHeldReads();
    await until(() => outbox.reads === 2, 'the read for the refused records');
    // The read after the backlog has seen 51-55; these arrive while it is still under way.
    await record(records(56, 5));
    outbox.releaseReads();
    await until(() => transport.sent.length >= 20, 'every record to be sent');
    await sleep(20);
    expect(transport.seqs()).toEqual(range(41, 60));
    transport.ackAll();
    await until(() => publisher.stats.depth === 0, 'the outbox to empty');
    expect(publisher.stats.published).toBe(20);
  });

  it('sends what was offered while NATS was away once it is back, once each', async () => {
    const { transport, publisher, record } = await setup();
    transport.ready();
    await record(records(1, 10));
    transport.down();
    await record(records(11, 10));
    await record(records(21, 10));
    expect(transport.seqs()).toEqual(range(1, 10));
    transport.ready();
    // Back: the unacknowledged first ten go again under the same ids, the rest for the first time.
    await until(() => new Set(transport.seqs()).size === 30, 'the rest to be read and sent');
    await sleep(20);
    const seqs = transport.seqs();
    expect(seqs.slice(10)).toEqual(range(1, 30));
    transport.ackAll();
    await until(() => publisher.stats.depth === 0, 'the outbox to empty');
    expect(publisher.stats.published).toBe(30);
  });
});
