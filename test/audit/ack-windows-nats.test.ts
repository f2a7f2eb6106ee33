import { headers } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { ProxyEvents } from '../../src/broker/events.js';
import { NatsTransport } from '../../src/audit/nats-transport.js';
import { OutboxPublisher } from '../../src/audit/publisher.js';
import { AuditRecorder } from '../../src/audit/recorder.js';
import { openMemoryStore } from '../../src/store/index.js';
import { useNatsServer } from '../helpers/nats-server.js';
import { auditStreamOptions, billingEvent, pduEvent, submitSmFrame } from './fixtures.js';
import { readStream, streamMessageCount } from './stream-reader.js';

const nats = useNatsServer();

function pipeline(name: string, prefix: string) {
  const stream = auditStreamOptions(name, prefix);
  const events = new ProxyEvents();
  const store = openMemoryStore();
  const transport = new NatsTransport({ servers: nats.server.url, stream, ackWindowTrustAfter: 50, retryInitialMs: 50, retryMaxMs: 500 });
  const publisher = new OutboxPublisher({ outbox: store.outbox, servers: nats.server.url, stream, transport, handOff: true, ackTimeoutMs: 1_000 });
  const recorder = new AuditRecorder({ events, outbox: store.outbox, subjectPrefix: prefix, instance: 'px', onAppended: (r, s) => publisher.offer(r, s) });
  recorder.start();
  publisher.start();
  return {
    events,
    recorder,
    publisher,
    transport,
    async close() {
      await recorder.stop();
      await publisher.stop({ flushTimeoutMs: 0 });
      await store.close();
    },
  };
}

async function emitInTurns(events: ProxyEvents, turns: number, perTurn: number): Promise<void> {
  for (let t = 0; t < turns; t++) {
    for (let i = 0; i < perTurn; i++) {
      const n = t * perTurn + i;
      if (n % 2 === 0) events.emit('pdu', pduEvent({ frame: submitSmFrame(n + 1), peer: 'acme', sequence: n + 1 }));
      else events.emit('billing', billingEvent(n));
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('window acknowledgements against a real nats-server', () => {
  it('proves most events by window once the stream shows one writer, and stores every event once', async () => {
    const p = pipeline('AUDIT_WINDOWS', 'aw1');
    try {
      await emitInTurns(p.events, 200, 20);
      await p.recorder.flush();
      expect(await p.publisher.waitDrained(15_000)).toBe(true);
      const stored = await readStream(nats.nc, 'AUDIT_WINDOWS');
      expect(stored).toHaveLength(4_000);
      expect(new Set(stored.map((s) => s.msgId)).size).toBe(4_000);
      expect(p.publisher.stats.published).toBe(4_000);
      // After the first 50 per-event acknowledgements, windows carry the rest.
      expect(p.transport.windowCounts.stored).toBeGreaterThan(3_000);
      expect(p.transport.windowCounts.unproven).toBe(0);
    } finally {
      await p.close();
    }
  });

  it('falls back to an acknowledgement per event when another writer shares the stream, and still stores every event once', async () => {
    const p = pipeline('AUDIT_WINDOWS_SHARED', 'aw2');
    // The stream must exist before the other writer's first message, or it goes nowhere.
    for (let i = 0; i < 250 && !p.publisher.stats.streamReady; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    let foreign = 0;
    let writing = true;
    // Another instance writing the same stream, in bursts, all through the run.
    const other = (async () => {
      while (writing) {
        for (let i = 0; i < 20; i++) {
          const h = headers();
          h.set('Nats-Msg-Id', `other-${foreign}`);
          nats.nc.publish('aw2.pdu.esme.other.in.submit_sm', '{"v":1}', { headers: h });
          foreign++;
        }
        await nats.nc.flush();
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    })();
    try {
      await emitInTurns(p.events, 200, 20);
      await p.recorder.flush();
      expect(await p.publisher.waitDrained(20_000)).toBe(true);
      writing = false;
      await other;
      await nats.nc.flush();
      // The other writer asked for no acknowledgements: wait until the stream holds its last.
      for (let i = 0; i < 100 && (await streamMessageCount(nats.nc, 'AUDIT_WINDOWS_SHARED')) < 4_000 + foreign; i++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const stored = await readStream(nats.nc, 'AUDIT_WINDOWS_SHARED');
      const ours = stored.filter((s) => !s.subject.includes('.other.'));
      expect(ours).toHaveLength(4_000);
      expect(new Set(ours.map((s) => s.msgId)).size).toBe(4_000);
      expect(stored.length - ours.length).toBe(foreign);
    } finally {
      writing = false;
      await p.close();
    }
  });
});
