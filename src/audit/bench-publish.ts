import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProxyEvents, type PduEvent } from '../broker/events.js';
import { encodePdu, makePdu } from '../smpp/index.js';
import { openMemoryStore, openStore, type Store } from '../store/index.js';
import { OutboxPublisher } from './publisher.js';
import { AuditRecorder } from './recorder.js';
import { DEFAULT_STREAM_NAME } from './stream.js';

export interface BenchPublishOptions {
  /** NATS with JetStream to publish to. */
  servers: string | string[];
  /** Synthetic PDU events to push through (default 100,000). */
  events?: number;
  /** Events emitted per event-loop turn, like a busy proxy (default 500). */
  perTick?: number;
  /** 'lmdb' (default) measures the real durable outbox; 'memory' isolates the publisher. */
  store?: 'lmdb' | 'memory';
  streamName?: string;
  subjectPrefix?: string;
  maxInFlight?: number;
  /** How long to wait for the backlog to drain after the last event (default 60 s). */
  drainTimeoutMs?: number;
  /** Hand durable records straight to the publisher, as the runtime does (default true); false reads every event back. */
  handOff?: boolean;
}

export interface BenchPublishResult {
  events: number;
  /** Events recorded per second while emitting (the cost the SMPP path sees). */
  recordRate: number;
  /** Events acknowledged by JetStream per second, first emit to last acknowledgement. */
  publishRate: number;
  emitMs: number;
  totalMs: number;
  /** Outbox depth when the run ended: 0 means everything reached the stream. */
  backlog: number;
  published: number;
  duplicates: number;
  resent: number;
}

/**
 * Pushes N synthetic submit_sm events through recorder -> outbox -> publisher -> JetStream and
 * reports the rates and the final backlog. Wire it into `npm run bench` next to the proxy's own
 * throughput run; the stream it publishes to is the one named in the options (created if
 * missing), so point it at a scratch server or stream.
 */
export async function benchPublish(options: BenchPublishOptions): Promise<BenchPublishResult> {
  const total = options.events ?? 100_000;
  const perTick = options.perTick ?? 500;
  const prefix = options.subjectPrefix ?? 'bench';
  const handOff = options.handOff ?? true;
  let dir: string | undefined;
  let store: Store;
  if ((options.store ?? 'lmdb') === 'lmdb') {
    dir = await mkdtemp(join(tmpdir(), 'smpp-proxy-bench-'));
    store = await openStore({ path: dir, outboxMaxEvents: Math.max(total * 2, 1_000_000) });
  } else {
    store = openMemoryStore({ outboxMaxEvents: Math.max(total * 2, 1_000_000) });
  }
  const events = new ProxyEvents();
  const publisher = new OutboxPublisher({
    outbox: store.outbox,
    servers: options.servers,
    stream: {
      name: options.streamName ?? `${DEFAULT_STREAM_NAME}_BENCH`,
      subjects: [`${prefix}.>`],
      replicas: 1,
      maxAgeMs: 0,
      maxBytes: -1,
      duplicateWindowMs: 120_000,
      storage: 'file',
    },
    ...(options.maxInFlight !== undefined ? { maxInFlight: options.maxInFlight } : {}),
    handOff,
  });
  // Wired as the runtime wires them: durable records go straight to the publisher.
  const recorder = new AuditRecorder({
    events,
    outbox: store.outbox,
    subjectPrefix: prefix,
    instance: 'bench',
    ...(handOff ? { onAppended: (records, seqs) => publisher.offer(records, seqs) } : {}),
  });
  try {
    recorder.start();
    publisher.start();
    const frames = syntheticFrames(256);
    const started = performance.now();
    for (let sent = 0; sent < total; ) {
      const n = Math.min(perTick, total - sent);
      for (let i = 0; i < n; i++, sent++) {
        const frame = frames[sent % frames.length]!;
        const event: PduEvent = {
          side: sent % 2 === 0 ? 'esme' : 'carrier',
          peer: sent % 2 === 0 ? 'acme' : 'carrier-a',
          sessionId: 's1',
          direction: sent % 2 === 0 ? 'in' : 'out',
          command: 'submit_sm',
          commandId: 0x00000004,
          status: 0,
          sequence: sent + 1,
          frame,
          at: Date.now(),
        };
        events.emit('pdu', event);
      }
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    await recorder.flush();
    const emitMs = performance.now() - started;
    await publisher.waitDrained(options.drainTimeoutMs ?? 60_000);
    const totalMs = performance.now() - started;
    const stats = publisher.stats;
    return {
      events: total,
      recordRate: Math.round(total / (emitMs / 1000)),
      publishRate: Math.round(stats.published / (totalMs / 1000)),
      emitMs: Math.round(emitMs),
      totalMs: Math.round(totalMs),
      backlog: store.outbox.depth(),
      published: stats.published,
      duplicates: stats.duplicates,
      resent: stats.resent,
    };
  } finally {
    await recorder.stop(1_000);
    await publisher.stop({ flushTimeoutMs: 0 });
    await store.close();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  }
}

/** Realistic submit_sm frames with varied destinations and 40-160 octet texts. */
function syntheticFrames(count: number): Buffer[] {
  const frames: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const text = Buffer.from('Your verification code is ' + String(100000 + i) + ' '.repeat(i % 120), 'latin1');
    frames.push(
      encodePdu(
        makePdu(
          'submit_sm',
          {
            service_type: '',
            source_addr_ton: 5,
            source_addr_npi: 0,
            source_addr: 'ACME',
            dest_addr_ton: 1,
            dest_addr_npi: 1,
            destination_addr: `4477009${String(i).padStart(5, '0')}`,
            esm_class: 0,
            protocol_id: 0,
            priority_flag: 0,
            schedule_delivery_time: '',
            validity_period: '',
            registered_delivery: 1,
            replace_if_present_flag: 0,
            data_coding: 0,
            sm_default_msg_id: 0,
            short_message: text,
          },
          { sequence: i + 1 },
        ),
      ),
    );
  }
  return frames;
}
