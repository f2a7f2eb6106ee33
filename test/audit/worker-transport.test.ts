import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ProxyEvents } from '../../src/broker/events.js';
import { OutboxPublisher } from '../../src/audit/publisher.js';
import { AuditRecorder } from '../../src/audit/recorder.js';
import { pduRecord } from '../../src/audit/schema.js';
import { WorkerTransport } from '../../src/audit/worker-transport.js';
import { openMemoryStore } from '../../src/store/index.js';
import { useNatsServer } from '../helpers/nats-server.js';
import { auditStreamOptions, billingEvent, dlrEvent, pduEvent, receiptFrame, submitSmFrame, submitSmRespFrame } from './fixtures.js';
import { countBy, readStream } from './stream-reader.js';

const nats = useNatsServer();

function pipeline(name: string, prefix: string, script?: URL) {
  const events = new ProxyEvents();
  const store = openMemoryStore();
  const stream = auditStreamOptions(name, prefix);
  const transport = new WorkerTransport(
    { servers: nats.server.url, stream, retryInitialMs: 50, retryMaxMs: 500 },
    { restartDelayMs: 50, ...(script ? { script } : {}) },
  );
  const publisher = new OutboxPublisher({ outbox: store.outbox, servers: nats.server.url, stream, transport, handOff: true, ackTimeoutMs: 1_000 });
  const recorder = new AuditRecorder({
    events,
    outbox: store.outbox,
    instance: 'px-worker',
    subjectPrefix: prefix,
    onAppended: (records, seqs) => publisher.offer(records, seqs),
  });
  recorder.start();
  publisher.start();
  return {
    events,
    recorder,
    publisher,
    async close() {
      await recorder.stop();
      await publisher.stop({ flushTimeoutMs: 0 });
      await store.close();
    },
  };
}

function emitMessages(events: ProxyEvents, from: number, count: number): void {
  for (let i = from; i < from + count; i++) {
    events.emit('pdu', pduEvent({ frame: submitSmFrame(i), peer: 'acme', sequence: i }));
    events.emit('pdu', pduEvent({ frame: submitSmRespFrame(i, `C${i}`), side: 'carrier', peer: 'alpha', command: 'submit_sm_resp', proxyId: `P${i}` }));
    events.emit('pdu', pduEvent({ frame: receiptFrame(i, `C${i}`), side: 'carrier', peer: 'alpha', command: 'deliver_sm' }));
    events.emit('billing', billingEvent(i));
    events.emit('dlr', dlrEvent(i));
  }
}

describe('WorkerTransport: the NATS client on its own thread', () => {
  it('publishes every event once, with the same documents an in-thread transport builds', async () => {
    const p = pipeline('AUDIT_WORKER', 'w1');
    try {
      const ev = pduEvent({ frame: submitSmFrame(1), peer: 'acme' });
      p.events.emit('pdu', ev);
      emitMessages(p.events, 2, 400);
      await p.recorder.flush();
      expect(await p.publisher.waitDrained(15_000)).toBe(true);
      const stored = await readStream(nats.nc, 'AUDIT_WORKER');
      expect(stored).toHaveLength(1 + 400 * 5);
      expect(new Set(stored.map((s) => s.msgId)).size).toBe(stored.length);
      const first = stored[0]!;
      const expected = pduRecord(ev, { prefix: 'w1', instance: 'px-worker', nextId: () => first.msgId! });
      expect(first.subject).toBe(expected.subject);
      expect(first.json).toEqual(JSON.parse(expected.payload.toString()));
      expect(countBy(stored, (s) => s.subject.split('.')[1]!)).toEqual(new Map([['pdu', 1201], ['billing', 400], ['dlr', 400]]));
      expect(p.publisher.stats.published).toBe(stored.length);
    } finally {
      await p.close();
    }
  });

  it('survives its thread dying: a new one starts and every event is stored exactly once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'audit-worker-crash-'));
    process.env.AUDIT_WORKER_CRASH_MARKER = join(dir, 'crashed');
    const p = pipeline('AUDIT_WORKER_CRASH', 'w2', new URL('./fixtures/crash-once-publish-worker.mjs', import.meta.url));
    try {
      emitMessages(p.events, 1, 200);
      await p.recorder.flush();
      expect(await p.publisher.waitDrained(20_000)).toBe(true);
      const stored = await readStream(nats.nc, 'AUDIT_WORKER_CRASH');
      expect(stored).toHaveLength(200 * 5);
      expect(new Set(stored.map((s) => s.msgId)).size).toBe(stored.length);
      // The thread did die with a batch in hand, and that batch went out again.
      expect(existsSync(process.env.AUDIT_WORKER_CRASH_MARKER!)).toBe(true);
      expect(p.publisher.stats.resent).toBeGreaterThan(0);
    } finally {
      delete process.env.AUDIT_WORKER_CRASH_MARKER;
      await p.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
