import type { Database } from 'lmdb';
import { writeFailed } from '../errors.js';
import type { Lifecycle } from '../lifecycle.js';
import type { ResolvedStoreOptions } from '../options.js';
import { sweepLimit } from '../options.js';
import type { MessagePatch, MessageRecord, MessageStore, MessageSweepResult, PutMessageOptions } from '../types.js';
import * as validate from '../validate.js';
import { PendingOverlay } from './pending-overlay.js';
import type { LmdbWrite, WriteTracker } from './write-tracker.js';

/** Short field names: this is written for every message, and msgpack stores the names. */
export interface StoredMessage {
  /** The record. */
  r: MessageRecord;
  /** Carrier keys it is indexed under. */
  k: string[];
  /** Expiry, epoch ms. */
  e: number;
}

export type CarrierIndexKey = [carrier: string, key: string];
export type MessageExpiryKey = [expiresAt: number, proxyId: string];

export interface MessageDatabases {
  /** proxyId -> record. */
  records: Database<StoredMessage, string>;
  /** (carrier, key) -> proxyId. */
  carrierIndex: Database<string, CarrierIndexKey>;
  /** (expiresAt, proxyId) -> 1, walked in order by the sweep. */
  expiry: Database<number, MessageExpiryKey>;
}

/** O(1) from the B-tree header, where a counted range scan would read every key. */
export function entryCount(db: { getStats(): object; getCount(): number }): number {
  const stats = db.getStats() as { entryCount?: unknown };
  return typeof stats.entryCount === 'number' ? stats.entryCount : db.getCount();
}

function indexKey(carrier: string, key: string): string {
  return `${carrier.length}:${carrier}${key}`;
}

export class LmdbMessageStore implements MessageStore {
  private readonly pendingRecords = new PendingOverlay<StoredMessage>();
  private readonly pendingIndex = new PendingOverlay<string>();

  constructor(
    private readonly lifecycle: Lifecycle,
    private readonly options: ResolvedStoreOptions,
    private readonly dbs: MessageDatabases,
    private readonly tracker: WriteTracker,
  ) {}

  async putMessage(record: MessageRecord, carrierKeys: readonly string[], options?: PutMessageOptions): Promise<void> {
    this.lifecycle.assertOpen();
    const next: StoredMessage = {
      r: validate.messageRecord(record),
      k: validate.carrierKeys(carrierKeys),
      e: this.options.clock.now() + this.options.idMapTtlMs,
    };
    const { proxyId, carrier } = next.r;
    // A fresh id has nothing to replace: skip the read (a B-tree miss) that would find no record.
    const previous = options?.fresh === true ? undefined : this.current(proxyId);
    const writes: LmdbWrite[] = [];
    try {
      const write = this.dbs.records.put(proxyId, next);
      writes.push(write);
      this.pendingRecords.record(proxyId, next, write);
      if (previous !== undefined) this.unindex(previous, previous.r.carrier === carrier ? new Set(next.k) : new Set(), writes);
      for (const key of next.k) {
        const indexWrite = this.dbs.carrierIndex.put([carrier, key], proxyId);
        writes.push(indexWrite);
        this.pendingIndex.record(indexKey(carrier, key), proxyId, indexWrite);
      }
      writes.push(this.dbs.expiry.put([next.e, proxyId], 1));
    } catch (cause) {
      this.tracker.background(writes);
      throw writeFailed('putMessage', cause);
    }
    await this.tracker.durable(writes, 'putMessage');
  }

  async getByProxyId(proxyId: string): Promise<MessageRecord | undefined> {
    this.lifecycle.assertOpen();
    return this.liveRecord(validate.keyPart('proxyId', proxyId));
  }

  async getByCarrierKey(carrier: string, key: string): Promise<MessageRecord | undefined> {
    this.lifecycle.assertOpen();
    validate.keyPart('carrier', carrier);
    validate.keyPart('carrier key', key);
    const proxyId = this.indexed(carrier, key);
    return proxyId === undefined ? undefined : this.liveRecord(proxyId);
  }

  async updateMessage(proxyId: string, patch: MessagePatch): Promise<MessageRecord | undefined> {
    this.lifecycle.assertOpen();
    validate.keyPart('proxyId', proxyId);
    const checked = validate.messagePatch(patch);
    const stored = this.current(proxyId);
    if (stored === undefined || stored.e <= this.options.clock.now()) return undefined;
    const next: StoredMessage = { ...stored, r: validate.applyPatch(stored.r, checked) };
    let write: LmdbWrite;
    try {
      write = this.dbs.records.put(proxyId, next);
    } catch (cause) {
      throw writeFailed('updateMessage', cause);
    }
    this.pendingRecords.record(proxyId, next, write);
    await this.tracker.durable([write], 'updateMessage');
    return validate.copyRecord(next.r);
  }

  async sweepExpired(limit?: number): Promise<MessageSweepResult> {
    this.lifecycle.assertOpen();
    const max = sweepLimit(limit);
    // The expiry index is read from committed data; waiting makes it reflect every earlier call.
    await this.tracker.committed();
    this.lifecycle.assertOpen();
    const now = this.options.clock.now();
    const due: MessageExpiryKey[] = [];
    let more = false;
    for (const key of this.dbs.expiry.getKeys({ limit: max + 1 })) {
      if (key[0] > now) break;
      if (due.length === max) {
        more = true;
        break;
      }
      due.push(key);
    }
    const writes: LmdbWrite[] = [];
    let removed = 0;
    try {
      for (const [expiresAt, proxyId] of due) {
        const stored = this.current(proxyId);
        // A record stored again later has a newer expiry; only this index entry is stale then.
        if (stored !== undefined && stored.e === expiresAt) {
          const write = this.dbs.records.remove(proxyId);
          writes.push(write);
          this.pendingRecords.record(proxyId, null, write);
          this.unindex(stored, new Set(), writes);
          removed++;
        }
        writes.push(this.dbs.expiry.remove([expiresAt, proxyId]));
      }
    } catch (cause) {
      this.tracker.background(writes);
      throw writeFailed('sweepExpired', cause);
    }
    await this.tracker.durable(writes, 'sweepExpired');
    return { removed, more };
  }

  /** From the B-tree header: committed records, O(1). */
  count(): number {
    return entryCount(this.dbs.records);
  }

  /** The newest version of the record, written or pending, expired or not. */
  private current(proxyId: string): StoredMessage | undefined {
    const pending = this.pendingRecords.lookup(proxyId);
    if (pending !== undefined) return pending ?? undefined;
    return this.dbs.records.get(proxyId);
  }

  private liveRecord(proxyId: string): MessageRecord | undefined {
    const pending = this.pendingRecords.lookup(proxyId);
    const stored = pending !== undefined ? (pending ?? undefined) : this.dbs.records.get(proxyId);
    if (stored === undefined || stored.e <= this.options.clock.now()) return undefined;
    // A pending value is shared with the overlay, so the caller gets a copy. A value read from the
    // database is decoded afresh on every read and is the caller's already: copying it again
    // would only cost the receipt path an allocation per record.
    return pending !== undefined ? validate.copyRecord(stored.r) : stored.r;
  }

  private indexed(carrier: string, key: string): string | undefined {
    const pending = this.pendingIndex.lookup(indexKey(carrier, key));
    if (pending !== undefined) return pending ?? undefined;
    return this.dbs.carrierIndex.get([carrier, key]);
  }

  /** Removes the record's index entries not in `keep`, unless a newer record took the key over. */
  private unindex(stored: StoredMessage, keep: ReadonlySet<string>, writes: LmdbWrite[]): void {
    const { carrier, proxyId } = stored.r;
    for (const key of stored.k) {
      if (keep.has(key) || this.indexed(carrier, key) !== proxyId) continue;
      const write = this.dbs.carrierIndex.remove([carrier, key]);
      writes.push(write);
      this.pendingIndex.record(indexKey(carrier, key), null, write);
    }
  }
}
