import type { AccountConfig, Config } from '../config/types.js';
import {
  ConcatStickiness,
  orderCandidates,
  resolveRoute,
  rewriteSender,
  senderAllowed,
  shouldFailOver,
  type ConcatKey,
  type RouteResolution,
} from '../routing/index.js';
import type { IncomingRequestOf } from '../session/index.js';
import { encodePdu, messageConcatInfo, messageIdKeys, repeatedStandardTlv, Status, type PduOf } from '../smpp/index.js';
import type { MessageStore } from '../store/index.js';
import { TokenBucket } from '../util/token-bucket.js';
import type { CarrierPool } from '../upstream/carrier-pool.js';
import type { ProxyEvents } from './events.js';
import type { MessageIdGenerator } from './message-id.js';
import type { EarlyReceipts } from './early-receipts.js';
import { KeyedTurns } from './keyed-turns.js';

export type SubmitRequest = IncomingRequestOf<'submit_sm'> | IncomingRequestOf<'data_sm'>;

export interface SubmitDeps {
  config: Config;
  pools: ReadonlyMap<string, CarrierPool>;
  messages: MessageStore;
  ids: MessageIdGenerator;
  events: ProxyEvents;
  earlyReceipts: EarlyReceipts;
  /** True while the audit outbox is over its limit: refuse new traffic rather than leave it unrecorded. */
  auditFull: () => boolean;
}

/** Statuses this flow answers with besides the carrier's own. */
const S = Status;

/**
 * The submit path (filter chain): admission -> throttle -> sender allow-list -> route ->
 * concatenation stickiness -> per-carrier sender rewrite -> carrier, failing over on temporary
 * failures. The ESME is answered only once a carrier has: ESME_ROK with the proxy's own id
 * after the id map is durable, or the carrier's permanent error, or a retry-later status.
 */
export class SubmitFlow {
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly sticky = new ConcatStickiness();
  private readonly concatTurns = new KeyedTurns();

  constructor(private readonly deps: SubmitDeps) {}

  /** Hot reload: later submits use the new routes and rules; changed accounts get fresh buckets. */
  setConfig(config: Config, changedAccounts: readonly string[]): void {
    this.deps.config = config;
    for (const name of changedAccounts) this.buckets.delete(name);
  }

  async handle(account: AccountConfig, req: SubmitRequest): Promise<void> {
    const trace: SubmitTrace = { route: undefined, carrier: undefined, carrierRttMs: undefined, failovers: 0 };
    const status = this.admit(account, req) ?? (await this.route(account, req, trace));
    if (status !== undefined && !req.responded) req.respond(status);
    this.deps.events.emit('submit', {
      account: account.name,
      command: req.command,
      ...trace,
      status: status ?? S.ESME_ROK,
      latencyMs: performance.now() - req.receivedAt,
    });
  }

  /** Cheap synchronous checks that need no carrier; a status means refuse with it. */
  private admit(account: AccountConfig, req: SubmitRequest): number | undefined {
    if (this.deps.auditFull()) return S.ESME_RMSGQFUL;
    if (!this.bucket(account).tryTake()) return S.ESME_RTHROTTLED;
    if (!senderAllowed(account, req.pdu.body.source_addr)) return S.ESME_RINVSRCADR;
    if (repeatedStandardTlv(req.pdu.tlvs) !== undefined) return S.ESME_RINVOPTPARSTREAM;
    return undefined;
  }

  /**
   * Routes and sends; resolves to the status to refuse with, or undefined once accept() has
   * answered ESME_ROK itself (the id must be durable first, so accepting cannot be deferred).
   */
  private async route(account: AccountConfig, req: SubmitRequest, trace: SubmitTrace): Promise<number | undefined> {
    const { config } = this.deps;
    const pdu = req.pdu;
    const body = pdu.body;
    const resolved = resolveRoute(config, account, body.destination_addr);
    if (!resolved.ok) return resolved.status;
    trace.route = resolved.route.name;

    const concat = messageConcatInfo({
      esmClass: body.esm_class,
      shortMessage: pdu.command === 'submit_sm' ? pdu.body.short_message : EMPTY,
      tlvs: pdu.tlvs,
    });
    if (concat?.kind === 'invalid') return concat.status;
    if (concat === undefined) return this.place(account, req, trace, resolved, undefined, 1);
    const concatKey: ConcatKey = { account: account.name, source: body.source_addr, destination: resolved.destination, reference: concat.ref };
    // Parts of one message are placed one at a time: a part routed while an earlier one is still
    // waiting for its carrier would not see where that one went and could fail over elsewhere.
    return this.concatTurns.run(concatSlot(concatKey), () => this.place(account, req, trace, resolved, concatKey, concat.total));
  }

  /** Picks the carriers for one submit and tries them in order; `concatKey` makes it follow earlier parts. */
  private async place(
    account: AccountConfig,
    req: SubmitRequest,
    trace: SubmitTrace,
    resolved: RouteFound,
    concatKey: ConcatKey | undefined,
    parts: number,
  ): Promise<number | undefined> {
    const { config, pools } = this.deps;
    const pdu = req.pdu;
    const body = pdu.body;
    if (req.responded) return undefined; // the ESME's session went away while an earlier part was placed
    const stickyCarrier = concatKey === undefined ? undefined : this.sticky.get(concatKey);

    const order = orderCandidates(
      resolved.candidates,
      (name) => pools.get(name)?.health() ?? { bound: false, circuitOpen: false },
      { sticky: stickyCarrier },
    );
    if (order.usable.length === 0) return S.ESME_RMSGQFUL;

    let throttledOnly = true;
    for (let attempt = 0; attempt < order.usable.length; attempt++) {
      const candidate = order.usable[attempt]!;
      const pool = pools.get(candidate.carrier);
      if (pool === undefined) continue;
      const sender = rewriteSender(config, {
        account: account.name,
        carrier: candidate.carrier,
        destination: resolved.destination,
        sender: body.source_addr,
        ton: body.source_addr_ton,
        npi: body.source_addr_npi,
      });
      // Forward the customer's bytes as they are unless the sender changes; then re-encode,
      // which the codec guarantees changes only those fields.
      const frame =
        sender.rule === undefined
          ? req.frame
          : encodePdu({
              ...pdu,
              body: { ...body, source_addr: sender.sender, source_addr_ton: sender.ton, source_addr_npi: sender.npi },
            } as PduOf<'submit_sm'>);

      const submittedAt = Date.now();
      this.deps.events.emit('route', { account: account.name, route: resolved.route.name, carrier: candidate.carrier, attempt });
      trace.failovers = attempt;
      const sentAt = performance.now();
      const outcome = await pool.send(frame);
      if (outcome.kind !== 'unavailable') {
        trace.carrier = candidate.carrier;
        trace.carrierRttMs = performance.now() - sentAt;
      }
      let failure: string;
      if (outcome.kind === 'response') {
        const status = outcome.pdu.status;
        if (status === S.ESME_ROK) {
          const carrierId = (outcome.pdu.body as { message_id?: string }).message_id ?? '';
          return this.accept(account, req, {
            carrier: candidate.carrier,
            cost: candidate.cost,
            route: resolved.route.name,
            carrierId,
            senderSent: sender.sender,
            destination: resolved.destination,
            parts,
            submittedAt,
            concatKey,
          });
        }
        throttledOnly = false;
        if (!shouldFailOver(status)) return status;
        failure = `status 0x${status.toString(16)}`;
      } else if (outcome.kind === 'failed') {
        throttledOnly = false;
        if (outcome.status !== undefined && !shouldFailOver(outcome.status)) return outcome.status;
        failure = outcome.reason;
      } else {
        if (outcome.reason !== 'throttled') throttledOnly = false;
        failure = outcome.reason;
      }
      if (req.responded) return undefined; // the ESME's session went away meanwhile
      this.deps.events.emit('failover', { account: account.name, route: resolved.route.name, fromCarrier: candidate.carrier, reason: failure });
    }
    // Every candidate was tried and none took it: a retry-later answer, never a permanent one.
    return throttledOnly ? S.ESME_RTHROTTLED : S.ESME_RMSGQFUL;
  }

  private async accept(
    account: AccountConfig,
    req: SubmitRequest,
    a: {
      carrier: string;
      cost: number;
      route: string;
      carrierId: string;
      senderSent: string;
      destination: string;
      parts: number;
      submittedAt: number;
      concatKey: ConcatKey | undefined;
    },
  ): Promise<number | undefined> {
    const pool = this.deps.pools.get(a.carrier)!;
    const proxyId = this.deps.ids.next();
    const keys = messageIdKeys(a.carrierId, pool.config.messageIdFormat);
    const body = req.pdu.body;
    try {
      await this.deps.messages.putMessage(
        {
          proxyId,
          account: account.name,
          carrier: a.carrier,
          carrierMessageId: a.carrierId,
          route: a.route,
          source: body.source_addr,
          destination: body.destination_addr,
          submittedAt: a.submittedAt,
          parts: a.parts,
          registeredDelivery: body.registered_delivery,
          cost: a.cost,
          esmeSequence: req.pdu.sequence,
        },
        keys,
        // Just generated: no record can exist under it yet.
        { fresh: true },
      );
    } catch {
      // The carrier took the message but we cannot remember it: its receipt could never be
      // mapped back. Tell the ESME it failed rather than hand out an id we cannot honour.
      return S.ESME_RSYSERR;
    }
    this.deps.earlyReceipts.released(a.carrier, keys);
    if (a.concatKey !== undefined) this.sticky.set(a.concatKey, a.carrier);
    const acceptedAt = Date.now();
    if (!req.responded) req.respond(S.ESME_ROK, { message_id: proxyId });
    this.deps.events.emit('billing', {
      proxyId,
      account: account.name,
      carrier: a.carrier,
      route: a.route,
      cost: a.cost,
      parts: 1,
      destination: a.destination,
      senderOriginal: body.source_addr,
      senderSent: a.senderSent,
      submittedAt: a.submittedAt,
      acceptedAt,
      carrierMessageId: a.carrierId,
    });
    return undefined;
  }

  private bucket(account: AccountConfig): TokenBucket {
    let b = this.buckets.get(account.name);
    if (b === undefined) {
      b = new TokenBucket(account.throughput);
      this.buckets.set(account.name, b);
    }
    return b;
  }
}

const EMPTY = Buffer.alloc(0);

type RouteFound = Extract<RouteResolution, { ok: true }>;

/** NUL cannot occur inside SMPP C-octet strings, so it separates the parts unambiguously. */
function concatSlot(key: ConcatKey): string {
  return `${key.account}\u0000${key.source}\u0000${key.destination}\u0000${key.reference}`;
}

/** What the submit path learnt on the way, for the 'submit' event. */
interface SubmitTrace {
  route: string | undefined;
  carrier: string | undefined;
  carrierRttMs: number | undefined;
  failovers: number;
}
