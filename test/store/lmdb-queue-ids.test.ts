import { open, type RootDatabase } from 'lmdb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Lifecycle } from '../../src/store/lifecycle.js';
import {
  LmdbDeliveryQueue,
  QUEUE_SEQ_BLOCK,
  QUEUE_SEQ_KEY,
  type DeadKey,
  type ItemExpiryKey,
  type ItemKey,
  type OrderKey,
  type QueueDatabases,
  type StoredItem,
} from '../../src/store/lmdb/queues.js';
import { WriteTracker } from '../../src/store/lmdb/write-tracker.js';
import { resolveStoreOptions } from '../../src/store/options.js';
import type { DeadLetter } from '../../src/store/types.js';
import { item } from './contract.js';
import { TempDirs } from './helpers.js';

/**
 * Queue ids are reserved on disk a block at a time instead of writing the high-water mark with
 * every enqueue; a queue opened again over the same databases still never hands out an id it
 * handed out before, even when every item is gone.
 */
const dirs = new TempDirs();
let root: RootDatabase | undefined;

afterEach(async () => {
  await root?.close();
  root = undefined;
  dirs.removeAll();
});

function openDatabases(): QueueDatabases {
  root = open({ path: dirs.make('queue-ids'), maxDbs: 8, separateFlushed: true });
  return {
    items: root.openDB<StoredItem, ItemKey>('queue-items', {}),
    order: root.openDB<number, OrderKey>('queue-order', {}),
    expiry: root.openDB<number, ItemExpiryKey>('queue-expiry', {}),
    dead: root.openDB<DeadLetter, DeadKey>('queue-dead', {}),
    meta: root.openDB<unknown, string>('meta', {}),
  };
}

function queueOver(dbs: QueueDatabases): LmdbDeliveryQueue {
  return new LmdbDeliveryQueue(new Lifecycle(), resolveStoreOptions({}), dbs, new WriteTracker());
}

const metaWrites = (spy: { mock: { calls: unknown[][] } }): unknown[] => spy.mock.calls.filter(([key]) => key === QUEUE_SEQ_KEY).map(([, value]) => value);

describe('LMDB queue ids', () => {
  it('writes the high-water mark once per block of ids, not per enqueue', async () => {
    const dbs = openDatabases();
    const queue = queueOver(dbs);
    const put = vi.spyOn(dbs.meta, 'put');
    const ids = await Promise.all(Array.from({ length: QUEUE_SEQ_BLOCK + 1 }, (_, i) => queue.enqueue('acme', item(`i${i}`))));
    expect(ids.map(Number)).toEqual(Array.from({ length: QUEUE_SEQ_BLOCK + 1 }, (_, i) => i + 1));
    expect(metaWrites(put)).toEqual([QUEUE_SEQ_BLOCK, 2 * QUEUE_SEQ_BLOCK]);
  });

  it('never hands out an id again after a restart, even with every item gone', async () => {
    const dbs = openDatabases();
    const first = queueOver(dbs);
    const used: string[] = [];
    for (let i = 0; i < 5; i++) used.push(await first.enqueue('acme', item(`a${i}`)));
    for (const id of used) expect(await first.ack('acme', id)).toBe(true);
    expect(first.depth('acme')).toBe(0);

    const second = queueOver(dbs);
    const next = Number(await second.enqueue('acme', item('after')));
    expect(next).toBeGreaterThan(Math.max(...used.map(Number)));
    expect(next).toBe(QUEUE_SEQ_BLOCK + 1);

    // And once more, over a queue whose last enqueue reserved a new block.
    const third = queueOver(dbs);
    expect(Number(await third.enqueue('acme', item('later')))).toBeGreaterThan(next);
  });
});
