import type { Database } from 'lmdb';
import { writeFailed } from '../errors.js';
import { deliveryView } from '../delivery-view.js';
import type { Lifecycle } from '../lifecycle.js';
import type { ResolvedStoreOptions } from '../options.js';
import { sweepLimit } from '../options.js';
import {
  EXPIRED_REASON,
  type DeadLetter,
  type DeadLetterQuery,
  type DeliveryItem,
  type DeliveryQueue,
  type QueuedDelivery,
  type QueueSweepResult,
} from '../types.js';
import * as validate from '../validate.js';
import { PendingOverlay } from './pending-overlay.js';
import type { LmdbWrite, WriteTracker } from './write-tracker.js';

/** The item as stored; account and id live in the key. */
export interface StoredItem extends DeliveryItem {
  attempts: number;
  notBefore: number;
}

export type ItemKey = [account: string, seq: number];
export type OrderKey = [account: string, notBefore: number, seq: number];
export type ItemExpiryKey = [expiresAt: number, account: string, seq: number];
export type DeadKey = [droppedAt: number, seq: number];

export interface QueueDatabases {
  /** (account, seq) -> item. */
  items: Database<StoredItem, ItemKey>;
  /** (account, notBefore, seq) -> 1: the delivery order peek walks. */
  order: Database<number, OrderKey>;
  /** (expiresAt, account, seq) -> 1: the order the sweep walks. */
  expiry: Database<number, ItemExpiryKey>;
  /** (droppedAt, seq) -> dead letter, oldest first for retention. */
  dead: Database<DeadLetter, DeadKey>;
  /** Holds the sequence high-water mark so ids are never reused after a restart. */
  meta: Database<unknown, string>;
}

export const QUEUE_SEQ_KEY = 'queue.lastSeq';
/**
 * Queue ids are reserved on disk this many at a time: the high-water mark is written when an
 * enqueue passes the reserved range, not with every item. After a restart numbering continues
 * above the reservation, so ids are still never reused (some are skipped instead).
 */
export const QUEUE_SEQ_BLOCK = 1_024;

function pendingKey(account: string, seq: number): string {
  return `${account.length}:${account}${seq}`;
}

export class LmdbDeliveryQueue implements DeliveryQueue {
  private readonly pending = new PendingOverlay<StoredItem>();
  private readonly counts = new Map<string, number>();
  private lastSeq: number;
  /** Highest id a durable (or pending) write of QUEUE_SEQ_KEY covers. */
  private reservedSeq: number;

  constructor(
    private readonly lifecycle: Lifecycle,
    private readonly options: ResolvedStoreOptions,
    private readonly dbs: QueueDatabases,
    private readonly tracker: WriteTracker,
  ) {
    // One pass over the keys at open; afterwards the counts follow every committed write.
    let highest = 0;
    for (const [account, seq] of dbs.items.getKeys()) {
      this.counts.set(account, (this.counts.get(account) ?? 0) + 1);
      highest = Math.max(highest, seq);
    }
    const saved = dbs.meta.get(QUEUE_SEQ_KEY);
    this.lastSeq = Math.max(highest, typeof saved === 'number' ? saved : 0);
    this.reservedSeq = this.lastSeq;
  }

  async enqueue(account: string, item: DeliveryItem): Promise<string> {
    this.lifecycle.assertOpen();
    validate.keyPart('account', account);
    const checked = validate.deliveryItem(item);
    const seq = ++this.lastSeq;
    const stored: StoredItem = {
      kind: checked.kind,
      pdu: checked.pdu,
      createdAt: checked.createdAt,
      expiresAt: checked.expiresAt,
      attempts: 0,
      notBefore: 0,
    };
    if (checked.proxyId !== undefined) stored.proxyId = checked.proxyId;
    const writes: LmdbWrite[] = [];
    try {
      const write = this.dbs.items.put([account, seq], stored);
      writes.push(write);
      this.pending.record(pendingKey(account, seq), stored, write);
      write.then(() => this.adjust(account, 1), () => {});
      writes.push(this.dbs.order.put([account, 0, seq], 1));
      writes.push(this.dbs.expiry.put([stored.expiresAt, account, seq], 1));
      if (seq > this.reservedSeq) this.reserve(seq, writes);
    } catch (cause) {
      this.tracker.background(writes);
      throw writeFailed('enqueue', cause);
    }
    await this.tracker.durable(writes, 'enqueue');
    return String(seq);
  }

  async peek(account: string, limit: number): Promise<QueuedDelivery[]> {
    this.lifecycle.assertOpen();
    validate.keyPart('account', account);
    const max = validate.batchLimit('limit', limit);
    // The order index is read from committed data; waiting makes it reflect every earlier call.
    await this.tracker.committed();
    this.lifecycle.assertOpen();
    const now = this.options.clock.now();
    const due: QueuedDelivery[] = [];
    for (const [, notBefore, seq] of this.dbs.order.getKeys({ start: [account], end: [account, now, Infinity] })) {
      if (due.length === max) break;
      const item = this.current(account, seq);
      // A write issued since the wait may have moved or removed the item.
      if (item === undefined || item.notBefore !== notBefore || item.expiresAt <= now) continue;
      due.push(deliveryView(String(seq), account, item));
    }
    return due;
  }

  async ack(account: string, id: string): Promise<boolean> {
    this.lifecycle.assertOpen();
    validate.keyPart('account', account);
    const seq = validate.queueSeq(id);
    const item = this.current(account, seq);
    if (item === undefined) return false;
    const writes: LmdbWrite[] = [];
    try {
      this.removeItem(account, seq, item, writes);
    } catch (cause) {
      this.tracker.background(writes);
      throw writeFailed('ack', cause);
    }
    await this.tracker.durable(writes, 'ack');
    return true;
  }

  async defer(account: string, id: string, notBefore: number, attempts: number): Promise<boolean> {
    this.lifecycle.assertOpen();
    const seq = validate.deferArguments(account, id, notBefore, attempts);
    const item = this.current(account, seq);
    if (item === undefined) return false;
    const next: StoredItem = { ...item, notBefore, attempts };
    const writes: LmdbWrite[] = [];
    try {
      const write = this.dbs.items.put([account, seq], next);
      writes.push(write);
      this.pending.record(pendingKey(account, seq), next, write);
      if (notBefore !== item.notBefore) {
        writes.push(this.dbs.order.remove([account, item.notBefore, seq]));
        writes.push(this.dbs.order.put([account, notBefore, seq], 1));
      }
    } catch (cause) {
      this.tracker.background(writes);
      throw writeFailed('defer', cause);
    }
    await this.tracker.durable(writes, 'defer');
    return true;
  }

  async drop(account: string, id: string, reason: string): Promise<DeadLetter | undefined> {
    this.lifecycle.assertOpen();
    const seq = validate.dropArguments(account, id, reason);
    const item = this.current(account, seq);
    if (item === undefined) return undefined;
    const writes: LmdbWrite[] = [];
    let letter: DeadLetter;
    try {
      this.removeItem(account, seq, item, writes);
      letter = this.bury(account, seq, item, reason, writes);
    } catch (cause) {
      this.tracker.background(writes);
      throw writeFailed('drop', cause);
    }
    await this.tracker.durable(writes, 'drop');
    return letter;
  }

  async nextDueAt(account: string): Promise<number | undefined> {
    this.lifecycle.assertOpen();
    validate.keyPart('account', account);
    await this.tracker.committed();
    this.lifecycle.assertOpen();
    const now = this.options.clock.now();
    for (const [, notBefore, seq] of this.dbs.order.getKeys({ start: [account], end: [account, Infinity] })) {
      const item = this.current(account, seq);
      if (item !== undefined && item.notBefore === notBefore && item.expiresAt > now) return notBefore;
    }
    return undefined;
  }

  depth(account: string): number {
    return this.counts.get(account) ?? 0;
  }

  depths(): ReadonlyMap<string, number> {
    return new Map(this.counts);
  }

  async deadLetters(query: DeadLetterQuery = {}): Promise<DeadLetter[]> {
    this.lifecycle.assertOpen();
    const account = query.account === undefined ? undefined : validate.keyPart('account', query.account);
    const max = validate.batchLimit('limit', query.limit ?? 100);
    await this.tracker.committed();
    this.lifecycle.assertOpen();
    const letters: DeadLetter[] = [];
    for (const { value } of this.dbs.dead.getRange()) {
      if (letters.length === max) break;
      if (account === undefined || value.account === account) letters.push(value);
    }
    return letters;
  }

  async sweepExpired(limit?: number): Promise<QueueSweepResult> {
    this.lifecycle.assertOpen();
    const max = sweepLimit(limit);
    await this.tracker.committed();
    this.lifecycle.assertOpen();
    const now = this.options.clock.now();
    let more = false;
    const dueItems: ItemExpiryKey[] = [];
    for (const key of this.dbs.expiry.getKeys({ limit: max + 1 })) {
      if (key[0] > now) break;
      if (dueItems.length === max) {
        more = true;
        break;
      }
      dueItems.push(key);
    }
    const retentionEnd = now - this.options.deadLetterTtlMs;
    const dueLetters: DeadKey[] = [];
    for (const key of this.dbs.dead.getKeys({ limit: max + 1 })) {
      if (key[0] > retentionEnd) break;
      if (dueLetters.length === max) {
        more = true;
        break;
      }
      dueLetters.push(key);
    }
    const expiredByAccount = new Map<string, number>();
    let expired = 0;
    const writes: LmdbWrite[] = [];
    try {
      for (const [expiresAt, account, seq] of dueItems) {
        const item = this.current(account, seq);
        if (item === undefined || item.expiresAt !== expiresAt) {
          writes.push(this.dbs.expiry.remove([expiresAt, account, seq]));
          continue;
        }
        this.removeItem(account, seq, item, writes);
        this.bury(account, seq, item, EXPIRED_REASON, writes);
        expired++;
        expiredByAccount.set(account, (expiredByAccount.get(account) ?? 0) + 1);
      }
      for (const key of dueLetters) writes.push(this.dbs.dead.remove(key));
    } catch (cause) {
      this.tracker.background(writes);
      throw writeFailed('sweepExpired', cause);
    }
    await this.tracker.durable(writes, 'sweepExpired');
    return { expired, expiredByAccount, deadLettersRemoved: dueLetters.length, more };
  }

  /**
   * Writes the high-water mark for the block starting at `seq`, in the enqueue's transaction or
   * an earlier one: transactions commit in order, so no item is durable before the reservation
   * that covers its id. A failed write makes the next enqueue reserve again.
   */
  private reserve(seq: number, writes: LmdbWrite[]): void {
    const mark = seq + QUEUE_SEQ_BLOCK - 1;
    const write = this.dbs.meta.put(QUEUE_SEQ_KEY, mark);
    writes.push(write);
    this.reservedSeq = mark;
    write.catch(() => {
      if (this.reservedSeq === mark) this.reservedSeq = 0;
    });
  }

  private current(account: string, seq: number): StoredItem | undefined {
    const pending = this.pending.lookup(pendingKey(account, seq));
    if (pending !== undefined) return pending ?? undefined;
    return this.dbs.items.get([account, seq]);
  }

  private removeItem(account: string, seq: number, item: StoredItem, writes: LmdbWrite[]): void {
    const write = this.dbs.items.remove([account, seq]);
    writes.push(write);
    this.pending.record(pendingKey(account, seq), null, write);
    write.then(() => this.adjust(account, -1), () => {});
    writes.push(this.dbs.order.remove([account, item.notBefore, seq]));
    writes.push(this.dbs.expiry.remove([item.expiresAt, account, seq]));
  }

  private bury(account: string, seq: number, item: StoredItem, reason: string, writes: LmdbWrite[]): DeadLetter {
    const letter: DeadLetter = { ...deliveryView(String(seq), account, item), reason, droppedAt: this.options.clock.now() };
    if (this.options.deadLetterTtlMs > 0) writes.push(this.dbs.dead.put([letter.droppedAt, seq], letter));
    return letter;
  }

  private adjust(account: string, delta: number): void {
    const next = (this.counts.get(account) ?? 0) + delta;
    if (next > 0) this.counts.set(account, next);
    else this.counts.delete(account);
  }
}
