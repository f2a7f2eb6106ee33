import { mkdir } from 'node:fs/promises';
import { open, type Database, type RootDatabase } from 'lmdb';
import { invalidArgument, StoreError, StoreErrorCodes } from '../errors.js';
import { Lifecycle } from '../lifecycle.js';
import { resolveStoreOptions } from '../options.js';
import type { DeadLetter, DurableStoreOptions, Store, SweepResult } from '../types.js';
import { LmdbMessageStore, type CarrierIndexKey, type MessageExpiryKey, type StoredMessage } from './messages.js';
import { LmdbOutbox, type StoredEvent } from './outbox.js';
import { claimDirectory } from './owner-lock.js';
import {
  LmdbDeliveryQueue,
  type DeadKey,
  type ItemExpiryKey,
  type ItemKey,
  type OrderKey,
  type StoredItem,
} from './queues.js';
import { WriteTracker } from './write-tracker.js';

/** Bumped whenever the layout of keys or values changes incompatibly. */
const SCHEMA_VERSION = 1;
const SCHEMA_KEY = 'schema.version';

function openFailed(message: string, cause?: unknown): StoreError {
  return new StoreError(StoreErrorCodes.OPEN_FAILED, message, { cause });
}

async function checkSchema(meta: Database<unknown, string>, isEmpty: boolean): Promise<void> {
  const version: unknown = meta.get(SCHEMA_KEY);
  if (version === SCHEMA_VERSION) return;
  if (version === undefined && isEmpty) {
    await meta.put(SCHEMA_KEY, SCHEMA_VERSION);
    return;
  }
  throw openFailed(`store schema version ${String(version)} is not the supported version ${SCHEMA_VERSION}`);
}

/**
 * Opens (creating when needed) the durable store in `options.path`, backed by LMDB: reads are
 * synchronous memory-mapped lookups, writes from one event-loop turn share one transaction
 * committed off the main thread, and each write's promise resolves once its transaction is
 * flushed to disk.
 */
export async function openStore(options: DurableStoreOptions): Promise<Store> {
  const resolved = resolveStoreOptions(options);
  const path = options.path;
  if (typeof path !== 'string' || path.length === 0) throw invalidArgument('path must be a non-empty string');
  try {
    await mkdir(path, { recursive: true });
  } catch (cause) {
    throw openFailed(`cannot create store directory ${path}`, cause);
  }
  const release = await claimDirectory(path);
  let root: RootDatabase | undefined;
  try {
    root = open({ path, maxDbs: 16, separateFlushed: true });
    const meta = root.openDB<unknown, string>('meta', {});
    const dbs = {
      meta,
      records: root.openDB<StoredMessage, string>('messages', {}),
      carrierIndex: root.openDB<string, CarrierIndexKey>('message-carrier-index', {}),
      messageExpiry: root.openDB<number, MessageExpiryKey>('message-expiry', {}),
      items: root.openDB<StoredItem, ItemKey>('queue-items', {}),
      order: root.openDB<number, OrderKey>('queue-order', {}),
      itemExpiry: root.openDB<number, ItemExpiryKey>('queue-expiry', {}),
      dead: root.openDB<DeadLetter, DeadKey>('queue-dead', {}),
      log: root.openDB<StoredEvent, number>('outbox', {}),
      batches: root.openDB<Buffer, number>('outbox-batches', { encoding: 'binary' }),
    };
    const isEmpty = [meta, dbs.records, dbs.items, dbs.log, dbs.batches].every((db) => db.getKeysCount({ limit: 1 }) === 0);
    await checkSchema(meta, isEmpty);

    const lifecycle = new Lifecycle();
    const tracker = new WriteTracker();
    const messages = new LmdbMessageStore(
      lifecycle,
      resolved,
      { records: dbs.records, carrierIndex: dbs.carrierIndex, expiry: dbs.messageExpiry },
      tracker,
    );
    const queues = new LmdbDeliveryQueue(
      lifecycle,
      resolved,
      { items: dbs.items, order: dbs.order, expiry: dbs.itemExpiry, dead: dbs.dead, meta },
      tracker,
    );
    const outbox = new LmdbOutbox(lifecycle, resolved, { batches: dbs.batches, log: dbs.log, meta }, tracker);
    const env = root;
    let closing: Promise<void> | undefined;

    return {
      messages,
      queues,
      outbox,
      sizeBytes(): number {
        if (lifecycle.closed) return 0;
        const stats = env.getStats() as { pageSize?: number; lastPageNumber?: number };
        return ((stats.lastPageNumber ?? 0) + 1) * (stats.pageSize ?? 4096);
      },
      async sweep(limit?: number): Promise<SweepResult> {
        return { messages: await messages.sweepExpired(limit), queues: await queues.sweepExpired(limit) };
      },
      close(): Promise<void> {
        closing ??= (async () => {
          lifecycle.close();
          outbox.stop();
          await tracker.flushed();
          await env.close();
          await release();
        })();
        return closing;
      },
    };
  } catch (cause) {
    await root?.close().catch(() => {});
    await release();
    if (cause instanceof StoreError) throw cause;
    throw openFailed(`cannot open store in ${path}: ${cause instanceof Error ? cause.message : String(cause)}`, cause);
  }
}
