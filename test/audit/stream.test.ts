import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, nanos, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AuditStreamError,
  ensureStream,
  validateStreamOptions,
  type AuditStreamOptions,
} from '../../src/audit/stream.js';
import { startNatsServer, type NatsServerHandle } from '../helpers/nats-server.js';

let nats: NatsServerHandle;
let nc: NatsConnection;
let jsm: JetStreamManager;

beforeAll(async () => {
  nats = await startNatsServer();
  nc = await connect({ servers: nats.url });
  jsm = await jetstreamManager(nc);
});

afterAll(async () => {
  await nc?.close();
  await nats?.cleanup();
});

function options(overrides: Partial<AuditStreamOptions> = {}): AuditStreamOptions {
  return {
    name: 'AUDIT',
    subjects: ['smpp.>'],
    replicas: 1,
    maxAgeMs: 7 * 86_400_000,
    maxBytes: -1,
    duplicateWindowMs: 120_000,
    storage: 'file',
    ...overrides,
  };
}

describe('ensureStream', () => {
  it('creates the stream from config, then leaves it alone, then updates what changed', async () => {
    const created = await ensureStream(jsm, options());
    expect(created.action).toBe('created');
    expect(created.info.config).toMatchObject({
      name: 'AUDIT',
      subjects: ['smpp.>'],
      retention: 'limits',
      storage: 'file',
      num_replicas: 1,
      max_age: nanos(7 * 86_400_000),
      duplicate_window: nanos(120_000),
      discard: 'old',
    });
    expect((await ensureStream(jsm, options())).action).toBe('unchanged');

    const updated = await ensureStream(jsm, options({ duplicateWindowMs: 300_000, maxBytes: 1 << 30 }));
    expect(updated.action).toBe('updated');
    const info = await jsm.streams.info('AUDIT');
    expect(info.config).toMatchObject({
      duplicate_window: nanos(300_000),
      max_bytes: 1 << 30,
      max_age: nanos(7 * 86_400_000),
      storage: 'file',
      subjects: ['smpp.>'],
    });
  });

  it('refuses to touch a same-named stream whose storage differs', async () => {
    await jsm.streams.add({ name: 'MEMONLY', subjects: ['mem.>'], storage: 'memory' });
    await expect(ensureStream(jsm, options({ name: 'MEMONLY', subjects: ['mem.>'] }))).rejects.toMatchObject({
      name: 'AuditStreamError',
      code: 'STREAM_CONFLICT',
    });
    expect((await jsm.streams.info('MEMONLY')).config.storage).toBe('memory');
  });

  it('surfaces the server error when subjects overlap another stream', async () => {
    await expect(ensureStream(jsm, options({ name: 'OVERLAP', subjects: ['smpp.pdu.>'] }))).rejects.toThrow(/overlap/);
  });
});

describe('validateStreamOptions', () => {
  it('rejects settings that would break deduplication or naming', () => {
    expect(() => validateStreamOptions(options())).not.toThrow();
    for (const bad of [
      options({ name: 'a.b' }),
      options({ name: 'has space' }),
      options({ subjects: [] }),
      options({ replicas: 0 }),
      options({ replicas: 7 }),
      options({ duplicateWindowMs: 0 }),
      options({ maxAgeMs: -1 }),
      options({ maxAgeMs: 60_000, duplicateWindowMs: 120_000 }),
    ]) {
      expect(() => validateStreamOptions(bad)).toThrow(AuditStreamError);
    }
  });
});
