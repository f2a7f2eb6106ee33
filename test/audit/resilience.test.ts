import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ProxyEvents } from '../../src/broker/events.js';
import type { AuditOutbox } from '../../src/audit/outbox-port.js';
import { OutboxPublisher } from '../../src/audit/publisher.js';
import { AuditRecorder } from '../../src/audit/recorder.js';
import { openStore, type Store } from '../../src/store/index.js';
import { startNatsServer, type NatsServerHandle } from '../helpers/nats-server.js';
import { auditStreamOptions, billingEvent, pduEvent, submitSmFrame } from './fixtures.js';
import { countBy, readStream, streamMessageCount } from './stream-reader.js';

let nats: NatsServerHandle;
const dirs: string[] = [];

beforeAll(async () => {
  nats = await startNatsServer();
});

afterAll(async () => {
  await nats?.cleanup();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function storeDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'smpp-proxy-audit-store-'));
  dirs.push(dir);
  return dir;
}


const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls instead of sleeping a fixed time, so a loaded machine is slower but not flaky. */
async function eventually(condition: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(20);
  }
}

let reader: NatsConnection | undefined;
afterEach(async () => {
  await reader?.close();
  reader = undefined;
});

describe('audit trail through NATS outages and publisher restarts (lmdb outbox)', () => {
  it('loses and duplicates nothing when NATS is stopped for seconds mid-run while traffic goes on', async () => {
    const store = await openStore({ path: storeDir() });
    const events = new ProxyEvents();
    const publisher = new OutboxPublisher({
      outbox: store.outbox,
      servers: nats.url,
      stream: auditStreamOptions('AUDIT_OUTAGE', 'out'),
      ackTimeoutMs: 1_000,
      retryInitialMs: 50,
      retryMaxMs: 500,
      maxInFlight: 1_024,
    });
    const recorder = new AuditRecorder({ events, outbox: store.outbox, subjectPrefix: 'out', instance: 'px-a' });
    recorder.start();
    publisher.start();

    let emitted = 0;
    let emittedWhileDown = 0;
    let natsDown = false;
    let producing = true;
    // The SMPP side: keeps emitting at a steady pace whatever NATS does.
    const producer = (async () => {
      while (producing) {
        for (let i = 0; i < 50; i++) {
          emitted++;
          events.emit('billing', billingEvent(emitted));
          events.emit('pdu', pduEvent({ frame: submitSmFrame(emitted), peer: emitted % 2 === 0 ? 'acme' : 'beta' }));
          if (natsDown) emittedWhileDown++;
        }
        await sleep(10);
      }
    })();

    try {
      await eventually(() => publisher.stats.published > 0, 'the publisher has published');
      await nats.stop('SIGKILL');
      natsDown = true;
      const depthAtStop = store.outbox.depth();
      await sleep(3_000);
      // Traffic went on and piled up durably in the outbox, not in NATS client buffers.
      expect(emittedWhileDown).toBeGreaterThan(0);
      await recorder.flush();
      expect(store.outbox.depth()).toBeGreaterThan(depthAtStop);
      expect(publisher.stats.connected).toBe(false);
      expect(recorder.isFull()).toBe(false);
      await nats.start();
      natsDown = false;
      const publishedBefore = publisher.stats.published;
      await eventually(() => publisher.stats.published > publishedBefore, 'publishing resumed');
    } finally {
      producing = false;
      await producer;
    }
    await recorder.flush();
    expect(await publisher.waitDrained(20_000)).toBe(true);

    reader = await connect({ servers: nats.url });
    const stored = await readStream(reader, 'AUDIT_OUTAGE');
    const total = emitted * 2;
    expect(stored).toHaveLength(total);
    expect(new Set(stored.map((s) => s.msgId)).size).toBe(total);
    const billing = stored.filter((s) => s.json.type === 'billing').map((s) => s.json.proxy_id as string);
    expect(new Set(billing)).toEqual(new Set(Array.from({ length: emitted }, (_, i) => `P${i + 1}`)));
    expect(Object.fromEntries(countBy(stored, (s) => s.subject))).toEqual({
      'out.billing.acme': emitted,
      'out.pdu.esme.acme.in.submit_sm': Math.floor(emitted / 2),
      'out.pdu.esme.beta.in.submit_sm': Math.ceil(emitted / 2),
    });
    expect(store.outbox.depth()).toBe(0);

    await recorder.stop();
    await publisher.stop();
    await store.close();
  });

  it('resends what a frozen or killed NATS left unacknowledged, under the same ids, and stores each event once', async () => {
    const store = await openStore({ path: storeDir() });
    const events = new ProxyEvents();
    const publisher = new OutboxPublisher({
      outbox: store.outbox,
      servers: nats.url,
      stream: auditStreamOptions('AUDIT_FROZEN', 'frozen'),
      ackTimeoutMs: 300,
      retryInitialMs: 50,
      retryMaxMs: 300,
      maxInFlight: 500,
    });
    const recorder = new AuditRecorder({ events, outbox: store.outbox, subjectPrefix: 'frozen', instance: 'px-d' });
    recorder.start();
    publisher.start();
    let emitted = 0;
    const emit = async (count: number) => {
      for (let i = 0; i < count; i++) events.emit('billing', billingEvent(++emitted));
      await recorder.flush();
    };
    try {
      await emit(1_000);
      expect(await publisher.waitDrained(10_000)).toBe(true);

      // Frozen: publishes reach the socket, no acknowledgement comes back, timeouts resend them.
      nats.pause();
      await emit(1_000);
      await eventually(() => publisher.stats.inFlight === 500 && publisher.stats.resent > 0, 'the window is full and timeouts resent');
      nats.resume();
      expect(await publisher.waitDrained(15_000)).toBe(true);
      expect(publisher.stats.duplicates).toBeGreaterThan(0);

      // Frozen, then killed: whatever it had taken in but not acknowledged goes again after restart.
      nats.pause();
      await emit(1_000);
      await sleep(300);
      const resentBefore = publisher.stats.resent;
      await nats.stop('SIGKILL');
      await emit(500);
      await nats.start();
      expect(await publisher.waitDrained(20_000)).toBe(true);
      expect(publisher.stats.resent).toBeGreaterThan(resentBefore);

      reader = await connect({ servers: nats.url });
      const stored = await readStream(reader, 'AUDIT_FROZEN');
      expect(stored).toHaveLength(emitted);
      expect(new Set(stored.map((s) => s.msgId)).size).toBe(emitted);
      expect(new Set(stored.map((s) => s.json.proxy_id))).toEqual(new Set(Array.from({ length: emitted }, (_, i) => `P${i + 1}`)));
    } finally {
      if (!nats.running) await nats.start();
      await recorder.stop();
      await publisher.stop({ flushTimeoutMs: 0 });
      await store.close();
    }
  });

  it('loses nothing when the publisher dies mid-drain before saving its cursor, and a new one takes over', async () => {
    const dir = storeDir();
    const n = 5_000;
    let store: Store = await openStore({ path: dir });
    const events = new ProxyEvents();
    const recorder = new AuditRecorder({ events, outbox: store.outbox, subjectPrefix: 'kill', instance: 'px-b' });
    recorder.start();
    for (let i = 1; i <= n; i++) events.emit('billing', billingEvent(i));
    await recorder.flush();
    await recorder.stop();
    expect(store.outbox.depth()).toBe(n);

    // A crash between JetStream's acknowledgement and the cursor reaching disk: ackUpTo never lands.
    const real = store.outbox;
    const cursorNeverSaved: AuditOutbox = {
      append: (records) => real.append(records),
      read: (after, limit) => real.read(after, limit),
      ackUpTo: async () => undefined,
      depth: () => real.depth(),
      isFull: () => real.isFull(),
    };
    const first = new OutboxPublisher({
      outbox: cursorNeverSaved,
      servers: nats.url,
      stream: auditStreamOptions('AUDIT_KILL', 'kill'),
      maxInFlight: 256,
      readBatch: 64,
    });
    first.start();
    const deadline = Date.now() + 15_000;
    while (first.stats.published < n / 2 && Date.now() < deadline) await sleep(5);
    await first.stop({ flushTimeoutMs: 0 });
    const publishedByFirst = first.stats.published;
    expect(publishedByFirst).toBeGreaterThanOrEqual(n / 2);
    expect(publishedByFirst).toBeLessThan(n);
    await store.close();

    store = await openStore({ path: dir });
    // Nothing was acknowledged durably, so the whole log is still there.
    expect(store.outbox.depth()).toBe(n);
    const second = new OutboxPublisher({ outbox: store.outbox, servers: nats.url, stream: auditStreamOptions('AUDIT_KILL', 'kill') });
    second.start();
    expect(await second.waitDrained(20_000)).toBe(true);
    await second.stop();

    reader = await connect({ servers: nats.url });
    expect(await streamMessageCount(reader, 'AUDIT_KILL')).toBe(n);
    const stored = await readStream(reader, 'AUDIT_KILL');
    expect(new Set(stored.map((s) => s.json.proxy_id))).toEqual(new Set(Array.from({ length: n }, (_, i) => `P${i + 1}`)));
    // Everything the first publisher had stored came again and was dropped by the duplicate window.
    expect(second.stats.duplicates).toBeGreaterThanOrEqual(publishedByFirst);
    expect(second.stats.published).toBe(n);
    expect(store.outbox.depth()).toBe(0);
    await store.close();

    // The cursor is durable now: a third start finds nothing to send.
    store = await openStore({ path: dir });
    expect(store.outbox.depth()).toBe(0);
    await store.close();
  });

  it('resumes after the saved cursor when stopped normally mid-drain', async () => {
    const dir = storeDir();
    const n = 3_000;
    let store: Store = await openStore({ path: dir });
    const events = new ProxyEvents();
    const recorder = new AuditRecorder({ events, outbox: store.outbox, subjectPrefix: 'resume', instance: 'px-c' });
    recorder.start();
    for (let i = 1; i <= n; i++) events.emit('billing', billingEvent(i));
    await recorder.stop();

    const first = new OutboxPublisher({
      outbox: store.outbox,
      servers: nats.url,
      stream: auditStreamOptions('AUDIT_RESUME', 'resume'),
      maxInFlight: 128,
      readBatch: 32,
    });
    first.start();
    const deadline = Date.now() + 15_000;
    while (first.stats.published < n / 3 && Date.now() < deadline) await sleep(5);
    await first.stop({ flushTimeoutMs: 0 });
    await store.close();

    store = await openStore({ path: dir });
    const left = store.outbox.depth();
    expect(left).toBeLessThan(n);
    expect(left).toBeGreaterThan(0);
    const second = new OutboxPublisher({ outbox: store.outbox, servers: nats.url, stream: auditStreamOptions('AUDIT_RESUME', 'resume') });
    second.start();
    expect(await second.waitDrained(20_000)).toBe(true);
    await second.stop();
    // Only what was in flight (sent, acknowledged too late for the saved cursor) came twice.
    expect(second.stats.published).toBe(left);
    expect(second.stats.duplicates).toBeLessThanOrEqual(128);
    await store.close();

    reader = await connect({ servers: nats.url });
    expect(await streamMessageCount(reader, 'AUDIT_RESUME')).toBe(n);
  });
});
