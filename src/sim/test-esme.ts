import { EventEmitter } from 'node:events';
import {
  SessionError,
  connectAndBind,
  isSessionError,
  type BindType,
  type CloseReason,
  type IncomingRequest,
  type SmppSession,
  type TlsClientOptions,
} from '../session/index.js';
import {
  MessageIdFormat,
  Status,
  isReceipt,
  messageIdKeys,
  messageStateOf,
  parseReceiptText,
  receiptedMessageIdOf,
  type PduOf,
} from '../smpp/index.js';
import { buildTextParts, messageBody, readableText, type TextCoding } from './message-text.js';
import { submitSmPdu } from './pdus.js';
import { RoomWaiter } from './room-waiter.js';

export interface TestEsmeOptions {
  host: string;
  port: number;
  systemId: string;
  password: string;
  systemType?: string;
  /** Default transceiver, so receipts come back on the same session. */
  bindType?: BindType;
  tls?: boolean | TlsClientOptions;
  /** Requests awaiting a response at once. Default 10. */
  window?: number;
  /** Per-request response timeout. Default 10 s. */
  responseTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** 0 turns keepalive off. Default 30 s. */
  enquireLinkIntervalMs?: number;
  /**
   * command_status to answer each deliver_sm with (receipts and MO); default ESME_ROK. Lets a
   * test play an ESME that refuses (ESME_RX_T_APPN) and watch the sender retry.
   */
  deliverResponse?: (pdu: PduOf<'deliver_sm'> | PduOf<'data_sm'>) => number;
  signal?: AbortSignal;
}

export interface MessageSpec {
  from: string;
  to: string;
  text: string;
  /** Default: 0 when the text fits the GSM alphabet, else 8. */
  dataCoding?: TextCoding;
  /** Default 1 (a receipt on success or failure). */
  registeredDelivery?: number;
  sourceTon?: number;
  sourceNpi?: number;
  destTon?: number;
  destNpi?: number;
  /** Concatenation reference for a long text; random when absent. */
  reference?: number;
}

/** What became of one submit_sm. */
export interface PartResult {
  /** 1-based part number and the number of parts of its message. */
  part: number;
  of: number;
  /** The submit_sm_resp command_status; undefined when no response came (see error). */
  status: number | undefined;
  /** The id from an ESME_ROK response. */
  messageId: string | undefined;
  /** Why there was no response: timeout, session closed, generic_nack. */
  error: SessionError | undefined;
}

export interface MessageResult {
  parts: PartResult[];
  /** Every part was accepted. */
  ok: boolean;
}

export interface EsmeReceipt {
  /** receipted_message_id, or the text's id when the TLV is absent. */
  messageId: string;
  stat: string | undefined;
  /** message_state TLV. */
  state: number | undefined;
  err: string | undefined;
  /** The short_message as latin1 text. */
  text: string;
  pdu: PduOf<'deliver_sm'> | PduOf<'data_sm'>;
  /** Date.now() on arrival. */
  receivedAt: number;
}

export interface EsmeMo {
  from: string;
  to: string;
  dataCoding: number;
  esmClass: number;
  /** The user data without UDH, decoded when its data_coding is text; hex otherwise. */
  text: string;
  pdu: PduOf<'deliver_sm'> | PduOf<'data_sm'>;
  receivedAt: number;
}

export interface ReceiptWait {
  received: EsmeReceipt[];
  /** Ids given that no receipt arrived for in time. */
  missing: string[];
}

export interface TestEsmeEvents {
  receipt: [EsmeReceipt];
  mo: [EsmeMo];
  close: [CloseReason];
}

/**
 * A scriptable ESME: binds, submits text (split into concatenated parts when long) within its
 * window, and collects the receipts and MO that arrive. The `send` command, the tests and the
 * benchmark all drive an SMSC (the proxy or the carrier simulator) through it.
 */
export class TestEsme extends EventEmitter<TestEsmeEvents> {
  readonly session: SmppSession;
  private readonly room: RoomWaiter;
  private readonly receiptList: EsmeReceipt[] = [];
  private readonly moList: EsmeMo[] = [];
  /** Receipts by every lookup key of their id, so a hex resp id finds a decimal receipt id. */
  private readonly receiptsByKey = new Map<string, EsmeReceipt>();
  private readonly receiptWaiters = new Set<(receipt: EsmeReceipt | undefined) => void>();
  private duplicates = 0;

  private constructor(
    session: SmppSession,
    private readonly deliverResponse: TestEsmeOptions['deliverResponse'],
  ) {
    super();
    this.session = session;
    this.room = new RoomWaiter(session);
    session.on('request', (request) => this.onRequest(request));
    session.on('close', (reason) => {
      this.wakeReceiptWaiters(undefined);
      this.emit('close', reason);
    });
  }

  /** Connects and binds; rejects with the session layer's SessionError (CONNECT_FAILED, BIND_FAILED, ...). */
  static async connect(options: TestEsmeOptions): Promise<TestEsme> {
    // Built before the bind goes out, so receipts the proxy sends right behind its bind_resp
    // (queued while this account was offline) find their handler.
    let esme: TestEsme | undefined;
    await connectAndBind({
      onSession: (session) => {
        esme = new TestEsme(session, options.deliverResponse);
      },
      host: options.host,
      port: options.port,
      ...(options.tls === undefined ? {} : { tls: options.tls }),
      ...(options.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: options.connectTimeoutMs }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      bindType: options.bindType ?? 'transceiver',
      bind: { system_id: options.systemId, password: options.password, system_type: options.systemType ?? '' },
      session: {
        windowSize: options.window ?? 10,
        responseTimeoutMs: options.responseTimeoutMs ?? 10_000,
        enquireLinkIntervalMs: options.enquireLinkIntervalMs ?? 30_000,
      },
    });
    return esme!;
  }

  get receipts(): readonly EsmeReceipt[] {
    return this.receiptList;
  }

  get mos(): readonly EsmeMo[] {
    return this.moList;
  }

  /** Receipts whose id had already been seen. */
  get duplicateReceipts(): number {
    return this.duplicates;
  }

  get isClosed(): boolean {
    return this.session.isClosed;
  }

  /** Submits one message, every part in order, and resolves with what each part got. Never rejects for SMPP-level failures. */
  async submit(spec: MessageSpec): Promise<MessageResult> {
    const pdus = buildSubmitPdus(spec);
    const parts: PartResult[] = [];
    for (let i = 0; i < pdus.length; i++) {
      parts.push({ part: i + 1, of: pdus.length, ...(await this.submitPdu(pdus[i]!)) });
    }
    return { parts, ok: parts.every((p) => p.status === Status.ESME_ROK) };
  }

  /**
   * Sends one request, waiting for window room first, and resolves with its response status and
   * message id, or with the SessionError that stands for a missing response.
   */
  async submitPdu(pdu: PduOf<'submit_sm'> | PduOf<'data_sm'>): Promise<Omit<PartResult, 'part' | 'of'>> {
    for (;;) {
      let response: Promise<PduOf<'submit_sm_resp'> | PduOf<'data_sm_resp'>> | null;
      try {
        response = this.session.request(pdu);
      } catch (error) {
        if (isSessionError(error)) return { status: undefined, messageId: undefined, error };
        throw error;
      }
      if (response === null) {
        if (this.session.isClosed || !(await this.room.wait())) {
          return { status: undefined, messageId: undefined, error: new SessionError('SESSION_CLOSED', 'session closed before the submit could be sent') };
        }
        continue;
      }
      try {
        const resp = await response;
        const messageId = resp.status === Status.ESME_ROK ? resp.body.message_id : undefined;
        return { status: resp.status, messageId, error: undefined };
      } catch (error) {
        if (isSessionError(error)) return { status: undefined, messageId: undefined, error };
        throw error;
      }
    }
  }

  /** The receipt for a message id (in any of the spellings a carrier uses for one number). */
  receiptFor(messageId: string): EsmeReceipt | undefined {
    for (const key of messageIdKeys(messageId, MessageIdFormat.auto)) {
      const receipt = this.receiptsByKey.get(key);
      if (receipt !== undefined) return receipt;
    }
    return undefined;
  }

  /**
   * Waits until a receipt has arrived for every id, the timeout passes, the signal aborts or
   * the session closes; resolves with what arrived and what is missing. Never rejects. Each
   * arriving receipt is checked against the ids it can match only, so waiting on many ids stays
   * linear in their number.
   */
  waitForReceipts(messageIds: readonly string[], timeoutMs: number, signal?: AbortSignal): Promise<ReceiptWait> {
    const outstanding = new Set(messageIds.filter((id) => this.receiptFor(id) === undefined));
    const idsByKey = new Map<string, string[]>();
    for (const id of outstanding) {
      for (const key of messageIdKeys(id, MessageIdFormat.auto)) {
        const list = idsByKey.get(key);
        if (list === undefined) idsByKey.set(key, [id]);
        else list.push(id);
      }
    }
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const finish = (): void => {
        if (timer !== undefined) clearTimeout(timer);
        this.receiptWaiters.delete(check);
        signal?.removeEventListener('abort', finish);
        const received: EsmeReceipt[] = [];
        const missing: string[] = [];
        for (const id of messageIds) {
          const receipt = this.receiptFor(id);
          if (receipt === undefined) missing.push(id);
          else received.push(receipt);
        }
        resolve({ received, missing });
      };
      const check = (receipt: EsmeReceipt | undefined): void => {
        if (receipt !== undefined) {
          for (const key of messageIdKeys(receipt.messageId, MessageIdFormat.auto)) {
            for (const id of idsByKey.get(key) ?? []) outstanding.delete(id);
          }
        }
        if (outstanding.size === 0 || this.session.isClosed) finish();
      };
      if (signal?.aborted === true) {
        finish();
        return;
      }
      this.receiptWaiters.add(check);
      signal?.addEventListener('abort', finish, { once: true });
      timer = setTimeout(finish, timeoutMs);
      check(undefined);
    });
  }

  /** Unbinds gracefully (in-flight requests finish first); resolves once the session is closed. */
  close(): Promise<void> {
    return this.session.unbind();
  }

  private onRequest(request: IncomingRequest): void {
    if (request.command !== 'deliver_sm' && request.command !== 'data_sm') {
      if (!request.responded && request.command !== 'outbind' && request.command !== 'alert_notification') {
        request.respond(Status.ESME_RINVCMDID);
      }
      return;
    }
    const pdu = request.pdu;
    const status = this.deliverResponse?.(pdu) ?? Status.ESME_ROK;
    if (isReceipt(pdu.body.esm_class)) {
      if (status === Status.ESME_ROK) this.recordReceipt(pdu);
    } else if (status === Status.ESME_ROK) {
      this.recordMo(pdu);
    }
    if (status === Status.ESME_ROK) request.respond(status, { message_id: '' });
    else request.respond(status);
  }

  private recordReceipt(pdu: PduOf<'deliver_sm'> | PduOf<'data_sm'>): void {
    const data = pdu.command === 'deliver_sm' ? messageBody(pdu.body.short_message, 0, pdu.tlvs) : messageBody(Buffer.alloc(0), 0, pdu.tlvs);
    const text = data.toString('latin1');
    const fields = parseReceiptText(data);
    const messageId = receiptedMessageIdOf(pdu.tlvs) ?? fields?.id;
    if (messageId === undefined) return;
    const receipt: EsmeReceipt = {
      messageId,
      stat: fields?.stat,
      state: messageStateOf(pdu.tlvs),
      err: fields?.err,
      text,
      pdu,
      receivedAt: Date.now(),
    };
    const keys = messageIdKeys(messageId, MessageIdFormat.auto);
    if (keys.some((key) => this.receiptsByKey.has(key))) this.duplicates++;
    for (const key of keys) if (!this.receiptsByKey.has(key)) this.receiptsByKey.set(key, receipt);
    this.receiptList.push(receipt);
    this.emit('receipt', receipt);
    this.wakeReceiptWaiters(receipt);
  }

  private recordMo(pdu: PduOf<'deliver_sm'> | PduOf<'data_sm'>): void {
    const shortMessage = pdu.command === 'deliver_sm' ? pdu.body.short_message : Buffer.alloc(0);
    const data = messageBody(shortMessage, pdu.body.esm_class, pdu.tlvs);
    const mo: EsmeMo = {
      from: pdu.body.source_addr,
      to: pdu.body.destination_addr,
      dataCoding: pdu.body.data_coding,
      esmClass: pdu.body.esm_class,
      text: readableText(data, pdu.body.data_coding) ?? data.toString('hex'),
      pdu,
      receivedAt: Date.now(),
    };
    this.moList.push(mo);
    this.emit('mo', mo);
  }

  private wakeReceiptWaiters(receipt: EsmeReceipt | undefined): void {
    for (const check of [...this.receiptWaiters]) check(receipt);
  }
}

/** The submit_sm PDUs for one message: one, or one per concatenated part. */
export function buildSubmitPdus(spec: MessageSpec): PduOf<'submit_sm'>[] {
  const text = buildTextParts(spec.text, {
    ...(spec.dataCoding === undefined ? {} : { dataCoding: spec.dataCoding }),
    reference: spec.reference ?? Math.floor(Math.random() * 256),
  });
  return text.parts.map((part) =>
    submitSmPdu({
      source_addr_ton: spec.sourceTon ?? (/^\d+$/.test(spec.from) ? 1 : 5),
      source_addr_npi: spec.sourceNpi ?? (/^\d+$/.test(spec.from) ? 1 : 0),
      source_addr: spec.from,
      dest_addr_ton: spec.destTon ?? 1,
      dest_addr_npi: spec.destNpi ?? 1,
      destination_addr: spec.to,
      esm_class: text.esmClass,
      registered_delivery: spec.registeredDelivery ?? 1,
      data_coding: text.dataCoding,
      short_message: part,
    }),
  );
}
