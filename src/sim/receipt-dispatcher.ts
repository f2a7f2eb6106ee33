import { Status, type PduOf } from '../smpp/index.js';
import type { BoundSession, Receivers } from './receivers.js';
import type { SimMessage } from './smsc-messages.js';

export interface ReceiptDelivery {
  readonly systemId: string;
  readonly message: SimMessage;
  readonly pdu: PduOf<'deliver_sm'>;
  /** deliver_sm sent for this receipt so far. */
  attempts: number;
}

export const ReceiptDropReason = {
  /** maxAttempts deliveries were made and none was acknowledged. */
  attempts: 'attempts',
  /** The ESME answered ESME_RX_P_APPN: it will never take this receipt. */
  rejected: 'rejected',
  /** The PDU cannot be encoded (an address longer than deliver_sm allows). */
  unencodable: 'unencodable',
  /** maxPending receipts were already waiting. */
  overflow: 'overflow',
  /** The simulator stopped with the receipt still undelivered. */
  stopped: 'stopped',
} as const;
export type ReceiptDropReason = (typeof ReceiptDropReason)[keyof typeof ReceiptDropReason];

export interface ReceiptDispatcherOptions {
  /** Wait after a failed delivery (error status, timeout, session lost) before trying again. */
  retryMs: number;
  maxAttempts: number;
  /** Receipts held at once (queued, in flight or waiting to retry); more are dropped. */
  maxPending: number;
}

export interface ReceiptDispatcherHooks {
  sent(item: ReceiptDelivery, via: BoundSession): void;
  /** The ESME answered the deliver_sm (any status). */
  answered(item: ReceiptDelivery, via: BoundSession, status: number): void;
  /** No answer: response timeout or the session ended first. */
  unanswered(item: ReceiptDelivery, via: BoundSession, error: unknown): void;
  dropped(item: ReceiptDelivery, reason: ReceiptDropReason): void;
}

/**
 * Delivers receipts to the receivers of the system_id that submitted the message. With no
 * receiver bound, receipts wait (flush() is called again when one binds); a receiver without
 * window room is retried on its 'drain'; a failed delivery is retried after retryMs, up to
 * maxAttempts deliveries.
 */
export class ReceiptDispatcher {
  private readonly queues = new Map<string, Deque<ReceiptDelivery>>();
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  private held = 0;
  private stopped = false;

  constructor(
    private readonly receivers: Receivers,
    private readonly options: ReceiptDispatcherOptions,
    private readonly hooks: ReceiptDispatcherHooks,
  ) {}

  /** Receipts not yet acknowledged or dropped. */
  get pending(): number {
    return this.held;
  }

  enqueue(item: ReceiptDelivery): void {
    if (this.stopped) {
      this.hooks.dropped(item, ReceiptDropReason.stopped);
      return;
    }
    if (this.held >= this.options.maxPending) {
      this.hooks.dropped(item, ReceiptDropReason.overflow);
      return;
    }
    this.held++;
    this.queueOf(item.systemId).push(item);
    this.flush(item.systemId);
  }

  /** Sends queued receipts of the system_id while one of its receivers has window room. */
  flush(systemId: string): void {
    const queue = this.queues.get(systemId);
    while (!this.stopped && queue !== undefined && queue.length > 0) {
      const candidates = this.receivers.rotation(systemId);
      if (candidates.length === 0) return; // woken again by a bind
      const item = queue.shift()!;
      if (!this.sendVia(item, candidates)) {
        queue.unshift(item);
        return; // woken again by a receiver's 'drain'
      }
    }
  }

  /** true when the receipt was sent (or dropped as unsendable); false when no receiver had room. */
  private sendVia(item: ReceiptDelivery, candidates: readonly BoundSession[]): boolean {
    for (const via of candidates) {
      let response: Promise<PduOf<'deliver_sm_resp'>> | null;
      try {
        response = via.session.request(item.pdu);
      } catch {
        this.drop(item, ReceiptDropReason.unencodable);
        return true;
      }
      if (response === null) continue;
      item.attempts++;
      this.hooks.sent(item, via);
      response.then(
        (resp) => this.onAnswer(item, via, resp.status),
        (error: unknown) => {
          this.hooks.unanswered(item, via, error);
          this.retry(item);
        },
      );
      return true;
    }
    return false;
  }

  /** Takes receipts again after stop(), for a simulator that is started again. */
  resume(): void {
    this.stopped = false;
  }

  /** Drops everything held and cancels retries; returns how many receipts were dropped. */
  stop(): number {
    this.stopped = true;
    for (const timer of this.retryTimers) clearTimeout(timer);
    this.retryTimers.clear();
    let count = 0;
    for (const queue of this.queues.values()) {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) {
        this.drop(item, ReceiptDropReason.stopped);
        count++;
      }
    }
    this.queues.clear();
    return count;
  }

  private onAnswer(item: ReceiptDelivery, via: BoundSession, status: number): void {
    this.hooks.answered(item, via, status);
    if (status === Status.ESME_ROK) {
      this.held--;
    } else if (status === Status.ESME_RX_P_APPN) {
      this.drop(item, ReceiptDropReason.rejected);
    } else {
      this.retry(item);
    }
  }

  private retry(item: ReceiptDelivery): void {
    if (this.stopped) {
      this.drop(item, ReceiptDropReason.stopped);
      return;
    }
    if (item.attempts >= this.options.maxAttempts) {
      this.drop(item, ReceiptDropReason.attempts);
      return;
    }
    const timer = setTimeout(() => {
      this.retryTimers.delete(timer);
      if (this.stopped) return;
      this.queueOf(item.systemId).push(item);
      this.flush(item.systemId);
    }, this.options.retryMs);
    this.retryTimers.add(timer);
  }

  private drop(item: ReceiptDelivery, reason: ReceiptDropReason): void {
    this.held--;
    this.hooks.dropped(item, reason);
  }

  private queueOf(systemId: string): Deque<ReceiptDelivery> {
    let queue = this.queues.get(systemId);
    if (queue === undefined) {
      queue = new Deque();
      this.queues.set(systemId, queue);
    }
    return queue;
  }
}

/** FIFO with O(1) shift: Array.prototype.shift moves every element, which a backlog of receipts cannot afford. */
class Deque<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  unshift(item: T): void {
    if (this.head > 0) this.items[--this.head] = item;
    else this.items.unshift(item);
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
}
