import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { open } from 'lmdb';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore, StoreErrorCodes, type DurableStoreOptions, type Store } from '../../src/store/index.js';
import { item, record } from './contract.js';
import { ManualClock, TempDirs } from './helpers.js';

const HOUR = 3_600_000;
const START = Date.UTC(2026, 10, 1);
const dirs = new TempDirs();
afterAll(() => dirs.removeAll());

/** Opens, runs `body`, and always closes, so a failed assertion cannot leave the directory claimed. */
async function withStore<T>(options: DurableStoreOptions, body: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(options);
  try {
    return await body(store);
  } finally {
    await store.close();
  }
}

describe('LMDB store across restarts', () => {
  it('keeps records, queued items, dead letters and the outbox, and continues their numbering', async () => {
    const path = dirs.make('restart');
    const clock = new ManualClock(START);
    const options = { path, clock, idMapTtlMs: 24 * HOUR };

    const before = await withStore(options, async (store) => {
      await store.messages.putMessage(record('P1', { cost: 0.0095 }), ['abc', '2748']);
      await store.messages.updateMessage('P1', { final: { status: 'DELIVRD', at: START + 1 } });
      const kept = await store.queues.enqueue('acme', item('kept', { proxyId: 'P1' }));
      const deferred = await store.queues.enqueue('acme', item('deferred', { kind: 'mo' }));
      await store.queues.defer('acme', deferred, START + 60_000, 3);
      const dropped = await store.queues.enqueue('acme', item('dropped'));
      await store.queues.drop('acme', dropped, 'ESME_RX_P_APPN');
      const acked = await store.queues.enqueue('other', item('acked'));
      await store.queues.ack('other', acked);
      await store.outbox.append([1, 2, 3, 4, 5].map((n) => ({ id: `e${n}`, subject: 's', payload: `p${n}` })));
      await store.outbox.append([{ id: 'e6', subject: 's', payload: Buffer.from([6]) }]);
      await store.outbox.ackUpTo(2);
      return { kept, deferred, acked, bytes: store.outbox.bytes() };
    });

    await withStore(options, async (store) => {
      const expected = record('P1', { cost: 0.0095, final: { status: 'DELIVRD', at: START + 1 } });
      expect(await store.messages.getByProxyId('P1')).toEqual(expected);
      expect(await store.messages.getByCarrierKey('alpha', '2748')).toEqual(expected);
      expect(store.messages.count()).toBe(1);

      expect(store.queues.depths()).toEqual(new Map([['acme', 2]]));
      expect((await store.queues.peek('acme', 10)).map((entry) => entry.pdu.toString())).toEqual(['deliver_sm kept']);
      expect(await store.queues.nextDueAt('acme')).toBe(0);
      clock.advance(60_000);
      const due = await store.queues.peek('acme', 10);
      expect(due.map((entry) => [entry.id, entry.kind, entry.attempts])).toEqual([
        [before.kept, 'dlr', 0],
        [before.deferred, 'mo', 3],
      ]);
      expect((await store.queues.deadLetters()).map((entry) => [entry.pdu.toString(), entry.reason])).toEqual([
        ['deliver_sm dropped', 'ESME_RX_P_APPN'],
      ]);
      // Ids are never reused, even those of items already gone before the restart.
      const next = await store.queues.enqueue('other', item('new'));
      expect(Number(next)).toBeGreaterThan(Number(before.acked));

      expect([store.outbox.ackedSeq(), store.outbox.lastSeq(), store.outbox.depth()]).toEqual([2, 6, 4]);
      expect(store.outbox.bytes()).toBe(before.bytes);
      const entries = await store.outbox.read(0, 10);
      expect(entries.map((entry) => entry.seq)).toEqual([3, 4, 5, 6]);
      expect(entries[3]?.payload).toEqual(Buffer.from([6]));
      await store.outbox.ackUpTo(6);
    });

    // Everything acknowledged: the numbering still continues where it was.
    await withStore(options, async (store) => {
      expect([store.outbox.depth(), store.outbox.bytes()]).toEqual([0, 0]);
      expect(await store.outbox.read(0, 10)).toEqual([]);
      expect(await store.outbox.append([{ id: 'e7', subject: 's', payload: 'p7' }])).toEqual([7]);
    });
  });

  it('expires records by the time they were stored, not by the time of the restart', async () => {
    const path = dirs.make('ttl-restart');
    const clock = new ManualClock(START);
    const options = { path, clock, idMapTtlMs: HOUR };
    await withStore(options, (store) => store.messages.putMessage(record('P1'), ['k1']));
    clock.advance(HOUR);
    await withStore(options, async (store) => {
      expect(await store.messages.getByProxyId('P1')).toBeUndefined();
      expect(await store.messages.sweepExpired()).toEqual({ removed: 1, more: false });
    });
    await withStore(options, async (store) => {
      expect(store.messages.count()).toBe(0);
      expect(await store.messages.sweepExpired()).toEqual({ removed: 0, more: false });
    });
  });

  it('deletes a large acknowledged backlog in the background, finishing after a restart if cut short', async () => {
    const path = dirs.make('ack-backlog');
    const batches = 1_200;
    const perBatch = 10;
    const total = batches * perBatch;
    await withStore({ path }, async (store) => {
      // One stored batch per append: more batches than one deletion slice removes.
      const appends: Promise<number[]>[] = [];
      for (let b = 0; b < batches; b++) {
        appends.push(store.outbox.append(Array.from({ length: perBatch }, (_, i) => ({ id: `e${b}-${i}`, subject: 's', payload: 'x' }))));
      }
      await Promise.all(appends);
      // Closing in the same turn as the ack stops the deletion before its first slice; the cursor
      // itself is durable all the same, so nothing acknowledged may come back.
      const acked = store.outbox.ackUpTo(total);
      expect(store.outbox.depth()).toBe(0);
      await store.close();
      await acked;
    });
    const leftover = open({ path });
    try {
      expect(leftover.openDB('outbox-batches', { encoding: 'binary' }).getKeysCount()).toBe(batches);
    } finally {
      await leftover.close();
    }
    await withStore({ path }, async (store) => {
      expect([store.outbox.ackedSeq(), store.outbox.depth()]).toEqual([total, 0]);
      expect(await store.outbox.read(0, 10)).toEqual([]);
      // Deletion runs one slice per event-loop turn; these turns are more than it needs.
      for (let turn = 0; turn < 50; turn++) await new Promise((resolve) => setImmediate(resolve));
    });
    const raw = open({ path });
    try {
      expect(raw.openDB('outbox-batches', { encoding: 'binary' }).getKeysCount()).toBe(0);
    } finally {
      await raw.close();
    }
  });

  it('keeps a batch acknowledged in part until the rest of it is, and reads only what is after the cursor', async () => {
    const path = dirs.make('partial-ack');
    await withStore({ path }, async (store) => {
      await store.outbox.append([1, 2, 3, 4].map((n) => ({ id: `e${n}`, subject: 's', payload: `p${n}` })));
      await store.outbox.ackUpTo(2);
      expect((await store.outbox.read(0, 10)).map((e) => e.id)).toEqual(['e3', 'e4']);
      expect((await store.outbox.read(3, 10)).map((e) => e.id)).toEqual(['e4']);
    });
    await withStore({ path }, async (store) => {
      expect([store.outbox.ackedSeq(), store.outbox.depth()]).toEqual([2, 2]);
      expect((await store.outbox.read(0, 1)).map((e) => [e.seq, e.id])).toEqual([[3, 'e3']]);
      await store.outbox.ackUpTo(4);
      expect(await store.outbox.read(0, 10)).toEqual([]);
    });
  });

  it('moves an outbox written one entry per event (earlier versions) into batches, keeping sequence numbers and payload types', async () => {
    const path = dirs.make('earlier-layout');
    // A store from before batching: opened once so its schema marker exists, then given
    // per-event entries the way earlier versions wrote them.
    await withStore({ path }, async (store) => {
      await store.outbox.append([{ id: 'warm-up', subject: 's', payload: 'w' }]);
      await store.outbox.ackUpTo(1);
    });
    const raw = open({ path });
    try {
      const log = raw.openDB<{ i: string; s: string; p: Buffer | string }, number>('outbox', {});
      await log.put(2, { i: 'old-2', s: 'smpp.a', p: 'two' });
      await log.put(3, { i: 'old-3', s: 'smpp.b', p: Buffer.from([3, 3]) });
      await log.put(5, { i: 'old-5', s: 'smpp.c', p: 'five' });
    } finally {
      await raw.close();
    }
    await withStore({ path }, async (store) => {
      const entries = await store.outbox.read(0, 10);
      expect(entries.map((e) => [e.seq, e.id, e.subject])).toEqual([
        [2, 'old-2', 'smpp.a'],
        [3, 'old-3', 'smpp.b'],
        [5, 'old-5', 'smpp.c'],
      ]);
      expect(entries[0]!.payload).toBe('two');
      expect(Buffer.isBuffer(entries[1]!.payload) && [...entries[1]!.payload]).toEqual([3, 3]);
      expect([store.outbox.depth(), store.outbox.lastSeq()]).toEqual([3, 5]);
      expect(await store.outbox.append([{ id: 'new', subject: 's', payload: 'n' }])).toEqual([6]);
    });
    const after = open({ path });
    try {
      expect(after.openDB('outbox', {}).getKeysCount()).toBe(0);
    } finally {
      await after.close();
    }
  });
});

describe('LMDB store directory ownership', () => {
  it('refuses a second open of a directory in use and allows it after close', async () => {
    const path = dirs.make('owner');
    const first = await openStore({ path });
    await expect(openStore({ path })).rejects.toEqual(
      expect.objectContaining({ code: StoreErrorCodes.OPEN_FAILED, message: expect.stringContaining('already open') }),
    );
    await first.close();
    await (await openStore({ path })).close();
  });

  it('takes over a directory left behind by a process that no longer runs', async () => {
    const path = dirs.make('stale-owner');
    await (await openStore({ path })).close();
    // Far above any pid_max, so no process can have it.
    writeFileSync(join(path, 'owner.pid'), '2147483646\n');
    await (await openStore({ path })).close();
  });

  it('refuses a store written with another schema version', async () => {
    const path = dirs.make('schema');
    const raw = open({ path, maxDbs: 16 });
    await raw.openDB('meta', {}).put('schema.version', 99);
    await raw.close();
    await expect(openStore({ path })).rejects.toEqual(
      expect.objectContaining({ code: StoreErrorCodes.OPEN_FAILED, message: expect.stringContaining('schema') }),
    );
    // The failed open released the directory: the second attempt fails for the same reason.
    await expect(openStore({ path })).rejects.toEqual(
      expect.objectContaining({ code: StoreErrorCodes.OPEN_FAILED, message: expect.stringContaining('schema') }),
    );
  });

  it('reports a path it cannot use as a typed error', async () => {
    const file = join(dirs.make('not-a-dir'), 'file');
    writeFileSync(file, 'x');
    await expect(openStore({ path: file })).rejects.toEqual(
      expect.objectContaining({ code: StoreErrorCodes.OPEN_FAILED }),
    );
    await expect(openStore({ path: '' })).rejects.toEqual(
      expect.objectContaining({ code: StoreErrorCodes.INVALID_ARGUMENT }),
    );
  });
});
