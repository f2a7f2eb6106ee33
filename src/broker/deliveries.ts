import type { Config } from '../config/types.js';
import type { EsmeRegistry } from '../downstream/registry.js';
import { routeMo } from '../routing/index.js';
import type { IncomingRequestOf, SmppSession } from '../session/index.js';
import { encodePdu, isReceipt, messageIdKeys, Status, type Pdu } from '../smpp/index.js';
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
 * How long a receipt or MO passed straight to an ESME may wait for the ESME's answer before it
 * goes to the durable queue instead. Meanwhile the carrier's deliver_sm is unanswered and takes
 * a slot of the carrier's window on that bind, which every account on the carrier shares: an ESME
 * slow to answer must not slow down what the carrier can send us, nor bring the carrier near its
 * own response timeout. After the hold the delivery is queued as in flight, the carrier is
 * answered, and the ESME's late answer settles the queued item.
 */
export const PASS_THROUGH_HOLD_MS = 500;

/** The hold ran out before the ESME answered. */
const HELD = Symbol('held');

/**
 * The way back: receipts and MO from carriers to the accounts that own them.
 *
 * A carrier's deliver_sm is answered ESME_ROK only once the message is safe without the carrier:
 * taken by the ESME (its ESME_ROK), or written to the account's durable queue. So once a carrier
 * has our ESME_ROK the message survives a crash and an ESME that is offline; before that the
 * carrier still holds it and sends it again if we go away.
 *
 * When a receiving session of the account has room, the deliver_sm goes to the ESME first and
 * the carrier is answered once the ESME has answered ESME_ROK: nothing is written to the queue.
 * Anything else falls back to the queue before the carrier gets ESME_ROK: no session with room,
 * any other answer (ESME_RX_P_APPN drops it as a dead letter; other errors retry later), the ESME
 * session lost or timing out, or no answer within PASS_THROUGH_HOLD_MS (then queued as in flight,
 * and settled by the ESME's late answer).
 *
 * Per-account delivery drains the queue to bound RX/TRX sessions; ESME_RX_T_APPN, other errors
 * and timeouts mean retry later with backoff, ESME_RX_P_APPN means drop it (kept as a dead letter).
 */
export class DeliveryFlow {
  private readonly inFlight = new Map<string, Set<string>>();
  /**
   * Per account, queue writes of deliveries an ESME already has (passed through, then queued):
   * they resolve once the item is marked in flight, and the drain waits for them before it
   * trusts a peek, which can see an item before its enqueue resolves with the id.
   */
  private readonly queuing = new Map<string, Set<Promise<QueuedDelivery>>>();
  /** Deliveries passed straight to an ESME and waiting for its answer, not queued. */
  private direct = 0;
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
    // The outcome goes to the audit trail as the dlr event; the id map is not written again.
    const stat = facts.stat ?? 'UNKNOWN';
    await this.deliver(record.account, item, req, () =>
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
      }),
    );
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
    // The frame is the carrier's bytes as read; sending and queueing both copy it.
    const item: DeliveryItem = { kind: 'mo', pdu: req.frame, createdAt: now, expiresAt: now + this.deps.config.store.moTtl };
    await this.deliver(account.name, item, req);
  }

  /**
   * Hands a receipt or MO to its account and answers the carrier: straight to a receiving session
   * with room when there is one (see passThrough), else through the durable queue. `accepted`
   * runs as the carrier is answered ESME_ROK.
   */
  private async deliver(account: string, item: DeliveryItem, req: CarrierDelivery, accepted?: () => void): Promise<void> {
    const session = this.stopped ? undefined : this.deps.registry.receiver(account, this.deps.config.accounts[account]?.window);
    const sent = session === undefined ? null : session.requestRaw(item.pdu);
    if (sent !== null) {
      await this.passThrough(account, item, req, sent, accepted);
      return;
    }
    const id = await this.deps.queues.enqueue(account, item);
    answerCarrier(req, accepted);
    this.offer(account, id, item);
  }

  /**
   * The deliver_sm is with the ESME already; the carrier's waits for its answer. ESME_ROK: the
   * ESME has it, answer the carrier, nothing to store. Otherwise queue it (marked in flight, so
   * the drain leaves it alone) and answer the carrier once it is durable: ESME_RX_P_APPN drops it
   * as a dead letter before that; another status or a lost session or timeout defers it for a
   * retry; no answer within the hold leaves it to the ESME's late answer.
   */
  private async passThrough(
    account: string,
    item: DeliveryItem,
    req: CarrierDelivery,
    sent: Promise<Pdu>,
    accepted: (() => void) | undefined,
  ): Promise<void> {
    this.direct++;
    const answer = sent.then(
      (resp) => resp.status,
      () => undefined,
    );
    const first = await new Promise<number | undefined | typeof HELD>((resolve) => {
      const timer = setTimeout(resolve, PASS_THROUGH_HOLD_MS, HELD);
      void answer.then((status) => {
        clearTimeout(timer);
        resolve(status);
      });
    });
    this.direct--;
    if (first === Status.ESME_ROK) {
      answerCarrier(req, accepted);
      // Its window slot is free again: queued items that found no room are waiting for one.
      if (this.deps.queues.depth(account) > this.inFlightOf(account).size) this.kick(account);
      return;
    }
    const queued = await this.enqueueInFlight(account, item);
    if (first === Status.ESME_RX_P_APPN) {
      // Recorded as a dead letter before the carrier hears that we took it.
      await this.settle(account, queued, first);
      answerCarrier(req, accepted);
      return;
    }
    answerCarrier(req, accepted);
    if (first === HELD) void answer.then((status) => this.settle(account, queued, status));
    else void this.settle(account, queued, first);
  }

  /**
   * Queues a delivery an ESME has or had already, marked in flight as soon as its id is known:
   * its answer (or the retry it asked for) settles it, never a second send by the drain.
   */
  private enqueueInFlight(account: string, item: DeliveryItem): Promise<QueuedDelivery> {
    const queued = this.deps.queues.enqueue(account, item).then((id): QueuedDelivery => {
      this.inFlightOf(account).add(id);
      return { ...item, id, account, attempts: 0, notBefore: 0 };
    });
    let writes = this.queuing.get(account);
    if (writes === undefined) this.queuing.set(account, (writes = new Set()));
    writes.add(queued);
    const done = (): void => {
      writes.delete(queued);
      if (writes.size === 0 && this.queuing.get(account) === writes) this.queuing.delete(account);
    };
    queued.then(done, done);
    return queued;
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
      const peeked = await queues.peek(account, flying.size + PEEK_BATCH);
      // A peek may see an item an ESME already has before its enqueue resolved and marked it.
      const writes = this.queuing.get(account);
      if (writes !== undefined) await Promise.allSettled([...writes]);
      const items = peeked.filter((i) => !flying.has(i.id));
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
    let n = this.direct;
    for (const s of this.inFlight.values()) n += s.size;
    return n;
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}

/** The carrier's one answer: ESME_ROK, now that the delivery is with the ESME or in the queue. */
function answerCarrier(req: CarrierDelivery, accepted: (() => void) | undefined): void {
  if (req.responded) return;
  req.respond(Status.ESME_ROK, { message_id: '' });
  accepted?.();
}
