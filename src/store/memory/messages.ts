import type { Lifecycle } from '../lifecycle.js';
import type { ResolvedStoreOptions } from '../options.js';
import { sweepLimit } from '../options.js';
import type { MessagePatch, MessageRecord, MessageStore, MessageSweepResult } from '../types.js';
import * as validate from '../validate.js';
import { SortedList } from './sorted-list.js';

interface StoredMessage {
  record: MessageRecord;
  keys: string[];
  expiresAt: number;
}

interface ExpiryEntry {
  expiresAt: number;
  proxyId: string;
}

function compareExpiry(a: ExpiryEntry, b: ExpiryEntry): number {
  return a.expiresAt - b.expiresAt || (a.proxyId < b.proxyId ? -1 : a.proxyId > b.proxyId ? 1 : 0);
}

/** Unambiguous for any pair of strings, unlike a separator that could occur in a carrier name. */
function indexKey(carrier: string, key: string): string {
  return `${carrier.length}:${carrier}${key}`;
}

export class MemoryMessageStore implements MessageStore {
  private readonly records = new Map<string, StoredMessage>();
  private readonly carrierIndex = new Map<string, string>();
  private readonly expiry = new SortedList<ExpiryEntry>(compareExpiry);

  constructor(
    private readonly lifecycle: Lifecycle,
    private readonly options: ResolvedStoreOptions,
  ) {}

  // PutMessageOptions.fresh is not needed here: looking for a previous record is one Map lookup.
  async putMessage(record: MessageRecord, carrierKeys: readonly string[]): Promise<void> {
    this.lifecycle.assertOpen();
    const stored: StoredMessage = {
      record: validate.messageRecord(record),
      keys: validate.carrierKeys(carrierKeys),
      expiresAt: this.options.clock.now() + this.options.idMapTtlMs,
    };
    const { proxyId, carrier } = stored.record;
    const previous = this.records.get(proxyId);
    if (previous !== undefined) {
      this.expiry.remove({ expiresAt: previous.expiresAt, proxyId });
      this.unindex(previous);
    }
    this.records.set(proxyId, stored);
    for (const key of stored.keys) this.carrierIndex.set(indexKey(carrier, key), proxyId);
    this.expiry.insert({ expiresAt: stored.expiresAt, proxyId });
  }

  async getByProxyId(proxyId: string): Promise<MessageRecord | undefined> {
    this.lifecycle.assertOpen();
    const stored = this.live(validate.keyPart('proxyId', proxyId));
    return stored === undefined ? undefined : validate.copyRecord(stored.record);
  }

  async getByCarrierKey(carrier: string, key: string): Promise<MessageRecord | undefined> {
    this.lifecycle.assertOpen();
    const proxyId = this.carrierIndex.get(
      indexKey(validate.keyPart('carrier', carrier), validate.keyPart('carrier key', key)),
    );
    const stored = proxyId === undefined ? undefined : this.live(proxyId);
    return stored === undefined ? undefined : validate.copyRecord(stored.record);
  }

  async updateMessage(proxyId: string, patch: MessagePatch): Promise<MessageRecord | undefined> {
    this.lifecycle.assertOpen();
    const stored = this.live(validate.keyPart('proxyId', proxyId));
    const checked = validate.messagePatch(patch);
    if (stored === undefined) return undefined;
    stored.record = validate.applyPatch(stored.record, checked);
    return validate.copyRecord(stored.record);
  }

  async sweepExpired(limit?: number): Promise<MessageSweepResult> {
    this.lifecycle.assertOpen();
    const max = sweepLimit(limit);
    const now = this.options.clock.now();
    let scanned = 0;
    for (const entry of this.expiry.values()) {
      if (entry.expiresAt > now || scanned === max) break;
      scanned++;
      const stored = this.records.get(entry.proxyId);
      if (stored !== undefined) {
        this.records.delete(entry.proxyId);
        this.unindex(stored);
      }
    }
    this.expiry.removeFirst(scanned);
    const next = this.expiry.first();
    return { removed: scanned, more: next !== undefined && next.expiresAt <= now };
  }

  count(): number {
    return this.records.size;
  }

  /** Rough footprint for sizeBytes(); the in-memory store has no file to measure. */
  estimateBytes(): number {
    return this.records.size * 320;
  }

  private live(proxyId: string): StoredMessage | undefined {
    const stored = this.records.get(proxyId);
    if (stored === undefined || stored.expiresAt <= this.options.clock.now()) return undefined;
    return stored;
  }

  /** Drops the record's index entries unless a newer record has taken the key over. */
  private unindex(stored: StoredMessage): void {
    for (const key of stored.keys) {
      const composite = indexKey(stored.record.carrier, key);
      if (this.carrierIndex.get(composite) === stored.record.proxyId) this.carrierIndex.delete(composite);
    }
  }
}
