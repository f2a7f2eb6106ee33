import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';

export interface StoredEvent {
  subject: string;
  msgId: string | undefined;
  json: Record<string, unknown>;
  streamSeq: number;
}

/** Every message currently in the stream, in stream order, read with an ordered consumer. */
export async function readStream(nc: NatsConnection, stream: string, filter?: string): Promise<StoredEvent[]> {
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(stream);
  const expected = filter === undefined ? info.state.messages : undefined;
  const consumer = await jetstream(nc).consumers.get(stream, filter === undefined ? {} : { filter_subjects: filter });
  const out: StoredEvent[] = [];
  if (expected === 0) return out;
  const pendingAtStart = (await consumer.info()).num_pending;
  if (pendingAtStart === 0) return out;
  const messages = await consumer.consume({ max_messages: 1_000 });
  for await (const m of messages) {
    out.push({
      subject: m.subject,
      msgId: m.headers?.get('Nats-Msg-Id'),
      json: JSON.parse(m.string()) as Record<string, unknown>,
      streamSeq: m.seq,
    });
    if (m.info.pending === 0) break;
  }
  await messages.close();
  return out;
}

export async function streamMessageCount(nc: NatsConnection, stream: string): Promise<number> {
  const jsm = await jetstreamManager(nc);
  return (await jsm.streams.info(stream)).state.messages;
}

export function countBy<T>(items: readonly T[], key: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}
