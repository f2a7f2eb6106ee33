/**
 * The store's public contract. Nothing here names the storage engine, so a cluster deployment can
 * put another backend (a replicated key-value service) behind the same interfaces.
 *
 * Consistency model shared by every implementation:
 * - Every write decides its outcome when it is called, in call order, so callers need not await
 *   one write before issuing the next (an ack issued right after a defer sees the defer).
 * - A returned promise resolves only once the write is durable: after a crash, everything whose
 *   promise resolved is still there.
 * - Reads observe every write issued before them, durable or not.
 * All times are wall-clock epoch milliseconds from the store's Clock, because they are persisted
 * and compared again after a restart.
 */

/** Wall-clock source; injectable so that TTL behaviour can be tested without waiting. */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
}

/** How a message ended, as learnt from its delivery receipt. */
export interface FinalOutcome {
  /** Receipt state as the carrier reported it, e.g. DELIVRD, UNDELIV, EXPIRED. */
  status: string;
  /** When the receipt was processed (epoch ms). */
  at: number;
  /** The receipt's err: field or network error code, when given. */
  error?: string;
}

/** One submitted message (one part of a long message) as the receipt path needs it. */
export interface MessageRecord {
  /** The id the proxy gave the ESME; the record's primary key. */
  proxyId: string;
  account: string;
  carrier: string;
  /** The id exactly as the carrier returned it in submit_sm_resp. */
  carrierMessageId: string;
  route: string;
  source: string;
  destination: string;
  /** Epoch ms. */
  submittedAt: number;
  parts?: number;
  /** registered_delivery octet of the ESME's submit_sm. */
  registeredDelivery: number;
  cost?: number;
  /** sequence_number of the ESME's submit_sm, for correlation in logs and audit. */
  esmeSequence?: number;
  extra?: Record<string, string>;
  /**
   * Set only by a caller of updateMessage. The proxy does not store it: a receipt's outcome goes
   * to the audit trail as the dlr event.
   */
  final?: FinalOutcome;
}

/**
 * Fields that may change after a record is stored. Identity fields (ids, account, carrier) are
 * deliberately absent: the lookup indexes are derived from them.
 */
export interface MessagePatch {
  final?: FinalOutcome;
  cost?: number;
  parts?: number;
  /** Merged key by key into the stored extra map. */
  extra?: Record<string, string>;
}

export interface MessageSweepResult {
  /** Records removed with their index entries. */
  removed: number;
  /** True when the sweep stopped at its limit and expired entries may remain. */
  more: boolean;
}

export interface PutMessageOptions {
  /**
   * The caller's promise that no record was ever stored under this proxyId (a freshly generated
   * id), so the store need not look for one to replace. Storing an existing proxyId with this set
   * may leave that record's old keys indexed.
   */
  fresh?: boolean;
}

/** The message id map: proxy id <-> (carrier, carrier id) for receipts, query_sm and cancel_sm. */
export interface MessageStore {
  /**
   * Stores the record under its proxyId and indexes it under (carrier, key) for every key given
   * (the candidate normalised forms of the carrier's id). Storing a proxyId again replaces the
   * record and its keys, unless `fresh` says there is nothing to replace. The record expires
   * idMapTtlMs after this call.
   */
  putMessage(record: MessageRecord, carrierKeys: readonly string[], options?: PutMessageOptions): Promise<void>;
  /** The record, or undefined when unknown or expired. */
  getByProxyId(proxyId: string): Promise<MessageRecord | undefined>;
  /** The record most recently indexed under (carrier, key), or undefined. */
  getByCarrierKey(carrier: string, key: string): Promise<MessageRecord | undefined>;
  /** Applies the patch; resolves to the updated record, or undefined when unknown or expired. */
  updateMessage(proxyId: string, patch: MessagePatch): Promise<MessageRecord | undefined>;
  /** Removes at most `limit` expired records (oldest expiry first) with their index entries. */
  sweepExpired(limit?: number): Promise<MessageSweepResult>;
  /**
   * Records stored, including expired ones not yet swept. A gauge: writes whose promise has not
   * resolved yet may or may not be counted.
   */
  count(): number;
}

export const DeliveryKinds = {
  /** A delivery receipt mapped back to the proxy id. */
  dlr: 'dlr',
  /** A mobile-originated message routed to an account. */
  mo: 'mo',
} as const;
export type DeliveryKind = (typeof DeliveryKinds)[keyof typeof DeliveryKinds];

/** A deliver_sm waiting for a session of its account. */
export interface DeliveryItem {
  kind: DeliveryKind;
  /** The complete deliver_sm frame to send (its sequence_number is rewritten at send time). */
  pdu: Buffer;
  /** The message this receipt belongs to, when it is one. */
  proxyId?: string;
  /** Epoch ms. */
  createdAt: number;
  /** Epoch ms after which the item is no longer delivered and is removed by the sweep. */
  expiresAt: number;
}

export interface QueuedDelivery extends DeliveryItem {
  /** Opaque id, unique within the store, used to ack, defer or drop the item. */
  id: string;
  account: string;
  /** Delivery attempts recorded by defer. */
  attempts: number;
  /** Epoch ms before which peek does not return it; 0 until the item is first deferred. */
  notBefore: number;
}

/** An item removed without delivery, kept for audit until deadLetterTtlMs has passed. */
export interface DeadLetter extends QueuedDelivery {
  /** Why: the caller's reason for drop, or "expired" for the sweep. */
  reason: string;
  /** Epoch ms. */
  droppedAt: number;
}

export interface QueueSweepResult {
  /** Items removed because they expired; each became a dead letter with reason "expired". */
  expired: number;
  /** The same count per account. */
  expiredByAccount: ReadonlyMap<string, number>;
  /** Dead letters removed because their retention ended. */
  deadLettersRemoved: number;
  /** True when the sweep stopped at its limit and more may be due. */
  more: boolean;
}

export interface DeadLetterQuery {
  /** Only this account's dead letters. */
  account?: string;
  /** At most this many, oldest first; default 100. */
  limit?: number;
}

/** Reason recorded for items the sweep removes after their expiresAt. */
export const EXPIRED_REASON = 'expired';

/**
 * Durable per-account queues of receipts and MO waiting for a session of the account.
 *
 * Order: items never deferred come out in enqueue order. A deferred item leaves its place and
 * queues again at its notBefore time, behind every item that was never deferred, so one message
 * an ESME keeps refusing cannot hold back the rest of its traffic.
 */
export interface DeliveryQueue {
  /** Resolves to the item's id once it is durable. */
  enqueue(account: string, item: DeliveryItem): Promise<string>;
  /** Up to `limit` items due now (notBefore reached, not expired), in queue order. */
  peek(account: string, limit: number): Promise<QueuedDelivery[]>;
  /** Removes a delivered item; false when the id is unknown (already acked, dropped or swept). */
  ack(account: string, id: string): Promise<boolean>;
  /** Hides the item until `notBefore` and records the attempts so far; false when unknown. */
  defer(account: string, id: string, notBefore: number, attempts: number): Promise<boolean>;
  /** Removes the item and keeps it as a dead letter; undefined when the id is unknown. */
  drop(account: string, id: string, reason: string): Promise<DeadLetter | undefined>;
  /**
   * The earliest notBefore among the account's unexpired items, so a caller with nothing due can
   * schedule its next look; undefined when the queue holds nothing deliverable.
   */
  nextDueAt(account: string): Promise<number | undefined>;
  /** Items queued for the account, including expired ones not yet swept. */
  depth(account: string): number;
  /** depth() of every account that has items. */
  depths(): ReadonlyMap<string, number>;
  deadLetters(query?: DeadLetterQuery): Promise<DeadLetter[]>;
  /** Removes at most `limit` expired items and at most `limit` dead letters past retention. */
  sweepExpired(limit?: number): Promise<QueueSweepResult>;
}

/** An audit event waiting to be published. */
export interface OutboxEvent {
  /** Globally unique event id; the publisher's deduplication id. */
  id: string;
  subject: string;
  /** Returned by read exactly as given: a Buffer stays a Buffer, a string stays a string. */
  payload: Buffer | string;
}

export interface OutboxEntry extends OutboxEvent {
  /** Position in the log; increases with every append, across restarts. */
  seq: number;
}

/**
 * Append-only ordered log of audit events between the SMPP path and the publisher.
 * Appends are never refused for being over the limit: events about traffic already accepted must
 * not be lost. isFull() is what admission control consults before accepting new traffic.
 */
export interface Outbox {
  /** Assigns consecutive sequence numbers in order; resolves with them once durable. */
  append(events: readonly OutboxEvent[]): Promise<number[]>;
  /** Up to `limit` unacknowledged entries with seq > afterSeq, in order. */
  read(afterSeq: number, limit: number): Promise<OutboxEntry[]>;
  /** Marks every entry up to `seq` as published and frees them. */
  ackUpTo(seq: number): Promise<void>;
  /** Highest sequence number acknowledged so far (0 before any). */
  ackedSeq(): number;
  /** Highest sequence number assigned so far (0 before any). */
  lastSeq(): number;
  /** Unacknowledged entries. */
  depth(): number;
  /** Bytes of id, subject and payload of the unacknowledged entries. */
  bytes(): number;
  /** True once depth() reaches maxEvents or bytes() reaches maxBytes. */
  isFull(): boolean;
  /**
   * Calls `listener` with the highest visible seq whenever appended entries become readable, so
   * a publisher can wait instead of polling. Returns the function that unsubscribes.
   */
  onAppended(listener: (lastSeq: number) => void): () => void;
}

export interface SweepResult {
  messages: MessageSweepResult;
  queues: QueueSweepResult;
}

export interface Store {
  readonly messages: MessageStore;
  readonly queues: DeliveryQueue;
  readonly outbox: Outbox;
  /** Bytes the store occupies (on disk for the durable store, an estimate in memory). */
  sizeBytes(): number;
  /** One bounded sweep of everything that expires; see startSweeper for a schedule. */
  sweep(limit?: number): Promise<SweepResult>;
  /** Waits for pending writes to become durable, then releases the store; idempotent. */
  close(): Promise<void>;
}

export interface StoreOptions {
  /** How long a message record stays resolvable (default 72 h). */
  idMapTtlMs?: number;
  /** How long dead letters are kept for audit (default 7 days; 0 keeps none). */
  deadLetterTtlMs?: number;
  /** Outbox size at which isFull() turns true (default 1,000,000 events). */
  outboxMaxEvents?: number;
  /** Outbox bytes at which isFull() turns true (default: no byte limit). */
  outboxMaxBytes?: number;
  clock?: Clock;
}

export interface DurableStoreOptions extends StoreOptions {
  /** Directory holding the database files; created when missing. */
  path: string;
}
