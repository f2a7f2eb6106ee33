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
import { SortedList } from './sorted-list.js';

interface StoredItem extends QueuedDelivery {
  seq: number;
}

interface OrderEntry {
  notBefore: number;
  seq: number;
}

interface ExpiryEntry {
  expiresAt: number;
  seq: number;
}

interface DeadEntry {
  droppedAt: number;
  seq: number;
  letter: DeadLetter;
}

interface AccountQueue {
  items: Map<number, StoredItem>;
  order: SortedList<OrderEntry>;
}

const compareOrder = (a: OrderEntry, b: OrderEntry): number => a.notBefore - b.notBefore || a.seq - b.seq;
const compareExpiry = (a: ExpiryEntry, b: ExpiryEntry): number => a.expiresAt - b.expiresAt || a.seq - b.seq;
const compareDead = (a: DeadEntry, b: DeadEntry): number => a.droppedAt - b.droppedAt || a.seq - b.seq;

function copyDeadLetter(letter: DeadLetter): DeadLetter {
  return { ...letter, pdu: Buffer.from(letter.pdu) };
}

export class MemoryDeliveryQueue implements DeliveryQueue {
  private readonly accounts = new Map<string, AccountQueue>();
  /** Items of every account by expiry, with the account so the sweep can find them. */
  private readonly expiry = new SortedList<ExpiryEntry & { account: string }>(compareExpiry);
  private readonly dead = new SortedList<DeadEntry>(compareDead);
  private nextSeq = 1;
  private pduBytes = 0;

  constructor(
    private readonly lifecycle: Lifecycle,
    private readonly options: ResolvedStoreOptions,
  ) {}

  async enqueue(account: string, item: DeliveryItem): Promise<string> {
    this.lifecycle.assertOpen();
    validate.keyPart('account', account);
    const checked = validate.deliveryItem(item);
    const seq = this.nextSeq++;
    const stored: StoredItem = { ...checked, id: String(seq), account, seq, attempts: 0, notBefore: 0 };
    let queue = this.accounts.get(account);
    if (queue === undefined) {
      queue = { items: new Map(), order: new SortedList(compareOrder) };
      this.accounts.set(account, queue);
    }
    queue.items.set(seq, stored);
    queue.order.insert({ notBefore: 0, seq });
    this.expiry.insert({ expiresAt: stored.expiresAt, seq, account });
    this.pduBytes += stored.pdu.length;
    return stored.id;
  }

  async peek(account: string, limit: number): Promise<QueuedDelivery[]> {
    this.lifecycle.assertOpen();
    validate.keyPart('account', account);
    const max = validate.batchLimit('limit', limit);
    const queue = this.accounts.get(account);
    const due: QueuedDelivery[] = [];
    if (queue === undefined) return due;
    const now = this.options.clock.now();
    for (const entry of queue.order.values()) {
      if (entry.notBefore > now || due.length === max) break;
      const item = queue.items.get(entry.seq);
      if (item !== undefined && item.expiresAt > now) due.push(deliveryView(item.id, item.account, item));
    }
    return due;
  }

  async ack(account: string, id: string): Promise<boolean> {
    this.lifecycle.assertOpen();
    return this.take(validate.keyPart('account', account), validate.queueSeq(id)) !== undefined;
  }

  async defer(account: string, id: string, notBefore: number, attempts: number): Promise<boolean> {
    this.lifecycle.assertOpen();
    const seq = validate.deferArguments(account, id, notBefore, attempts);
    const queue = this.accounts.get(account);
    const item = queue?.items.get(seq);
    if (queue === undefined || item === undefined) return false;
    queue.order.remove({ notBefore: item.notBefore, seq });
    item.notBefore = notBefore;
    item.attempts = attempts;
    queue.order.insert({ notBefore, seq });
    return true;
  }

  async drop(account: string, id: string, reason: string): Promise<DeadLetter | undefined> {
    this.lifecycle.assertOpen();
    const seq = validate.dropArguments(account, id, reason);
    const item = this.take(account, seq);
    if (item === undefined) return undefined;
    return this.bury(item, reason);
  }

  async nextDueAt(account: string): Promise<number | undefined> {
    this.lifecycle.assertOpen();
    const queue = this.accounts.get(validate.keyPart('account', account));
    if (queue === undefined) return undefined;
    const now = this.options.clock.now();
    for (const entry of queue.order.values()) {
      const item = queue.items.get(entry.seq);
      if (item !== undefined && item.expiresAt > now) return entry.notBefore;
    }
    return undefined;
  }

  depth(account: string): number {
    return this.accounts.get(account)?.items.size ?? 0;
  }

  depths(): ReadonlyMap<string, number> {
    const depths = new Map<string, number>();
    for (const [account, queue] of this.accounts) depths.set(account, queue.items.size);
    return depths;
  }

  async deadLetters(query: DeadLetterQuery = {}): Promise<DeadLetter[]> {
    this.lifecycle.assertOpen();
    const account = query.account === undefined ? undefined : validate.keyPart('account', query.account);
    const max = validate.batchLimit('limit', query.limit ?? 100);
    const letters: DeadLetter[] = [];
    for (const entry of this.dead.values()) {
      if (letters.length === max) break;
      if (account === undefined || entry.letter.account === account) letters.push(copyDeadLetter(entry.letter));
    }
    return letters;
  }

  async sweepExpired(limit?: number): Promise<QueueSweepResult> {
    this.lifecycle.assertOpen();
    const max = sweepLimit(limit);
    const now = this.options.clock.now();
    const expiredByAccount = new Map<string, number>();
    const due: Array<ExpiryEntry & { account: string }> = [];
    for (const entry of this.expiry.values()) {
      if (entry.expiresAt > now || due.length === max) break;
      due.push(entry);
    }
    let expired = 0;
    for (const entry of due) {
      const item = this.take(entry.account, entry.seq);
      if (item === undefined) continue;
      this.bury(item, EXPIRED_REASON);
      expired++;
      expiredByAccount.set(entry.account, (expiredByAccount.get(entry.account) ?? 0) + 1);
    }
    let deadLettersRemoved = 0;
    for (const entry of this.dead.values()) {
      if (entry.droppedAt + this.options.deadLetterTtlMs > now || deadLettersRemoved === max) break;
      deadLettersRemoved++;
      this.pduBytes -= entry.letter.pdu.length;
    }
    this.dead.removeFirst(deadLettersRemoved);
    const nextItem = this.expiry.first();
    const nextDead = this.dead.first();
    const more =
      (nextItem !== undefined && nextItem.expiresAt <= now) ||
      (nextDead !== undefined && nextDead.droppedAt + this.options.deadLetterTtlMs <= now);
    return { expired, expiredByAccount, deadLettersRemoved, more };
  }

  /** Rough footprint for sizeBytes(). */
  estimateBytes(): number {
    return this.pduBytes + (this.expiry.size + this.dead.size) * 160;
  }

  /** Removes the item from every index; undefined when it is not queued. */
  private take(account: string, seq: number): StoredItem | undefined {
    const queue = this.accounts.get(account);
    const item = queue?.items.get(seq);
    if (queue === undefined || item === undefined) return undefined;
    queue.items.delete(seq);
    queue.order.remove({ notBefore: item.notBefore, seq });
    this.expiry.remove({ expiresAt: item.expiresAt, seq, account });
    if (queue.items.size === 0) this.accounts.delete(account);
    this.pduBytes -= item.pdu.length;
    return item;
  }

  private bury(item: StoredItem, reason: string): DeadLetter {
    const letter: DeadLetter = { ...deliveryView(item.id, item.account, item), reason, droppedAt: this.options.clock.now() };
    if (this.options.deadLetterTtlMs > 0) {
      this.dead.insert({ droppedAt: letter.droppedAt, seq: item.seq, letter: copyDeadLetter(letter) });
      this.pduBytes += item.pdu.length;
    }
    return letter;
  }
}
