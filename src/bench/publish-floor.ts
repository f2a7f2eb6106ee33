import { jetstreamManager } from '@nats-io/jetstream';
import { connect, headers as natsHeaders } from '@nats-io/transport-node';

/**
 * The least CPU a JetStream publisher can spend per event when every event is its own JetStream
 * message with a Nats-Msg-Id header, as the audit trail's contract asks: ready-made payloads of
 * the audit events' average size published in the same way the audit publisher does it (plain
 * publishes, no per-event acknowledgement, one acknowledged publish at the end), with nothing
 * else in the process: no capture, no outbox, no JSON. What the proxy's audit work costs can only
 * be above this, so it is the floor to hold against the CPU the benchmark target leaves.
 */
export interface PublishFloor {
  events: number;
  eventsPerMessage: number;
  /** This process's CPU per event (user + system, microseconds). */
  clientMicrosPerEvent: number;
  /** nats-server's CPU per event, when the caller can read it. */
  serverMicrosPerEvent: number | undefined;
  /** Messages the stream holds afterwards: every message plus the closing acknowledged one. */
  stored: number;
}

export interface PublishFloorOptions {
  url: string;
  payloadBytes: number;
  /** Default 50,000. */
  events?: number;
  /** Distinct subjects cycled through, like the PDU subjects of one message. Default 10. */
  subjects?: number;
  /**
   * Events carried per JetStream message. Default 1, the audit contract; more measures what
   * packing several events into one message would save (payloads are that many events long).
   */
  eventsPerMessage?: number;
  /** nats-server's CPU time so far, to price its side too. */
  serverCpuMicros?: () => number | undefined;
}

const STREAM = 'BENCH_PUBLISH_FLOOR';
const PER_FLUSH = 500;

export async function measurePublishFloor(o: PublishFloorOptions): Promise<PublishFloor> {
  const perMessage = Math.max(1, Math.floor(o.eventsPerMessage ?? 1));
  const events = o.events ?? 50_000;
  const messages = Math.ceil(events / perMessage);
  const subjects = Array.from({ length: o.subjects ?? 10 }, (_, i) => `floor.pdu.${i}`);
  const payload = Buffer.alloc(Math.max(1, Math.round(o.payloadBytes)) * perMessage, 0x61);
  const nc = await connect({ servers: o.url });
  try {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: STREAM, subjects: ['floor.>'] });
    // Warm the JIT and the connection, then start from an empty stream.
    await publishAll(nc, subjects, payload, 2_000, 'warm');
    await jsm.streams.purge(STREAM);
    const server0 = o.serverCpuMicros?.();
    const cpu0 = process.cpuUsage();
    await publishAll(nc, subjects, payload, messages, 'floor');
    await jsm.jetstream().publish('floor.end', 'end');
    const cpu = process.cpuUsage(cpu0);
    const server1 = o.serverCpuMicros?.();
    const stored = (await jsm.streams.info(STREAM)).state.messages;
    await jsm.streams.delete(STREAM);
    return {
      events: messages * perMessage,
      eventsPerMessage: perMessage,
      clientMicrosPerEvent: (cpu.user + cpu.system) / (messages * perMessage),
      serverMicrosPerEvent: server0 !== undefined && server1 !== undefined ? (server1 - server0) / (messages * perMessage) : undefined,
      stored,
    };
  } finally {
    await nc.close();
  }
}

async function publishAll(nc: Awaited<ReturnType<typeof connect>>, subjects: string[], payload: Uint8Array, messages: number, idPrefix: string): Promise<void> {
  for (let i = 0; i < messages; ) {
    const end = Math.min(messages, i + PER_FLUSH);
    for (; i < end; i++) {
      const h = natsHeaders();
      h.set('Nats-Msg-Id', `${idPrefix}-${i}`);
      nc.publish(subjects[i % subjects.length]!, payload, { headers: h });
    }
    // Let the socket drain, as the publisher's coalescing does, instead of queueing everything.
    await nc.flush();
  }
}

/** Average payload size of up to `samples` messages spread evenly over a stream; undefined when it is empty. */
export async function averagePayloadBytes(url: string, stream: string, samples = 200): Promise<number | undefined> {
  const nc = await connect({ servers: url });
  try {
    const jsm = await jetstreamManager(nc);
    const { first_seq: first, last_seq: last, messages } = (await jsm.streams.info(stream)).state;
    if (messages === 0) return undefined;
    const step = Math.max(1, Math.floor((last - first + 1) / samples));
    let bytes = 0;
    let count = 0;
    for (let seq = first; seq <= last && count < samples; seq += step) {
      const message = await jsm.streams.getMessage(stream, { seq }).catch(() => null);
      if (message === null) continue;
      bytes += message.data.length;
      count++;
    }
    return count === 0 ? undefined : bytes / count;
  } finally {
    await nc.close();
  }
}
