import { open, type RootDatabase } from 'lmdb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Lifecycle } from '../../src/store/lifecycle.js';
import { LmdbMessageStore, type CarrierIndexKey, type MessageDatabases, type MessageExpiryKey, type StoredMessage } from '../../src/store/lmdb/messages.js';
import { WriteTracker } from '../../src/store/lmdb/write-tracker.js';
import { resolveStoreOptions } from '../../src/store/options.js';
import { record } from './contract.js';
import { TempDirs } from './helpers.js';

/**
 * putMessage for a freshly generated proxy id (the submit path) skips the read of a previous
 * record, which for a fresh id always misses; the overwrite path still reads it to drop its old
 * index entries.
 */
const dirs = new TempDirs();
let root: RootDatabase | undefined;

afterEach(async () => {
  await root?.close();
  root = undefined;
  dirs.removeAll();
});

function openMessages(): { messages: LmdbMessageStore; dbs: MessageDatabases } {
  root = open({ path: dirs.make('fresh-put'), maxDbs: 4, separateFlushed: true });
  const dbs: MessageDatabases = {
    records: root.openDB<StoredMessage, string>('messages', {}),
    carrierIndex: root.openDB<string, CarrierIndexKey>('message-carrier-index', {}),
    expiry: root.openDB<number, MessageExpiryKey>('message-expiry', {}),
  };
  const messages = new LmdbMessageStore(new Lifecycle(), resolveStoreOptions({}), dbs, new WriteTracker());
  return { messages, dbs };
}

describe('LMDB putMessage', () => {
  it('does not read a previous record for a fresh id', async () => {
    const { messages, dbs } = openMessages();
    const read = vi.spyOn(dbs.records, 'get');
    await messages.putMessage(record('P1'), ['k1'], { fresh: true });
    expect(read).not.toHaveBeenCalled();
    expect((await messages.getByCarrierKey('alpha', 'k1'))?.proxyId).toBe('P1');
  });

  it('reads the previous record when storing an id again, and drops its old keys', async () => {
    const { messages, dbs } = openMessages();
    await messages.putMessage(record('P1', { carrierMessageId: 'old' }), ['old'], { fresh: true });
    const read = vi.spyOn(dbs.records, 'get');
    await messages.putMessage(record('P1', { carrierMessageId: 'new' }), ['new']);
    expect(read).toHaveBeenCalledWith('P1');
    expect(await messages.getByCarrierKey('alpha', 'old')).toBeUndefined();
    expect((await messages.getByCarrierKey('alpha', 'new'))?.carrierMessageId).toBe('new');
  });
});
