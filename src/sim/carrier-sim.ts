import { EventEmitter } from 'node:events';
import {
  createSmppServer,
  type AuthResult,
  type BindType,
  type CloseReason,
  type IncomingRequestOf,
  type ListenAddress,
  type SmppServer,
  type SmppSession,
} from '../session/index.js';
import {
  MessageState,
  Status,
  decodePdu,
  encodePdu,
  makePdu,
  type Pdu,
  type PduOf,
} from '../smpp/index.js';
import { TokenBucket } from '../util/token-bucket.js';
import { SimError } from './errors.js';
import { SimMessageIds } from './message-ids.js';
import { buildTextParts, messagePreview, type TextCoding } from './message-text.js';
import {
  SIM_DEFAULTS,
  resolveBehaviour,
  resolveSimOptions,
  type CarrierSimulatorOptions,
  type ResolvedBehaviour,
  type ResolvedSimOptions,
  type SimBehaviour,
} from './options.js';
import { deliverSmPdu } from './pdus.js';
import { buildReceiptPdu, stateOfStat, wantsReceipt } from './receipt-pdu.js';
import { ReceiptDispatcher, type ReceiptDelivery, type ReceiptDropReason } from './receipt-dispatcher.js';
import { Receivers, type BoundSession } from './receivers.js';
import { RingLog } from './ring-log.js';
import { RoomWaiter } from './room-waiter.js';
import { SmscMessages, isPending, smppAbsoluteTime, type SimMessage } from './smsc-messages.js';

/** A PDU as it arrived: the frame copied out of the read buffer, and its decoding. */
export interface ReceivedPduRecord {
  /** Date.now() on arrival. */
  at: number;
  sessionId: string;
  /** The ESME's system_id once bound; undefined before. */
  systemId: string | undefined;
  /** Command name, or the hex command_id for an unknown one. */
  command: string;
  frame: Buffer;
  /** undefined when the codec rejected the frame. */
  pdu: Pdu | undefined;
}

export const SubmitOutcome = { accepted: 'accepted', failed: 'failed', throttled: 'throttled', silent: 'silent' } as const;
export type SubmitOutcome = (typeof SubmitOutcome)[keyof typeof SubmitOutcome];

export interface SubmitRecord {
  at: number;
  sessionId: string;
  systemId: string;
  command: 'submit_sm' | 'data_sm';
  /** Decoded from `frame`, a copy of the bytes exactly as they arrived. */
  pdu: PduOf<'submit_sm'> | PduOf<'data_sm'>;
  frame: Buffer;
  outcome: SubmitOutcome;
  /** The command_status answered (after responseDelayMs); undefined when silent. */
  status: number | undefined;
  /** The id given in the response, when accepted. */
  messageId: string | undefined;
  /** The id the receipt will carry, when accepted. */
  receiptId: string | undefined;
}

export interface ReceiptRecord {
  at: number;
  sessionId: string;
  systemId: string;
  /** The id the submit_sm_resp gave. */
  messageId: string;
  /** The id in the receipt (TLV and text). */
  receiptId: string;
  stat: string;
  /** deliver_sm attempts so far, this one included. */
  attempt: number;
  /** The deliver_sm_resp command_status; undefined when no response came (timeout, session lost). */
  status: number | undefined;
  pdu: PduOf<'deliver_sm'>;
}

export interface BindRecord {
  at: number;
  sessionId: string;
  systemId: string;
  bindType: BindType;
  remoteAddress: string | undefined;
  status: number;
}

export interface MoSpec {
  from: string;
  to: string;
  text: string;
  /** The ESME to deliver to; default: any ESME with a receiver bound. */
  systemId?: string;
  /** Default: 0 when the text fits the GSM alphabet, else 8. */
  dataCoding?: TextCoding;
  sourceTon?: number;
  sourceNpi?: number;
  destTon?: number;
  destNpi?: number;
}

export type MoResult =
  | { ok: true; systemId: string; parts: number; statuses: number[] }
  | { ok: false; reason: 'no_receiver'; systemId: string | undefined }
  | { ok: false; reason: 'not_delivered'; systemId: string; statuses: (number | undefined)[]; error?: unknown };

export interface MoRecord {
  at: number;
  systemId: string;
  from: string;
  to: string;
  text: string;
  result: MoResult;
}

export interface SimulatorStats {
  bindsAccepted: number;
  bindsRefused: number;
  /** Sessions bound right now. */
  boundSessions: number;
  submitsReceived: number;
  accepted: number;
  /** Refused by the failure policy. */
  failed: number;
  throttled: number;
  /** Left unanswered because the simulator was silent. */
  silenced: number;
  queries: number;
  cancels: number;
  replaces: number;
  /** Receipts created for messages whose registered_delivery asked for one. */
  receiptsCreated: number;
  /** deliver_sm sent for receipts, retries included. */
  receiptsSent: number;
  receiptsAcknowledged: number;
  receiptsRetried: number;
  receiptsDropped: number;
  /** Receipts not yet acknowledged or dropped (waiting for a receiver, in flight, or waiting to retry). */
  receiptsPending: number;
  moSent: number;
  moAcknowledged: number;
}

export interface SimulatorEvents {
  listening: [ListenAddress];
  bind: [BindRecord];
  submit: [SubmitRecord];
  /** One per deliver_sm_resp (or missing response) for a receipt. */
  receipt: [ReceiptRecord];
  receipt_dropped: [{ messageId: string; systemId: string; reason: ReceiptDropReason }];
  mo: [MoRecord];
  session_closed: [{ sessionId: string; systemId: string | undefined; reason: CloseReason }];
  /** A listener of another event threw; the simulator carried on. */
  handler_error: [unknown];
}

type SubmitRequest = IncomingRequestOf<'submit_sm'> | IncomingRequestOf<'data_sm'>;

/** query_sm_resp error_code is one octet. */
const MAX_QUERY_ERROR_CODE = 0xff;

/**
 * An SMSC the way a carrier runs one, for tests, demos and the proxy's sandbox carriers. It
 * authenticates binds, answers submit_sm and data_sm with message ids in a chosen format, can
 * refuse a share of submits, throttle, stay silent or answer late, moves each accepted message to
 * a final state after a delay and sends the receipt to a receiver of the same system_id (waiting
 * for one to bind, retrying failures), answers query_sm, cancel_sm and replace_sm for the ids it
 * gave, and sends MO on demand. It records what it received, bytes included, so a test can check
 * exactly what reached the carrier.
 */
export class CarrierSimulator extends EventEmitter<SimulatorEvents> {
  private readonly options: ResolvedSimOptions;
  private behaviour: ResolvedBehaviour;
  private bucket: TokenBucket;
  private readonly ids: SimMessageIds;
  private readonly messages: SmscMessages;
  private readonly receivers = new Receivers();
  private readonly dispatcher: ReceiptDispatcher;
  private readonly receivedLog: RingLog<ReceivedPduRecord>;
  private readonly submitLog: RingLog<SubmitRecord>;
  private readonly receiptLog: RingLog<ReceiptRecord>;
  private readonly completions = new Map<SimMessage, NodeJS.Timeout>();
  /** Responses held back by responseDelayMs, each with the function that sends it. */
  private readonly delayed = new Map<NodeJS.Timeout, () => void>();
  private readonly counters: Omit<SimulatorStats, 'boundSessions' | 'receiptsPending'> = {
    bindsAccepted: 0,
    bindsRefused: 0,
    submitsReceived: 0,
    accepted: 0,
    failed: 0,
    throttled: 0,
    silenced: 0,
    queries: 0,
    cancels: 0,
    replaces: 0,
    receiptsCreated: 0,
    receiptsSent: 0,
    receiptsAcknowledged: 0,
    receiptsRetried: 0,
    receiptsDropped: 0,
    moSent: 0,
    moAcknowledged: 0,
  };
  private server: SmppServer | undefined;
  private listenAddress: ListenAddress | undefined;
  /** The port of the last run, reused by a restart when the options asked for port 0. */
  private lastPort: number | undefined;
  private transition: Promise<unknown> | undefined;
  /** Conditions waitForSubmits/waitForReceipts are waiting on. */
  private readonly progressWaiters = new Set<() => void>();

  constructor(options: CarrierSimulatorOptions = {}) {
    super();
    this.options = resolveSimOptions(options);
    this.behaviour = resolveBehaviour(SIM_DEFAULTS.behaviour, options);
    this.bucket = new TokenBucket(this.behaviour.throughput);
    this.ids = new SimMessageIds(this.options.messageIdFormat, this.options.firstMessageNumber);
    this.messages = new SmscMessages(this.options.maxMessages);
    this.receivedLog = new RingLog(this.options.recordLimit);
    this.submitLog = new RingLog(this.options.recordLimit);
    this.receiptLog = new RingLog(this.options.recordLimit);
    this.dispatcher = new ReceiptDispatcher(
      this.receivers,
      {
        retryMs: this.options.receiptRetryMs,
        maxAttempts: this.options.receiptMaxAttempts,
        maxPending: this.options.maxMessages,
      },
      {
        sent: (item) => {
          this.counters.receiptsSent++;
          if (item.attempts > 1) this.counters.receiptsRetried++;
        },
        answered: (item, via, status) => {
          if (status === Status.ESME_ROK) this.counters.receiptsAcknowledged++;
          this.recordReceipt(item, via, status);
          this.notifyProgress();
        },
        unanswered: (item, via) => this.recordReceipt(item, via, undefined),
        dropped: (item, reason) => {
          this.counters.receiptsDropped++;
          this.fire('receipt_dropped', { messageId: item.message.respId, systemId: item.systemId, reason });
        },
      },
    );
  }

  // ------------------------------------------------------------------ inspection

  get running(): boolean {
    return this.server !== undefined;
  }

  /** Where it listens; undefined when not started. */
  get address(): ListenAddress | undefined {
    return this.listenAddress;
  }

  /** The port it listens on; throws before start(). */
  get port(): number {
    if (this.listenAddress === undefined) throw new SimError('INVALID_STATE', 'the simulator is not listening');
    return this.listenAddress.port;
  }

  get stats(): SimulatorStats {
    return { ...this.counters, boundSessions: this.receivers.size, receiptsPending: this.dispatcher.pending };
  }

  /** Current behaviour (a copy). */
  get currentBehaviour(): SimBehaviour {
    const b = this.behaviour;
    return {
      receiptStatus: b.receiptStatus,
      receiptDelayMs: b.receiptDelayMs,
      receiptErr: b.receiptErr,
      failure: b.failure,
      throughput: b.throughput,
      responseDelayMs: b.responseDelayMs,
      silent: b.silent,
    };
  }

  /** Every PDU received, most recent `recordLimit`, oldest first. */
  get received(): ReceivedPduRecord[] {
    return this.receivedLog.toArray();
  }

  /** submit_sm and data_sm received, with what was answered; most recent `recordLimit`. */
  get submits(): SubmitRecord[] {
    return this.submitLog.toArray();
  }

  /** Receipt delivery attempts and their answers; most recent `recordLimit`. */
  get receipts(): ReceiptRecord[] {
    return this.receiptLog.toArray();
  }

  /** Bound sessions right now. */
  get sessions(): { sessionId: string; systemId: string; bindType: BindType }[] {
    return this.receivers.all().map((e) => ({ sessionId: e.session.id, systemId: e.systemId, bindType: e.bindType }));
  }

  /** What the simulator knows of a message, by either of its ids. */
  message(id: string): Readonly<SimMessage> | undefined {
    const message = this.messages.find(id);
    return message === undefined ? undefined : { ...message };
  }

  clearRecords(): void {
    this.receivedLog.clear();
    this.submitLog.clear();
    this.receiptLog.clear();
  }

  /** Resolves with the submits recorded once at least `count` have been received in total. */
  waitForSubmits(count: number, timeoutMs = 10_000): Promise<SubmitRecord[]> {
    return this.waitUntil(() => this.counters.submitsReceived >= count, timeoutMs, `${count} submits`).then(() => this.submits);
  }

  /** Resolves once at least `count` receipts have been acknowledged in total. */
  async waitForReceipts(count: number, timeoutMs = 10_000): Promise<ReceiptRecord[]> {
    await this.waitUntil(() => this.counters.receiptsAcknowledged >= count, timeoutMs, `${count} acknowledged receipts`);
    return this.receipts;
  }

  // ------------------------------------------------------------------ control

  /** Changes behaviour while running; fields left out keep their value. Throws INVALID_OPTION. */
  configure(changes: Partial<SimBehaviour>): void {
    const next = resolveBehaviour(this.behaviour, changes);
    if (next.throughput !== this.behaviour.throughput) this.bucket = new TokenBucket(next.throughput);
    this.behaviour = next;
  }

  /**
   * Starts listening. A simulator can be stopped and started again; a restart reuses the port
   * of the previous run when the options said port 0, so clients can reconnect.
   */
  async start(): Promise<ListenAddress> {
    await this.transition;
    if (this.server !== undefined) throw new SimError('INVALID_STATE', 'the simulator is already running');
    const server = createSmppServer(
      { host: this.options.host, port: this.options.port || (this.lastPort ?? 0), tls: this.options.tls },
      {
        ...this.options.session,
        systemId: this.options.systemId,
        authenticate: async (bind, context) => this.authenticate(bind, context.sessionId, context.remoteAddress),
      },
      (session) => this.attach(session),
    );
    server.on('handler_error', (error) => this.fire('handler_error', error));
    this.dispatcher.resume();
    const starting = server.listen();
    this.transition = starting.catch(() => undefined);
    const address = await starting;
    this.server = server;
    this.listenAddress = address;
    this.lastPort = address.port;
    this.fire('listening', address);
    return address;
  }

  /**
   * Stops: answers the responses still held by responseDelayMs, forgets scheduled receipts,
   * unbinds every session gracefully (each bounded by the session's unbind timeout), closes the
   * listener. Idempotent.
   */
  async stop(): Promise<void> {
    await this.transition;
    const server = this.server;
    if (server === undefined) return;
    this.server = undefined;
    const stopping = (async () => {
      for (const timer of this.completions.values()) clearTimeout(timer);
      this.completions.clear();
      for (const [timer, send] of this.delayed) {
        clearTimeout(timer);
        send();
      }
      this.delayed.clear();
      this.dispatcher.stop();
      await server.close();
      this.listenAddress = undefined;
    })();
    this.transition = stopping;
    await stopping;
  }

  /** Drops every connection without unbinding, as a crashed SMSC or a cut link would. */
  dropSessions(): void {
    for (const session of this.server?.sessions ?? []) session.socket.destroy();
  }

  /**
   * Sends a mobile-originated message (deliver_sm, split with a concatenation UDH when long) to
   * a receiver of `systemId`, or of any ESME with a receiver bound. Resolves with the
   * deliver_sm_resp statuses; never rejects.
   */
  async sendMo(mo: MoSpec): Promise<MoResult> {
    const systemId = mo.systemId ?? this.receivers.anySystemId();
    const record = (result: MoResult): MoResult => {
      this.fire('mo', { at: Date.now(), systemId: systemId ?? '', from: mo.from, to: mo.to, text: mo.text, result });
      return result;
    };
    if (systemId === undefined || this.receivers.of(systemId).length === 0) {
      return record({ ok: false, reason: 'no_receiver', systemId });
    }
    const text = buildTextParts(mo.text, {
      ...(mo.dataCoding === undefined ? {} : { dataCoding: mo.dataCoding }),
      reference: Math.floor(Math.random() * 256),
    });
    const statuses: (number | undefined)[] = [];
    for (const part of text.parts) {
      const pdu = deliverSmPdu({
        source_addr_ton: mo.sourceTon ?? 1,
        source_addr_npi: mo.sourceNpi ?? 1,
        source_addr: mo.from,
        dest_addr_ton: mo.destTon ?? 0,
        dest_addr_npi: mo.destNpi ?? 0,
        destination_addr: mo.to,
        esm_class: text.esmClass,
        data_coding: text.dataCoding,
        short_message: part,
      });
      try {
        const status = await this.deliverMoPart(systemId, pdu);
        statuses.push(status);
        if (status !== Status.ESME_ROK) return record({ ok: false, reason: 'not_delivered', systemId, statuses });
      } catch (error) {
        statuses.push(undefined);
        return record({ ok: false, reason: 'not_delivered', systemId, statuses, error });
      }
    }
    return record({ ok: true, systemId, parts: text.parts.length, statuses: statuses as number[] });
  }

  // ------------------------------------------------------------------ sessions

  private async authenticate(
    bind: PduOf<'bind_transmitter' | 'bind_receiver' | 'bind_transceiver'>,
    sessionId: string,
    remoteAddress: string | undefined,
  ): Promise<AuthResult> {
    const accounts = this.options.accounts;
    const { system_id, password } = bind.body;
    const ok = accounts.length === 0 || accounts.some((a) => a.systemId === system_id && a.password === password);
    const status = ok ? Status.ESME_ROK : Status.ESME_RBINDFAIL;
    if (ok) this.counters.bindsAccepted++;
    else this.counters.bindsRefused++;
    const bindType = bind.command.slice('bind_'.length) as BindType;
    this.fire('bind', { at: Date.now(), sessionId, systemId: system_id, bindType, remoteAddress, status });
    return { status };
  }

  private attach(session: SmppSession): void {
    if (this.options.recordLimit > 0) {
      session.on('pdu_in', (info) => {
        const frame = Buffer.from(info.frame);
        const decoded = decodePdu(frame);
        this.receivedLog.push({
          at: Date.now(),
          sessionId: session.id,
          systemId: session.peerSystemId,
          command: info.command,
          frame,
          pdu: decoded.ok ? decoded.pdu : undefined,
        });
      });
    }
    session.on('bound', (info) => {
      const entry: BoundSession = { session, systemId: info.peerSystemId, bindType: info.bindType, room: new RoomWaiter(session) };
      this.receivers.add(entry);
      if (info.bindType !== 'transmitter') {
        session.on('drain', () => this.dispatcher.flush(entry.systemId));
        this.dispatcher.flush(entry.systemId);
      }
    });
    session.on('request', (request) => {
      switch (request.command) {
        case 'submit_sm':
        case 'data_sm':
          this.onSubmit(session, request);
          break;
        case 'query_sm':
          this.onQuery(session, request);
          break;
        case 'cancel_sm':
          this.onCancel(session, request);
          break;
        case 'replace_sm':
          this.onReplace(session, request);
          break;
        case 'submit_multi':
          // Not simulated: answered as an SMSC answers a command it does not support.
          request.respondRaw(encodePdu(makePdu('generic_nack', {}, { status: Status.ESME_RINVCMDID })));
          break;
        default:
          // deliver_sm, outbind and alert_notification never reach an SMSC from an ESME: the
          // session's bind-state table answers them before they get here.
          break;
      }
    });
    session.on('close', (reason) => {
      const entry = this.receivers.remove(session);
      this.fire('session_closed', { sessionId: session.id, systemId: entry?.systemId ?? session.peerSystemId, reason });
    });
  }

  // ------------------------------------------------------------------ submits

  private onSubmit(session: SmppSession, request: SubmitRequest): void {
    const systemId = session.peerSystemId ?? '';
    this.counters.submitsReceived++;
    // Records cost a copy and a decode per submit, so they are made only when someone keeps or hears them.
    const recording = this.options.recordLimit > 0 || this.listenerCount('submit') > 0;
    const record = recording ? this.newSubmitRecord(session, systemId, request) : undefined;
    const behaviour = this.behaviour;

    let outcome: SubmitOutcome;
    let status: number | undefined;
    let message: SimMessage | undefined;
    if (behaviour.silent) {
      this.counters.silenced++;
      outcome = SubmitOutcome.silent;
    } else if (!this.bucket.tryTake()) {
      this.counters.throttled++;
      outcome = SubmitOutcome.throttled;
      status = Status.ESME_RTHROTTLED;
    } else if (behaviour.failurePolicy?.shouldFail() === true) {
      this.counters.failed++;
      outcome = SubmitOutcome.failed;
      status = behaviour.failurePolicy.status;
    } else {
      this.counters.accepted++;
      outcome = SubmitOutcome.accepted;
      status = Status.ESME_ROK;
      message = this.accept(systemId, request, behaviour);
    }
    if (status !== undefined) this.answer(request, status, message?.respId);
    if (record !== undefined) {
      record.outcome = outcome;
      record.status = status;
      record.messageId = message?.respId;
      record.receiptId = message?.receiptId;
      this.submitLog.push(record);
      this.fire('submit', record);
    }
    this.notifyProgress();
  }

  private newSubmitRecord(session: SmppSession, systemId: string, request: SubmitRequest): SubmitRecord {
    // The request's frame is a view into the socket's read buffer; a copy keeps the record small and stable.
    const frame = Buffer.from(request.frame);
    const decoded = decodePdu(frame);
    return {
      at: Date.now(),
      sessionId: session.id,
      systemId,
      command: request.command,
      pdu: (decoded.ok ? decoded.pdu : request.pdu) as SubmitRecord['pdu'],
      frame,
      outcome: SubmitOutcome.silent,
      status: undefined,
      messageId: undefined,
      receiptId: undefined,
    };
  }

  private accept(systemId: string, request: SubmitRequest, behaviour: ResolvedBehaviour): SimMessage {
    const ids = this.ids.take();
    const body = request.pdu.body;
    const shortMessage = request.command === 'submit_sm' ? request.pdu.body.short_message : Buffer.alloc(0);
    const message: SimMessage = {
      respId: ids.respId,
      receiptId: ids.receiptId,
      systemId,
      command: request.command,
      serviceType: body.service_type,
      sourceAddr: body.source_addr,
      sourceTon: body.source_addr_ton,
      sourceNpi: body.source_addr_npi,
      destinationAddr: body.destination_addr,
      destTon: body.dest_addr_ton,
      destNpi: body.dest_addr_npi,
      registeredDelivery: body.registered_delivery,
      preview: messagePreview(shortMessage, body.data_coding, body.esm_class, request.pdu.tlvs),
      submittedAt: new Date(),
      doneAt: undefined,
      state: MessageState.ENROUTE,
      stat: undefined,
      err: behaviour.receiptErr,
    };
    this.messages.add(message);
    const stat = behaviour.receiptStatus;
    const timer = setTimeout(() => {
      this.completions.delete(message);
      this.complete(message, stat);
    }, behaviour.receiptDelayMs);
    this.completions.set(message, timer);
    return message;
  }

  private complete(message: SimMessage, stat: SimBehaviour['receiptStatus']): void {
    if (!isPending(message)) return;
    message.state = stateOfStat(stat);
    message.stat = stat;
    message.doneAt = new Date();
    if (!wantsReceipt(message.registeredDelivery, message.state)) return;
    this.counters.receiptsCreated++;
    this.dispatcher.enqueue({ systemId: message.systemId, message, pdu: buildReceiptPdu(message, message.doneAt), attempts: 0 });
  }

  private answer(request: SubmitRequest, status: number, messageId?: string): void {
    const send = (): void => {
      if (request.responded) return;
      if (messageId === undefined) request.respond(status);
      else request.respond(status, { message_id: messageId });
    };
    const delay = this.behaviour.responseDelayMs;
    if (delay <= 0) {
      send();
      return;
    }
    const timer = setTimeout(() => {
      this.delayed.delete(timer);
      send();
    }, delay);
    this.delayed.set(timer, send);
  }

  // ------------------------------------------------------------------ query, cancel, replace

  /** The message an ESME names, if it exists and belongs to that ESME. */
  private owned(session: SmppSession, id: string): SimMessage | undefined {
    const message = this.messages.find(id);
    return message !== undefined && message.systemId === (session.peerSystemId ?? '') ? message : undefined;
  }

  private onQuery(session: SmppSession, request: IncomingRequestOf<'query_sm'>): void {
    this.counters.queries++;
    const id = request.pdu.body.message_id;
    const message = this.owned(session, id);
    if (message === undefined) {
      request.respond(Status.ESME_RINVMSGID);
      return;
    }
    request.respond(Status.ESME_ROK, {
      message_id: id,
      final_date: message.doneAt === undefined ? '' : smppAbsoluteTime(message.doneAt),
      message_state: message.state,
      error_code: Math.min(message.err, MAX_QUERY_ERROR_CODE),
    });
  }

  private onCancel(session: SmppSession, request: IncomingRequestOf<'cancel_sm'>): void {
    this.counters.cancels++;
    const body = request.pdu.body;
    let targets: SimMessage[];
    if (body.message_id === '') {
      // SMPP 3.4 4.9.1: no message_id cancels every pending message from source_addr to destination_addr.
      targets = [...this.messages.pendingOf(session.peerSystemId ?? '')].filter(
        (m) =>
          m.sourceAddr === body.source_addr &&
          m.destinationAddr === body.destination_addr &&
          (body.service_type === '' || m.serviceType === body.service_type),
      );
      if (targets.length === 0) {
        request.respond(Status.ESME_RCANCELFAIL);
        return;
      }
    } else {
      const message = this.owned(session, body.message_id);
      if (message === undefined) {
        request.respond(Status.ESME_RINVMSGID);
        return;
      }
      if (!isPending(message)) {
        request.respond(Status.ESME_RCANCELFAIL);
        return;
      }
      targets = [message];
    }
    const now = new Date();
    for (const message of targets) {
      const timer = this.completions.get(message);
      if (timer !== undefined) clearTimeout(timer);
      this.completions.delete(message);
      message.state = MessageState.DELETED;
      message.stat = 'DELETED';
      message.doneAt = now;
    }
    request.respond(Status.ESME_ROK);
  }

  private onReplace(session: SmppSession, request: IncomingRequestOf<'replace_sm'>): void {
    this.counters.replaces++;
    const body = request.pdu.body;
    const message = this.owned(session, body.message_id);
    if (message === undefined) {
      request.respond(Status.ESME_RINVMSGID);
      return;
    }
    if (!isPending(message)) {
      request.respond(Status.ESME_RREPLACEFAIL);
      return;
    }
    // replace_sm carries no data_coding or esm_class: the original message's apply to the new text.
    message.preview = messagePreview(body.short_message, 0, 0, request.pdu.tlvs);
    message.registeredDelivery = body.registered_delivery;
    request.respond(Status.ESME_ROK);
  }

  // ------------------------------------------------------------------ MO and receipts

  private async deliverMoPart(systemId: string, pdu: PduOf<'deliver_sm'>): Promise<number> {
    for (;;) {
      const candidates = this.receivers.rotation(systemId);
      if (candidates.length === 0) throw new SimError('INVALID_STATE', `no receiver of ${systemId} is bound`);
      let response: Promise<PduOf<'deliver_sm_resp'>> | null = null;
      for (const via of candidates) {
        response = via.session.request(pdu);
        if (response !== null) break;
      }
      if (response === null) {
        // Every window is full: wait for room on one, or for it to close and the rotation to change.
        await candidates[0]!.room.wait();
        continue;
      }
      this.counters.moSent++;
      const resp = await response;
      if (resp.status === Status.ESME_ROK) this.counters.moAcknowledged++;
      return resp.status;
    }
  }

  private recordReceipt(item: ReceiptDelivery, via: BoundSession, status: number | undefined): void {
    const record: ReceiptRecord = {
      at: Date.now(),
      sessionId: via.session.id,
      systemId: item.systemId,
      messageId: item.message.respId,
      receiptId: item.message.receiptId,
      stat: item.message.stat ?? '',
      attempt: item.attempts,
      status,
      pdu: item.pdu,
    };
    this.receiptLog.push(record);
    this.fire('receipt', record);
  }

  // ------------------------------------------------------------------ helpers

  /** Resolves when done() holds, checked after every submit and receipt answer; rejects on timeout. */
  private waitUntil(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!done()) return;
        cleanup();
        resolve();
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new SimError('INVALID_STATE', `timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.progressWaiters.delete(check);
      };
      this.progressWaiters.add(check);
    });
  }

  private notifyProgress(): void {
    for (const check of [...this.progressWaiters]) check();
  }

  /** Emits without letting a throwing listener break the socket handler that called us. */
  private fire<K extends keyof SimulatorEvents>(event: K, ...args: SimulatorEvents[K]): void {
    try {
      (this.emit as (event: K, ...args: SimulatorEvents[K]) => boolean)(event, ...args);
    } catch (error) {
      if (event === 'handler_error') return;
      try {
        this.emit('handler_error', error);
      } catch {
        // A throwing error handler has nowhere left to report to.
      }
    }
  }
}
