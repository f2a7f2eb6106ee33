import type { Config } from '../config/types.js';
import type { EsmeRegistry } from '../downstream/registry.js';
import { routeMo } from '../routing/index.js';
import type { IncomingRequestOf, SmppSession } from '../session/index.js';
import { encodePdu, isReceipt, messageIdKeys, Status } from '../smpp/index.js';
import type { DeliveryItem, DeliveryQueue, MessageRecord, MessageStore, QueuedDelivery } from '../store/index.js';
import type { CarrierPool } from '../upstream/carrier-pool.js';
import type { EarlyReceipts } from './early-receipts.js';
import type { ProxyEvents } from './events.js';
import { readReceipt, receiptForCustomer } from './receipt-mapping.js';

export type CarrierDelivery = IncomingRequestOf<'deliver_sm'> | IncomingRequestOf<'data_sm'>;

export interface DeliveryDeps {
  config: Config;
  messages: MessageStore;
  queues: DeliveryQueue;
  registry: EsmeRegistry;
  events: ProxyEvents;
  earlyReceipts: EarlyReceipts;
  /** Problems that lose nothing but an operator should see (unmatched receipts, MO without route). */
  warn: (message: string, details: Record<string, unknown>) => void;
}

/** Pseudo-account under which receipts that match no message are kept as dead letters for audit. */
export const UNMATCHED_ACCOUNT = '~unmatched';

const RETRY_BASE_MS = 1_000;
const RETRY_MAX_MS = 60_000;
/** Queue items asked for per look; enough to fill a few ESME windows. */
const PEEK_BATCH = 200;

/**
 * The way back: receipts and MO from carriers to the accounts that own them.
 *
 * Every receipt or MO is written to the account's durable queue before the carrier's
 * deliver_sm is answered, so once a carrier has our ESME_ROK the message survives a crash and
 * an ESME that is offline. Per-account delivery then drains the queue to bound RX/TRX sessions;
 * ESME_RX_T_APPN, other errors and timeouts mean retry later with backoff, ESME_RX_P_APPN means
 * drop it (kept as a dead letter).
 */
export class DeliveryFlow {
  private readonly inFlight = new Map<string, Set<string>>();
  private readonly running = new Set<string>();
  private readonly again = new Set<string>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private stopped = false;

  constructor(private readonly deps: DeliveryDeps) {}

  /** Hot reload: later receipts and MO use the new mo_routes and TTLs. */
  setConfig(config: Config): void {
    this.deps.config = config;
  }

  /** Handles a deliver_sm / data_sm from a carrier; always answers it. */
  async fromCarrier(pool: CarrierPool, req: CarrierDelivery): Promise<void> {
    try {
      const esmClass = req.pdu.body.esm_class;
      if (isReceipt(esmClass)) await this.receipt(pool, req);
      else await this.mo(pool, req);
    } catch (error) {
      // Store failure: the carrier must keep the message and send it again later.
      this.deps.warn('could not record a delivery from a carrier', { carrier: pool.name, error: String(error) });
      if (!req.responded) req.respond(Status.ESME_RX_T_APPN);
    }
  }

  private async receipt(pool: CarrierPool, req: CarrierDelivery): Promise<void> {
    const facts = readReceipt(req.pdu);
    const now = Date.now();
    const record = facts.carrierId === undefined ? undefined : await this.lookup(pool, facts.carrierId);
    if (record === undefined) {
      await this.deadLetter(req.frame, now, `receipt for unknown ${pool.name} message id ${JSON.stringify(facts.carrierId ?? '')}`);
      this.deps.warn('receipt matches no message', { carrier: pool.name, carrierMessageId: facts.carrierId });
      req.respond(Status.ESME_ROK, { message_id: '' });
      return;
    }
    const customerPdu = receiptForCustomer(req.pdu, record.proxyId);
    const frame = encodePdu({ ...customerPdu, sequence: 1 });
    const item: DeliveryItem = {
      kind: 'dlr',
      pdu: frame,
      proxyId: record.proxyId,
      createdAt: now,
      expiresAt: now + this.deps.config.store.receiptTtl,
    };
    const id = await this.deps.queues.enqueue(record.account, item);
    req.respond(Status.ESME_ROK, { message_id: '' });
    const stat = facts.stat ?? 'UNKNOWN';
    void this.deps.messages
      .updateMessage(record.proxyId, { final: { status: stat, at: now, ...(facts.err !== undefined ? { error: facts.err } : {}) } })
      .catch(() => undefined);
    this.deps.events.emit('dlr', {
      proxyId: record.proxyId,
      account: record.account,
      carrier: pool.name,
      carrierMessageId: record.carrierMessageId,
      stat,
      ...(facts.err !== undefined ? { err: facts.err } : {}),
      ...(facts.messageState !== undefined ? { messageState: facts.messageState } : {}),
      submittedAt: record.submittedAt,
      receivedAt: now,
    });
    this.offer(record.account, id, item);
  }

  /** The message a carrier id belongs to; waits briefly for a submit whose id is still being stored. */
  private async lookup(pool: CarrierPool, carrierId: string): Promise<MessageRecord | undefined> {
    const keys = messageIdKeys(carrierId, pool.config.messageIdFormat);
    const find = async (): Promise<MessageRecord | undefined> => {
      for (const key of keys) {
        const found = await this.deps.messages.getByCarrierKey(pool.name, key);
        if (found !== undefined) return found;
      }
      return undefined;
    };
    const first = await find();
    if (first !== undefined) return first;
    // Whether woken by the store write or by the hold time running out, look once more.
    await this.deps.earlyReceipts.wait(pool.name, keys);
    return find();
  }

  private async mo(pool: CarrierPool, req: CarrierDelivery): Promise<void> {
    const destination = req.pdu.body.destination_addr;
    const account = routeMo(this.deps.config, destination);
    if (account === undefined) {
      this.deps.warn('MO for a destination no mo_route covers', { carrier: pool.name });
      req.respond(Status.ESME_RINVDSTADR);
      return;
    }
    const now = Date.now();
    const item: DeliveryItem = { kind: 'mo', pdu: Buffer.from(req.frame), createdAt: now, expiresAt: now + this.deps.config.store.moTtl };
    const id = await this.deps.queues.enqueue(account.name, item);
    req.respond(Status.ESME_ROK, { message_id: '' });
    this.offer(account.name, id, item);
  }

  /**
   * The fast path for a delivery just queued: it goes straight to a receiving session with room,
   * as the item the store now holds, instead of being read back from the queue. Without room it
   * waits in the queue for the drain.
   */
  private offer(account: string, id: string, item: DeliveryItem): void {
    if (this.stopped) return;
    const session = this.deps.registry.receiver(account, this.deps.config.accounts[account]?.window);
    if (session !== undefined && this.send(account, session, { ...item, id, account, attempts: 0, notBefore: 0 })) return;
    this.kick(account);
  }

  /** Hands one queued item to a session; false when the session had no room (nothing sent). */
  private send(account: string, session: SmppSession, item: QueuedDelivery): boolean {
    const pending = session.requestRaw(item.pdu);
    if (pending === null) return false;
    this.inFlightOf(account).add(item.id);
    pending.then(
      (resp) => this.settle(account, item, resp.status),
      () => this.settle(account, item, undefined),
    );
    return true;
  }

  private async deadLetter(frame: Buffer, now: number, reason: string): Promise<void> {
    const id = await this.deps.queues.enqueue(UNMATCHED_ACCOUNT, {
      kind: 'dlr',
      pdu: Buffer.from(frame),
      createdAt: now,
      expiresAt: now + this.deps.config.store.receiptTtl,
    });
    await this.deps.queues.drop(UNMATCHED_ACCOUNT, id, reason);
  }

  /** Starts (or continues) draining an account's queue; cheap to call often. */
  kick(account: string): void {
    if (this.stopped || account === UNMATCHED_ACCOUNT) return;
    if (this.running.has(account)) {
      this.again.add(account);
      return;
    }
    this.running.add(account);
    void this.drain(account)
      .catch((error: unknown) => {
        // The queue could not be read (a store error, or the store closing during shutdown).
        // Nothing is lost, it stays queued; an unhandled rejection here would end the process.
        if (this.stopped) return;
        this.deps.warn('could not read a delivery queue; retrying', { account, error: String(error) });
        this.retryIn(account, RETRY_BASE_MS);
      })
      .finally(() => {
        this.running.delete(account);
        if (this.again.delete(account)) this.kick(account);
      });
  }

  private async drain(account: string): Promise<void> {
    const { queues, registry } = this.deps;
    const flying = this.inFlightOf(account);
    const window = this.deps.config.accounts[account]?.window;
    while (!this.stopped && registry.hasReceiver(account)) {
      const items = (await queues.peek(account, flying.size + PEEK_BATCH)).filter((i) => !flying.has(i.id));
      if (items.length === 0) {
        if (flying.size === 0) await this.scheduleNext(account);
        return;
      }
      for (const item of items) {
        if (flying.has(item.id)) continue; // sent by the fast path while the peek was under way
        const session = registry.receiver(account, window);
        if (session === undefined) return; // windows full: a completion kicks us again
        if (!this.send(account, session, item)) {
          if (flying.size === 0) this.retryIn(account, 20); // socket congested, nothing to wake us
          return;
        }
      }
    }
  }

  private async settle(account: string, item: QueuedDelivery, status: number | undefined): Promise<void> {
    const { queues } = this.deps;
    try {
      if (status === Status.ESME_ROK) await queues.ack(account, item.id);
      else if (status === Status.ESME_RX_P_APPN) await queues.drop(account, item.id, 'ESME_RX_P_APPN from the ESME');
      else {
        const attempts = item.attempts + 1;
        const delay = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** Math.min(attempts - 1, 16));
        await queues.defer(account, item.id, Date.now() + delay, attempts);
      }
    } catch (error) {
      this.deps.warn('could not update a delivery queue item', { account, error: String(error) });
    } finally {
      const flying = this.inFlightOf(account);
      flying.delete(item.id);
      // Read the queue again only when it holds more than what is in flight: with the fast path
      // the queue is usually just the in-flight items, and re-reading them after every answer
      // would cost a store read of the whole window per delivery.
      if (this.deps.queues.depth(account) > flying.size) this.kick(account);
    }
  }

  private async scheduleNext(account: string): Promise<void> {
    const due = await this.deps.queues.nextDueAt(account);
    if (due !== undefined) this.retryIn(account, Math.max(10, due - Date.now()));
  }

  private retryIn(account: string, ms: number): void {
    if (this.timers.has(account)) return;
    const t = setTimeout(() => {
      this.timers.delete(account);
      this.kick(account);
    }, ms);
    t.unref();
    this.timers.set(account, t);
  }

  private inFlightOf(account: string): Set<string> {
    let s = this.inFlight.get(account);
    if (s === undefined) this.inFlight.set(account, (s = new Set()));
    return s;
  }

  /** Deliveries handed to ESMEs and not answered yet. */
  get pending(): number {
    let n = 0;
    for (const s of this.inFlight.values()) n += s.size;
    return n;
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}
