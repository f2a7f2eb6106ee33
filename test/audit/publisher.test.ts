import { jetstreamManager } from '@nats-io/jetstream';
import { describe, expect, it } from 'vitest';
import { ProxyEvents } from '../../src/broker/events.js';
import { OutboxPublisher, type OutboxPublisherOptions } from '../../src/audit/publisher.js';
import { AuditRecorder } from '../../src/audit/recorder.js';
import { openMemoryStore, type Store } from '../../src/store/index.js';
import { useNatsServer } from '../helpers/nats-server.js';
import {
  auditStreamOptions,
  billingEvent,
  bindFrame,
  dlrEvent,
  MESSAGE_TEXT,
  pduEvent,
  receiptFrame,
  submitSmFrame,
  submitSmRespFrame,
} from './fixtures.js';
import { countBy, readStream, streamMessageCount } from './stream-reader.js';

const nats = useNatsServer();


interface Pipeline {
  events: ProxyEvents;
  store: Store;
  recorder: AuditRecorder;
  publisher: OutboxPublisher;
  close(): Promise<void>;
}

function pipeline(name: string, prefix: string, extra: Partial<OutboxPublisherOptions> = {}): Pipeline {
  const events = new ProxyEvents();
  const store = openMemoryStore();
  const publisher = new OutboxPublisher({
    outbox: store.outbox,
    servers: nats.server.url,
    stream: auditStreamOptions(name, prefix),
    retryInitialMs: 50,
    retryMaxMs: 500,
    ...extra,
  });
  const recorder = new AuditRecorder({ events, outbox: store.outbox, subjectPrefix: prefix, instance: 'px-test' });
  recorder.start();
  publisher.start();
  return {
    events,
    store,
    recorder,
    publisher,
    async close() {
      await recorder.stop();
      await publisher.stop({ flushTimeoutMs: 0 });
      await store.close();
    },
  };
}

describe('OutboxPublisher against a real nats-server', () => {
  it('publishes each event on its subject with the documented schema and Nats-Msg-Id', async () => {
    const p = pipeline('AUDIT_SCHEMA', 'smpp');
    try {
      p.events.emit('pdu', pduEvent({ frame: submitSmFrame(7), peer: 'acme' }));
      p.events.emit(
        'pdu',
        pduEvent({
          frame: submitSmFrame(31),
          side: 'carrier',
          peer: 'cheap.uk carrier',
          direction: 'out',
          sessionId: 'carrier-3',
          proxyId: 'P1',
        }),
      );
      p.events.emit(
        'pdu',
        pduEvent({
          frame: submitSmRespFrame(31, 'abc123'),
          side: 'carrier',
          peer: 'cheap.uk carrier',
          direction: 'in',
          command: 'submit_sm_resp',
          sessionId: 'carrier-3',
          proxyId: 'P1',
          carrierMessageId: 'abc123',
        }),
      );
      p.events.emit(
        'pdu',
        pduEvent({
          frame: receiptFrame(9, 'abc123'),
          side: 'carrier',
          peer: 'cheap.uk carrier',
          direction: 'in',
          command: 'deliver_sm',
          sessionId: 'carrier-3',
        }),
      );
      p.events.emit('pdu', pduEvent({ frame: bindFrame(1, 'acme', 's3cret'), command: 'bind_transceiver' }));
      p.events.emit('billing', billingEvent(1));
      p.events.emit('dlr', dlrEvent(1));
      p.events.emit('bind', {
        side: 'esme',
        peer: 'acme',
        sessionId: 'esme-1',
        bindType: 'transceiver',
        remote: '127.0.0.1:40000',
        up: true,
        at: Date.now(),
      });
      await p.recorder.flush();
      expect(await p.publisher.waitDrained(10_000)).toBe(true);

      const stored = await readStream(nats.nc, 'AUDIT_SCHEMA');
      expect(stored.map((s) => s.subject)).toEqual([
        'smpp.pdu.esme.acme.in.submit_sm',
        'smpp.pdu.carrier.cheap%2Euk%20carrier.out.submit_sm',
        'smpp.pdu.carrier.cheap%2Euk%20carrier.in.submit_sm_resp',
        'smpp.pdu.carrier.cheap%2Euk%20carrier.in.deliver_sm',
        'smpp.pdu.esme.acme.in.bind_transceiver',
        'smpp.billing.acme',
        'smpp.dlr.acme',
        'smpp.bind.esme.acme',
      ]);
      for (const s of stored) {
        expect(s.msgId).toBe(s.json.id);
        expect(s.json.v).toBe(1);
        expect(s.json.instance).toBe('px-test');
        expect(typeof s.json.ts).toBe('string');
      }
      expect(new Set(stored.map((s) => s.msgId)).size).toBe(stored.length);

      const [submit, carrierSubmit, resp, receipt, bind, billing, dlr] = stored.map((s) => s.json);
      expect(submit).toMatchObject({
        type: 'pdu',
        session: 'esme-1',
        side: 'esme',
        peer: 'acme',
        dir: 'in',
        command: 'submit_sm',
        command_id: 4,
        status: 0,
        status_name: 'ESME_ROK',
        seq: 7,
        fields: {
          source_addr: 'ACME',
          source_addr_ton: 5,
          destination_addr: '447700900123',
          dest_addr_ton: 1,
          dest_addr_npi: 1,
          esm_class: 0,
          data_coding: 0,
          registered_delivery: 1,
          sm_length: MESSAGE_TEXT.length,
        },
      });
      expect(Buffer.from(submit!.raw as string, 'base64')).toEqual(submitSmFrame(7));
      // The message text is only inside the raw PDU, never in decoded fields.
      expect(JSON.stringify(submit!.fields)).not.toContain('verification');
      expect(carrierSubmit).toMatchObject({ peer: 'cheap.uk carrier', proxy_id: 'P1', dir: 'out' });
      expect(resp).toMatchObject({ fields: { message_id: 'abc123' }, carrier_message_id: 'abc123' });
      expect(receipt).toMatchObject({
        fields: {
          esm_class: 4,
          receipted_message_id: 'abc123',
          message_state: 2,
          receipt: { id: 'abc123', stat: 'DELIVRD', err: '000', dlvrd: '001', sub: '001' },
        },
      });
      expect(JSON.stringify(receipt!.fields)).not.toContain('Secret');
      expect(bind).toMatchObject({ redacted: ['password'], fields: { system_id: 'acme' } });
      expect(Buffer.from(bind!.raw as string, 'base64').includes(Buffer.from('s3cret'))).toBe(false);
      expect(billing).toMatchObject({
        type: 'billing',
        proxy_id: 'P1',
        account: 'acme',
        carrier: 'cheap-uk',
        route: 'uk',
        cost: 0.0123,
        parts: 1,
        sender_original: 'ACME',
        sender_sent: 'ACME',
        carrier_message_id: 'C1',
        accepted_at: '2026-11-22T10:00:01.001Z',
      });
      expect(dlr).toMatchObject({ type: 'dlr', proxy_id: 'P1', stat: 'DELIVRD', err: '000', message_state: 2 });
      expect(p.publisher.stats).toMatchObject({ connected: true, streamReady: true, depth: 0, inFlight: 0, published: 8 });
    } finally {
      await p.close();
    }
  });

  it('stores exactly N events for N appended, per subject, with no duplicate ids', async () => {
    const p = pipeline('AUDIT_COUNT', 'cnt', { maxInFlight: 512, readBatch: 128 });
    const n = 6_000;
    try {
      // Emitted in bursts across event-loop turns, like a busy proxy.
      for (let i = 0; i < n; i += 500) {
        for (let j = i; j < i + 500; j++) {
          const peer = ['acme', 'beta', 'gamma'][j % 3]!;
          p.events.emit('pdu', pduEvent({ frame: submitSmFrame((j % 0x7fffffff) + 1), peer }));
        }
        await new Promise((resolve) => setImmediate(resolve));
      }
      await p.recorder.flush();
      expect(await p.publisher.waitDrained(20_000)).toBe(true);
      expect(await streamMessageCount(nats.nc, 'AUDIT_COUNT')).toBe(n);
      const stored = await readStream(nats.nc, 'AUDIT_COUNT');
      expect(stored).toHaveLength(n);
      expect(new Set(stored.map((s) => s.msgId)).size).toBe(n);
      expect(Object.fromEntries(countBy(stored, (s) => s.subject))).toEqual({
        'cnt.pdu.esme.acme.in.submit_sm': 2_000,
        'cnt.pdu.esme.beta.in.submit_sm': 2_000,
        'cnt.pdu.esme.gamma.in.submit_sm': 2_000,
      });
      // Published in outbox order: sequence numbers in the stream follow emit order.
      expect(stored.map((s) => s.json.seq)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
      expect(p.store.outbox.depth()).toBe(0);
      expect(p.publisher.stats.published).toBe(n);
    } finally {
      await p.close();
    }
  });

  it('recreates a deleted stream and goes on publishing without losing events', async () => {
    const p = pipeline('AUDIT_DELETED', 'del');
    try {
      for (let i = 1; i <= 50; i++) p.events.emit('billing', billingEvent(i));
      await p.recorder.flush();
      expect(await p.publisher.waitDrained(10_000)).toBe(true);
      const jsm = await jetstreamManager(nats.nc);
      await jsm.streams.delete('AUDIT_DELETED');
      for (let i = 51; i <= 100; i++) p.events.emit('billing', billingEvent(i));
      await p.recorder.flush();
      expect(await p.publisher.waitDrained(15_000)).toBe(true);
      const stored = await readStream(nats.nc, 'AUDIT_DELETED');
      // The first 50 went with the deleted stream; every later event is in the new one.
      expect(stored.map((s) => s.json.proxy_id)).toEqual(Array.from({ length: 50 }, (_, i) => `P${i + 51}`));
      expect(p.publisher.stats.lastError).toMatch(/JetStream/);
    } finally {
      await p.close();
    }
  });

  it('keeps events in the outbox and reports why while NATS is unreachable from the start', async () => {
    const events = new ProxyEvents();
    const store = openMemoryStore();
    const publisher = new OutboxPublisher({
      outbox: store.outbox,
      servers: 'nats://127.0.0.1:1',
      stream: auditStreamOptions('AUDIT_NEVER', 'never'),
      retryInitialMs: 20,
      retryMaxMs: 50,
    });
    const recorder = new AuditRecorder({ events, outbox: store.outbox, subjectPrefix: 'never' });
    recorder.start();
    publisher.start();
    try {
      for (let i = 1; i <= 20; i++) events.emit('billing', billingEvent(i));
      await recorder.flush();
      const deadline = Date.now() + 10_000;
      while (publisher.stats.lastError === undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(publisher.stats).toMatchObject({ connected: false, depth: 20, published: 0 });
      expect(publisher.stats.lastError).toMatch(/connect/);
      // Nothing has moved since the start: the lag grows with the wall clock.
      await new Promise((r) => setTimeout(r, 30));
      expect(publisher.stats.lagMs).toBeGreaterThanOrEqual(20);
      expect(await publisher.waitDrained(100)).toBe(false);
    } finally {
      await recorder.stop();
      await publisher.stop({ flushTimeoutMs: 0 });
      await store.close();
    }
  });
});
