import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import {
  CommandId,
  FrameSplitter,
  SmppError,
  Status,
  TlvTag,
  commandNameOf,
  decodePdu,
  encodePdu,
  errorResponseFor,
  integerTlv,
  isResponseId,
  makePdu,
  patchSequence,
  readHeader,
  responseIdOf,
  responseNameOf,
  type Pdu,
  type PduOf,
} from '../smpp/index.js';
import { SessionError } from './errors.js';
import { CloseCode, type CloseReason, type SessionEvents } from './events.js';
import {
  InboundRequest,
  isAppRequestCommand,
  type IncomingRequest,
  type ResponsePduOf,
  type ResponseSink,
} from './inbound.js';
import { resolveSessionOptions, type AuthResult, type ResolvedSessionOptions, type SessionOptions } from './options.js';
import { SequenceGenerator } from './sequence.js';
import {
  BIND_COMMAND_FOR,
  BOUND_STATE_FOR,
  BindState,
  MESSAGE_COMMANDS,
  bindTypeOf,
  incomingStatus,
  isBound,
  maySend,
  type BindCommand,
  type BindType,
  type MessageCommand,
  type Role,
} from './states.js';
import type { TimerHandle, Timers } from './timers.js';
import { RequestWindow } from './window.js';
import { CoalescingWriter } from './writer.js';

/** Requests the application sends through request()/requestRaw(); each expects a response. */
export type OutgoingRequestCommand = MessageCommand | 'enquire_link';

/** Requests SMPP 3.4 never answers; sent with notify(). */
export type OneWayCommand = 'outbind' | 'alert_notification';

const OUTGOING_REQUESTS: ReadonlySet<string> = new Set<OutgoingRequestCommand>([...MESSAGE_COMMANDS, 'enquire_link']);

const ONE_WAY: ReadonlySet<string> = new Set<OneWayCommand>(['outbind', 'alert_notification']);

/** Fields of a bind_* request; the optional ones default to empty / 0 and interface_version 0x34. */
export interface BindParams {
  system_id: string;
  password: string;
  system_type?: string;
  interface_version?: number;
  addr_ton?: number;
  addr_npi?: number;
  address_range?: string;
}

const SMPP_VERSION_34 = 0x34;

let sessionCounter = 0;

/**
 * One SMPP session over one socket, for either role. It owns framing, the bind state machine,
 * sequence numbers, the window of our outstanding requests, keepalive and every timeout; the
 * application sees decoded requests ('request'), sends its own with request()/requestRaw(), and
 * learns everything else through events, so the hot path never knows who is listening.
 */
export class SmppSession extends EventEmitter<SessionEvents> {
  /** Unique within this process, for logs and correlation. */
  readonly id: string;
  readonly role: Role;
  readonly socket: Socket;
  readonly remoteAddress: string | undefined;
  readonly remotePort: number | undefined;
  readonly isTls: boolean;

  private readonly options: ResolvedSessionOptions;
  private readonly timers: Timers;
  private readonly splitter: FrameSplitter;
  private readonly sequences: SequenceGenerator;
  private readonly window: RequestWindow<Pdu>;
  private readonly writer: CoalescingWriter;
  private readonly sink: ResponseSink;
  /** Requests handed to the application that still owe the peer a response. */
  private readonly inbound = new Set<InboundRequest>();
  private readonly idleWaiters = new Set<() => boolean>();

  private stateValue: BindState = BindState.OPEN;
  private bindTypeValue: BindType | undefined;
  private peerSystemIdValue: string | undefined;
  private closeReasonValue: CloseReason | undefined;
  private readonly closedPromise: Promise<CloseReason>;
  private resolveClosed!: (reason: CloseReason) => void;

  private lastReceivedAt: number;
  private lastActivityAt: number;
  private sessionInitTimer: TimerHandle | undefined;
  private keepaliveTimer: TimerHandle | undefined;
  private inactivityTimer: TimerHandle | undefined;
  private partialTimer: TimerHandle | undefined;
  private lingerTimer: NodeJS.Timeout | undefined;

  /** Sequence number of our keepalive enquire_link awaiting its response. */
  private keepaliveSequence: number | undefined;
  private pendingBind: { sequence: number; type: BindType } | undefined;
  /** Our unbind awaiting unbind_resp, and the close code the session ends with when it comes. */
  private pendingUnbind: { sequence: number; closeCode: CloseCode } | undefined;
  private authenticating = false;
  private readingPaused = false;
  /** false once an unbind started: request() refuses new work from then on. */
  private accepting = true;
  /** request() returned null since the last 'drain', so a 'drain' is owed. */
  private refused = false;
  private unbindPromise: Promise<void> | undefined;

  constructor(socket: Socket, options: SessionOptions) {
    super();
    this.options = resolveSessionOptions(options);
    this.id = `s${++sessionCounter}`;
    this.role = this.options.role;
    this.socket = socket;
    this.remoteAddress = socket.remoteAddress;
    this.remotePort = socket.remotePort;
    this.isTls = socket instanceof TLSSocket;
    this.timers = this.options.timers;
    this.splitter = new FrameSplitter(this.options.maxPduBeforeBind);
    this.sequences = new SequenceGenerator(this.options.sequenceStart);
    this.window = new RequestWindow<Pdu>({
      size: this.options.windowSize,
      timeoutMs: this.options.responseTimeoutMs,
      timers: this.timers,
    });
    this.window.on('drain', () => this.maybeDrain());
    this.window.on('idle', () => this.checkIdleWaiters());
    this.window.on('timeout', (expired) => {
      this.fire('response_timeout', expired);
      if (expired.sequence === this.keepaliveSequence) {
        this.shutdown({ code: CloseCode.ENQUIRE_LINK_TIMEOUT, message: 'enquire_link was not answered' });
      }
    });
    this.closedPromise = new Promise((resolve) => {
      this.resolveClosed = resolve;
    });
    this.sink = {
      isClosed: () => this.isClosed,
      sendResponse: (frame) => this.sendFrame(frame),
      settled: (request) => this.onInboundSettled(request),
    };

    const now = this.timers.now();
    this.lastReceivedAt = now;
    this.lastActivityAt = now;

    this.writer = new CoalescingWriter(socket, (congested) => this.onCongestion(congested));
    // The coalescing writer already batches; Nagle would only add latency on top of it.
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.shutdown({ code: CloseCode.PEER_CLOSED, message: 'peer ended the connection' }));
    socket.on('close', () => {
      if (this.lingerTimer !== undefined) clearTimeout(this.lingerTimer);
      this.shutdown({ code: CloseCode.PEER_CLOSED, message: 'connection closed' });
    });
    // Kept for the socket's whole life: an 'error' without a listener would crash the process.
    socket.on('error', (error: Error) =>
      this.shutdown({ code: CloseCode.SOCKET_ERROR, message: error.message, error }),
    );

    if (this.options.sessionInitTimeoutMs > 0) {
      this.sessionInitTimer = this.timers.setTimeout(() => {
        this.sessionInitTimer = undefined;
        this.shutdown({
          code: CloseCode.SESSION_INIT_TIMEOUT,
          message: `no successful bind within ${this.options.sessionInitTimeoutMs} ms`,
        });
      }, this.options.sessionInitTimeoutMs);
    }
    this.scheduleInactivity(this.options.inactivityTimeoutMs);

    if (socket.destroyed) {
      // The peer can vanish between accept and here; report it once listeners are attached.
      process.nextTick(() => this.shutdown({ code: CloseCode.PEER_CLOSED, message: 'connection already closed' }));
    }
  }

  // ---------------------------------------------------------------- state

  get state(): BindState {
    return this.stateValue;
  }

  get isClosed(): boolean {
    return this.stateValue === BindState.CLOSED;
  }

  get bindType(): BindType | undefined {
    return this.bindTypeValue;
  }

  /** The ESME's system_id (server side) or the SMSC's (client side), once bound. */
  get peerSystemId(): string | undefined {
    return this.peerSystemIdValue;
  }

  get closeReason(): CloseReason | undefined {
    return this.closeReasonValue;
  }

  /** Our requests awaiting a response. */
  get pendingRequests(): number {
    return this.window.pending;
  }

  /** Peer requests handed to the application and not answered yet. */
  get pendingResponses(): number {
    return this.inbound.size;
  }

  /** Whether request() would admit a request now (bound, not unbinding, window and socket have room). */
  get canRequest(): boolean {
    return this.accepting && isBound(this.stateValue) && !this.window.isFull && !this.writer.congested;
  }

  /** Resolves once the session has closed, with the reason. */
  whenClosed(): Promise<CloseReason> {
    return this.closedPromise;
  }

  // ---------------------------------------------------------------- public operations

  /**
   * Client side: binds the session. Resolves once bound; rejects with BIND_FAILED (status = the
   * bind_*_resp command_status), GENERIC_NACK, RESPONSE_TIMEOUT or SESSION_CLOSED. The session
   * stays open after a refused bind; closing it is the caller's decision.
   */
  async bind(type: BindType, params: BindParams): Promise<void> {
    if (this.role !== 'esme') throw new SessionError('INVALID_BIND_STATE', 'only an esme-role session sends binds');
    if (this.isClosed) throw new SessionError('SESSION_CLOSED', 'session is closed');
    const command = BIND_COMMAND_FOR[type];
    if (command === undefined) throw new SessionError('INVALID_ARGUMENT', `unknown bind type ${String(type)}`);
    if (this.stateValue !== BindState.OPEN || this.pendingBind !== undefined || !this.accepting) {
      throw new SessionError('INVALID_BIND_STATE', `cannot bind in state ${this.stateValue}`);
    }
    const sequence = this.allocateSequence();
    const frame = encodePdu(
      makePdu(
        command,
        {
          system_id: params.system_id,
          password: params.password,
          system_type: params.system_type ?? '',
          interface_version: params.interface_version ?? SMPP_VERSION_34,
          addr_ton: params.addr_ton ?? 0,
          addr_npi: params.addr_npi ?? 0,
          address_range: params.address_range ?? '',
        },
        { sequence },
      ),
    );
    const response = this.window.add(sequence, CommandId[command], { force: true })!;
    this.pendingBind = { sequence, type };
    this.sendFrame(frame);
    const resp = await response;
    if (resp.status !== Status.ESME_ROK) {
      throw new SessionError('BIND_FAILED', `${command} refused`, {
        status: resp.status,
        commandId: CommandId[command],
        sequence,
      });
    }
  }

  /**
   * Sends a request and returns the promise of its response, which resolves whatever the
   * response's command_status (the caller decides) and rejects only on RESPONSE_TIMEOUT,
   * GENERIC_NACK, INVALID_RESPONSE or SESSION_CLOSED. Returns null when the window is full or the
   * socket congested (wait for 'drain'), or when the session is unbinding or closed (see 'close').
   * Throws INVALID_BIND_STATE when the bind state does not allow the command, and the codec's
   * SmppError when the PDU cannot be encoded. The PDU's own sequence number is ignored.
   */
  request<P extends PduOf<OutgoingRequestCommand>>(pdu: P): Promise<ResponsePduOf<P['command']>> | null {
    if (!OUTGOING_REQUESTS.has(pdu.command)) {
      throw new SessionError('INVALID_ARGUMENT', `request() does not send ${pdu.command}; use bind(), unbind() or notify()`);
    }
    if (!this.admits(pdu.command)) return null;
    const sequence = this.allocateSequence();
    const frame = encodePdu({ ...pdu, sequence } as Pdu);
    return this.track(sequence, CommandId[pdu.command], frame) as Promise<ResponsePduOf<P['command']>> | null;
  }

  /**
   * request() for an already-encoded request frame, the proxy's forwarding path: the frame is
   * copied with our next sequence number and otherwise sent byte for byte.
   */
  requestRaw(frame: Buffer): Promise<Pdu> | null {
    const header = readHeader(frame);
    if (header === undefined || header.commandLength !== frame.length) {
      throw new SessionError('INVALID_ARGUMENT', 'requestRaw needs exactly one whole PDU');
    }
    const command = commandNameOf(header.commandId);
    if (command === undefined || !OUTGOING_REQUESTS.has(command)) {
      throw new SessionError('INVALID_ARGUMENT', `requestRaw cannot send command_id 0x${header.commandId.toString(16)}`, {
        commandId: header.commandId,
      });
    }
    if (!this.admits(command as OutgoingRequestCommand)) return null;
    const sequence = this.allocateSequence();
    return this.track(sequence, header.commandId, patchSequence(frame, sequence));
  }

  /**
   * Holds this session's outgoing PDUs (already queued and later ones) until `barrier` settles,
   * at most `maxMs`; order is kept. Used to make an audit record durable before the answer it
   * records leaves. Closing the session still flushes what is queued.
   */
  holdWritesUntil(barrier: Promise<unknown>, maxMs = 5_000): void {
    if (!this.isClosed) this.writer.holdUntil(barrier, maxMs);
  }

  /** Sends outbind or alert_notification, which have no response. false when the session is closed. */
  notify(pdu: PduOf<OneWayCommand>): boolean {
    if (!ONE_WAY.has(pdu.command)) throw new SessionError('INVALID_ARGUMENT', `notify() does not send ${pdu.command}`);
    if (this.isClosed) return false;
    if (!maySend(this.role, this.stateValue, pdu.command)) {
      throw new SessionError('INVALID_BIND_STATE', `cannot send ${pdu.command} in state ${this.stateValue}`);
    }
    this.sendFrame(encodePdu({ ...pdu, sequence: this.allocateSequence() } as Pdu));
    return true;
  }

  /**
   * Graceful end: refuse new requests, let our in-flight requests and the peer's requests the
   * application is answering finish (up to unbindTimeoutMs), send unbind, wait for unbind_resp
   * (up to unbindTimeoutMs), close. Resolves when closed; never rejects. Idempotent.
   */
  unbind(): Promise<void> {
    return this.startUnbind(CloseCode.UNBOUND);
  }

  /** Immediate end: what is already queued is flushed, every pending request rejected, 'close' emitted. */
  close(message = 'closed by the application'): void {
    this.shutdown({ code: CloseCode.LOCAL, message });
  }

  // ---------------------------------------------------------------- reading

  private onData(chunk: Buffer): void {
    if (this.isClosed) return;
    this.splitter.push(chunk);
    this.processFrames();
  }

  private processFrames(): void {
    let completed = false;
    while (!this.isClosed && !this.readingPaused) {
      const next = this.splitter.next();
      if (next === undefined) break;
      if (next instanceof SmppError) {
        this.failFraming(next);
        return;
      }
      completed = true;
      this.handleFrame(next);
    }
    this.updatePartialTimer(completed);
  }

  private handleFrame(frame: Buffer): void {
    const now = this.timers.now();
    this.lastReceivedAt = now;
    this.lastActivityAt = now;
    this.report('pdu_in', frame);
    const result = decodePdu(frame);
    if (!result.ok) {
      this.onDecodeError(result.error);
      return;
    }
    const pdu = result.pdu;
    if (isResponseId(CommandId[pdu.command])) this.onResponse(pdu);
    else this.onRequest(pdu, frame, now);
  }

  private failFraming(error: SmppError): void {
    this.fire('protocol_error', error);
    this.sendPdu(makePdu('generic_nack', {}, { status: error.status, sequence: error.sequence ?? 0 }));
    this.shutdown({ code: CloseCode.FRAMING_ERROR, message: error.message, error });
  }

  private onDecodeError(error: SmppError): void {
    if (error.fatal) {
      this.failFraming(error);
      return;
    }
    this.fire('protocol_error', error);
    if (error.commandId !== undefined && isResponseId(error.commandId)) {
      // A response is never answered; fail the request it belonged to instead of letting it time out.
      if (error.sequence !== undefined && this.window.has(error.sequence)) {
        this.failRequest(
          error.sequence,
          new SessionError('INVALID_RESPONSE', `malformed response: ${error.message}`, {
            status: error.status,
            commandId: this.window.commandOf(error.sequence),
            sequence: error.sequence,
            cause: error,
          }),
        );
      }
      return;
    }
    const reply = errorResponseFor(error);
    if (reply !== undefined) this.sendPdu(reply);
  }

  // ---------------------------------------------------------------- responses to our requests

  private onResponse(pdu: Pdu): void {
    const sequence = pdu.sequence;
    const requestId = this.window.commandOf(sequence);
    if (requestId === undefined) {
      this.fire('unexpected_response', pdu);
      return;
    }
    if (pdu.command === 'generic_nack') {
      this.failRequest(
        sequence,
        new SessionError('GENERIC_NACK', `peer answered ${commandNameOf(requestId) ?? requestId} with generic_nack`, {
          status: pdu.status,
          commandId: requestId,
          sequence,
        }),
      );
      return;
    }
    if (CommandId[pdu.command] !== responseIdOf(requestId)) {
      this.failRequest(
        sequence,
        new SessionError('INVALID_RESPONSE', `${pdu.command} does not answer ${commandNameOf(requestId) ?? requestId}`, {
          status: pdu.status,
          commandId: requestId,
          sequence,
        }),
      );
      return;
    }
    // Bind and unbind change state synchronously: PDUs behind the response in the same read
    // (a deliver_sm right after bind_resp is common) must already see the new state.
    if (this.pendingBind?.sequence === sequence) this.completeBind(pdu);
    this.window.resolve(sequence, pdu);
    if (this.pendingUnbind?.sequence === sequence) {
      const { closeCode } = this.pendingUnbind;
      this.pendingUnbind = undefined;
      this.shutdown({ code: closeCode, message: unbindMessage(closeCode) });
    }
  }

  private failRequest(sequence: number, error: SessionError): void {
    if (this.pendingBind?.sequence === sequence) this.pendingBind = undefined;
    this.window.reject(sequence, error);
  }

  private completeBind(resp: Pdu): void {
    const pending = this.pendingBind!;
    this.pendingBind = undefined;
    if (resp.status !== Status.ESME_ROK || this.stateValue !== BindState.OPEN) return;
    const body = resp.body as { system_id?: string };
    this.enterBound(pending.type, body.system_id ?? '', resp);
  }

  private enterBound(type: BindType, peerSystemId: string, pdu: Pdu): void {
    this.stateValue = BOUND_STATE_FOR[type];
    this.bindTypeValue = type;
    this.peerSystemIdValue = peerSystemId;
    this.splitter.maxLength = this.options.maxPdu;
    this.clearTimer('sessionInitTimer');
    this.lastReceivedAt = this.timers.now();
    this.scheduleKeepalive(this.options.enquireLinkIntervalMs);
    this.fire('bound', { bindType: type, state: this.stateValue, peerSystemId, pdu });
  }

  // ---------------------------------------------------------------- requests from the peer

  private onRequest(pdu: Pdu, frame: Buffer, receivedAt: number): void {
    const status = incomingStatus(this.role, this.stateValue, pdu.command);
    if (status !== Status.ESME_ROK) {
      this.fire('state_violation', { command: pdu.command, sequence: pdu.sequence, state: this.stateValue, status });
      this.answer(pdu, status);
      return;
    }
    switch (pdu.command) {
      case 'enquire_link':
        this.answer(pdu, Status.ESME_ROK);
        return;
      case 'unbind':
        this.onPeerUnbind(pdu);
        return;
      case 'bind_transmitter':
      case 'bind_receiver':
      case 'bind_transceiver':
        void this.onBindRequest(pdu);
        return;
      default:
        if (isAppRequestCommand(pdu.command)) this.dispatch(pdu as PduOf<typeof pdu.command>, frame, receivedAt);
        else this.answer(pdu, Status.ESME_RINVCMDID);
    }
  }

  /** Header-only response with `status` (or generic_nack for commands that have no response). */
  private answer(pdu: Pdu, status: number): void {
    const responseName = responseNameOf(pdu.command);
    this.sendPdu(
      responseName === undefined
        ? makePdu('generic_nack', {}, { status, sequence: pdu.sequence })
        : (makePdu(responseName, {} as never, { status, sequence: pdu.sequence }) as Pdu),
    );
  }

  private dispatch(pdu: PduOf<IncomingRequest['command']>, frame: Buffer, receivedAt: number): void {
    const request = new InboundRequest(this.sink, pdu, frame, receivedAt);
    const listening = this.listenerCount('request') > 0;
    if (!request.expectsResponse) {
      if (listening) this.emitRequest(request);
      return;
    }
    if (!listening) {
      this.answer(pdu, Status.ESME_RSYSERR);
      return;
    }
    if (this.inbound.size >= this.options.maxInboundPending) {
      this.answer(pdu, Status.ESME_RTHROTTLED);
      return;
    }
    this.inbound.add(request);
    this.emitRequest(request);
  }

  private emitRequest(request: InboundRequest): void {
    try {
      this.emit('request', request as unknown as IncomingRequest);
    } catch (error) {
      this.fire('handler_error', error);
      if (!request.responded && request.expectsResponse) {
        try {
          request.respond(Status.ESME_RSYSERR);
        } catch {
          // Nothing more can be done for this request; the peer's own timeout covers it.
        }
      }
    }
  }

  private onInboundSettled(request: InboundRequest): void {
    if (this.inbound.delete(request) && this.inbound.size === 0) this.checkIdleWaiters();
  }

  private async onBindRequest(pdu: PduOf<BindCommand>): Promise<void> {
    const type = bindTypeOf(pdu.command)!;
    // Hold further input until the bind is decided, so PDUs behind it see the resulting state and
    // a burst of binds cannot run the authenticator concurrently.
    this.authenticating = true;
    this.updateReading();
    let result: AuthResult;
    try {
      result = await this.options.authenticate!(pdu, {
        remoteAddress: this.remoteAddress,
        remotePort: this.remotePort,
        tls: this.isTls,
        sessionId: this.id,
      });
      if (!isStatus(result?.status)) throw new SessionError('INVALID_ARGUMENT', 'authenticate returned no valid status');
    } catch (error) {
      this.fire('auth_error', error);
      result = { status: Status.ESME_RBINDFAIL };
    }
    this.authenticating = false;
    if (this.isClosed) return;
    if (result.status === Status.ESME_ROK && this.stateValue === BindState.OPEN) {
      const frame = this.encodeBindResp(pdu, result.systemId ?? this.options.systemId);
      if (frame !== undefined) {
        this.sendFrame(frame);
        this.enterBound(type, pdu.body.system_id, pdu);
      } else {
        this.answer(pdu, Status.ESME_RBINDFAIL);
      }
    } else {
      this.answer(pdu, result.status === Status.ESME_ROK ? Status.ESME_RBINDFAIL : result.status);
    }
    this.updateReading();
  }

  private encodeBindResp(bind: PduOf<BindCommand>, systemId: string): Buffer | undefined {
    const responseName = responseNameOf(bind.command) as 'bind_transmitter_resp';
    // sc_interface_version tells a 3.4 ESME that TLVs are understood; a 3.3 ESME gets none.
    const tlvs = bind.body.interface_version >= SMPP_VERSION_34 ? [integerTlv(TlvTag.sc_interface_version, SMPP_VERSION_34)] : [];
    try {
      return encodePdu(makePdu(responseName, { system_id: systemId }, { sequence: bind.sequence, tlvs }));
    } catch (error) {
      this.fire('auth_error', error);
      return undefined;
    }
  }

  private onPeerUnbind(pdu: Pdu): void {
    const crossing = this.stateValue === BindState.UNBOUND;
    this.stateValue = BindState.UNBOUND;
    this.accepting = false;
    this.clearTimer('keepaliveTimer');
    if (crossing) {
      // Both sides sent unbind: answer theirs; ours is answered or times out, either way we are done.
      this.answer(pdu, Status.ESME_ROK);
      this.shutdown({ code: CloseCode.PEER_UNBOUND, message: 'unbinds crossed' });
      return;
    }
    // Before unbind_resp ends the session: answer what the application is still working on, and
    // let the peer answer our requests already on the wire (it still does in UNBOUND), or they
    // would fail as lost although their answers were on the way. Bounded by unbindTimeoutMs.
    void this.waitFor(() => this.inbound.size === 0 && this.window.pending === 0, this.options.unbindTimeoutMs).then(() => {
      if (this.isClosed) return;
      this.answer(pdu, Status.ESME_ROK);
      this.shutdown({ code: CloseCode.PEER_UNBOUND, message: 'peer unbound' });
    });
  }

  // ---------------------------------------------------------------- sending

  private admits(command: OutgoingRequestCommand): boolean {
    if (!this.accepting || this.stateValue === BindState.UNBOUND || this.isClosed) {
      this.refused = true;
      return false;
    }
    if (!maySend(this.role, this.stateValue, command)) {
      throw new SessionError('INVALID_BIND_STATE', `cannot send ${command} as ${this.role} in state ${this.stateValue}`);
    }
    if (this.window.isFull || this.writer.congested) {
      this.refused = true;
      return false;
    }
    return true;
  }

  private track(sequence: number, commandId: number, frame: Buffer): Promise<Pdu> | null {
    const response = this.window.add(sequence, commandId);
    if (response === null) {
      this.refused = true;
      return null;
    }
    this.sendFrame(frame);
    return response;
  }

  /** Next free sequence number; skips one still pending after a full wrap (a stuck request). */
  private allocateSequence(): number {
    for (;;) {
      const sequence = this.sequences.next();
      if (!this.window.has(sequence)) return sequence;
    }
  }

  private sendPdu(pdu: Pdu): void {
    this.sendFrame(encodePdu(pdu));
  }

  private sendFrame(frame: Buffer): void {
    if (this.isClosed) return;
    this.lastActivityAt = this.timers.now();
    this.writer.write(frame);
    this.report('pdu_out', frame);
  }

  private onCongestion(congested: boolean): void {
    this.updateReading();
    if (!congested) this.maybeDrain();
  }

  /**
   * Reading stops while a bind is being authenticated and while the peer is not reading what we
   * write: answering more of its requests would only pile up in memory.
   */
  private updateReading(): void {
    if (this.isClosed) return;
    const pause = this.authenticating || this.writer.congested;
    if (pause === this.readingPaused) return;
    this.readingPaused = pause;
    if (pause) {
      this.socket.pause();
      this.clearTimer('partialTimer');
    } else {
      this.socket.resume();
      this.processFrames();
    }
  }

  private maybeDrain(): void {
    if (this.refused && this.canRequest) {
      this.refused = false;
      this.fire('drain');
    }
  }

  private report(event: 'pdu_in' | 'pdu_out', frame: Buffer): void {
    if (this.listenerCount(event) === 0) return;
    const commandId = frame.readUInt32BE(4);
    this.fire(event, {
      command: commandNameOf(commandId) ?? `0x${commandId.toString(16).padStart(8, '0')}`,
      commandId,
      status: frame.readUInt32BE(8),
      sequence: frame.readUInt32BE(12),
      frame,
    });
  }

  /** Emits without letting a throwing listener break the socket handler that called us. */
  private fire<K extends keyof SessionEvents>(event: K, ...args: SessionEvents[K]): void {
    try {
      (this.emit as (event: K, ...args: SessionEvents[K]) => boolean)(event, ...args);
    } catch (error) {
      if (event === 'handler_error') return;
      try {
        this.emit('handler_error', error);
      } catch {
        // A throwing error handler has nowhere left to report to.
      }
    }
  }

  // ---------------------------------------------------------------- timers

  private clearTimer(name: 'sessionInitTimer' | 'keepaliveTimer' | 'inactivityTimer' | 'partialTimer'): void {
    const handle = this[name];
    if (handle === undefined) return;
    this.timers.clearTimeout(handle);
    this[name] = undefined;
  }

  private scheduleKeepalive(delay: number): void {
    this.clearTimer('keepaliveTimer');
    if (this.options.enquireLinkIntervalMs <= 0 || this.isClosed) return;
    this.keepaliveTimer = this.timers.setTimeout(() => {
      this.keepaliveTimer = undefined;
      this.onKeepaliveTimer();
    }, delay);
  }

  private onKeepaliveTimer(): void {
    if (!isBound(this.stateValue)) return;
    const interval = this.options.enquireLinkIntervalMs;
    const quietFor = this.timers.now() - this.lastReceivedAt;
    if (quietFor < interval) {
      this.scheduleKeepalive(interval - quietFor);
      return;
    }
    if (this.keepaliveSequence === undefined) this.sendKeepalive();
    this.scheduleKeepalive(interval);
  }

  private sendKeepalive(): void {
    const sequence = this.allocateSequence();
    // Forced past a full window: a full window of requests to a dead peer is exactly when the
    // link check matters, because request timeouts alone never close the session.
    const response = this.window.add(sequence, CommandId.enquire_link, { force: true })!;
    this.keepaliveSequence = sequence;
    // Expiry is handled by the window's 'timeout' listener, synchronously; this only clears the mark.
    const settled = (): void => {
      if (this.keepaliveSequence === sequence) this.keepaliveSequence = undefined;
    };
    response.then(settled, settled);
    this.sendPdu(makePdu('enquire_link', {}, { sequence }));
  }

  private scheduleInactivity(delay: number): void {
    this.clearTimer('inactivityTimer');
    if (this.options.inactivityTimeoutMs <= 0 || this.isClosed) return;
    this.inactivityTimer = this.timers.setTimeout(() => {
      this.inactivityTimer = undefined;
      this.onInactivityTimer();
    }, delay);
  }

  private onInactivityTimer(): void {
    const timeout = this.options.inactivityTimeoutMs;
    const idleFor = this.timers.now() - this.lastActivityAt;
    if (idleFor < timeout) {
      this.scheduleInactivity(timeout - idleFor);
      return;
    }
    const message = `no PDU in either direction for ${timeout} ms`;
    if (isBound(this.stateValue)) void this.startUnbind(CloseCode.INACTIVITY_TIMEOUT);
    else if (this.stateValue === BindState.OPEN) this.shutdown({ code: CloseCode.INACTIVITY_TIMEOUT, message });
  }

  /** Restarts the slowloris clock whenever a whole PDU completes; stops it when nothing partial is held. */
  private updatePartialTimer(completedFrame: boolean): void {
    const limit = this.options.partialPduTimeoutMs;
    if (limit <= 0 || this.isClosed) return;
    if (this.splitter.buffered === 0 || this.readingPaused) {
      this.clearTimer('partialTimer');
      return;
    }
    if (!completedFrame && this.partialTimer !== undefined) return;
    this.clearTimer('partialTimer');
    this.partialTimer = this.timers.setTimeout(() => {
      this.partialTimer = undefined;
      this.shutdown({
        code: CloseCode.PARTIAL_PDU_TIMEOUT,
        message: `an incomplete PDU was held for ${limit} ms`,
      });
    }, limit);
  }

  // ---------------------------------------------------------------- unbind and close

  private startUnbind(closeCode: CloseCode): Promise<void> {
    if (this.unbindPromise === undefined) {
      this.accepting = false;
      this.unbindPromise = this.runUnbind(closeCode).catch((error: unknown) => {
        // Unreachable by design; a failed unbind still has to end the session.
        this.shutdown({ code: closeCode, message: 'unbind failed', error: toError(error) });
      });
    }
    return this.unbindPromise;
  }

  private async runUnbind(closeCode: CloseCode): Promise<void> {
    if (this.isClosed) return;
    if (!isBound(this.stateValue)) {
      if (this.stateValue === BindState.UNBOUND) {
        await this.closedPromise; // the peer's unbind is already being completed
      } else {
        this.shutdown({ code: closeCode, message: 'closed before bind' });
      }
      return;
    }
    const timeout = this.options.unbindTimeoutMs;
    await this.waitFor(() => this.window.pending === 0 && this.inbound.size === 0, timeout);
    if (this.isClosed) return;
    if (!isBound(this.stateValue)) {
      await this.closedPromise;
      return;
    }
    this.stateValue = BindState.UNBOUND;
    this.clearTimer('keepaliveTimer');
    const sequence = this.allocateSequence();
    const acknowledged = this.window.add(sequence, CommandId.unbind, { force: true, timeoutMs: timeout })!;
    this.pendingUnbind = { sequence, closeCode };
    this.sendPdu(makePdu('unbind', {}, { sequence }));
    try {
      await acknowledged;
    } catch {
      // Timed out or the connection dropped: the session ends either way.
    }
    this.shutdown({ code: closeCode, message: `${unbindMessage(closeCode)} (no unbind_resp)` });
  }

  /** Resolves when condition() holds, the session closes, or timeoutMs passes (0: at once). */
  private waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
    if (condition() || this.isClosed || timeoutMs <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        this.idleWaiters.delete(check);
        this.timers.clearTimeout(timer);
        resolve();
      };
      const check = (): boolean => {
        if (!condition() && !this.isClosed) return false;
        done();
        return true;
      };
      const timer = this.timers.setTimeout(done, timeoutMs);
      this.idleWaiters.add(check);
    });
  }

  private checkIdleWaiters(): void {
    for (const check of [...this.idleWaiters]) check();
  }

  private shutdown(reason: CloseReason): void {
    if (this.isClosed) return;
    this.stateValue = BindState.CLOSED;
    this.closeReasonValue = reason;
    this.accepting = false;
    this.clearTimer('sessionInitTimer');
    this.clearTimer('keepaliveTimer');
    this.clearTimer('inactivityTimer');
    this.clearTimer('partialTimer');
    this.endSocket();
    this.pendingBind = undefined;
    this.pendingUnbind = undefined;
    this.window.failAll(`${reason.code}: ${reason.message}`, reason.error);
    for (const request of this.inbound) request.abandon();
    this.inbound.clear();
    this.checkIdleWaiters();
    this.fire('close', reason);
    this.resolveClosed(reason);
  }

  /** Flushes what is queued (a final generic_nack or unbind_resp), then ends the socket, bounded by the linger time. */
  private endSocket(): void {
    const socket = this.socket;
    const tail = this.writer.takeAll();
    if (socket.destroyed) return;
    // After the peer's FIN Node ends our side itself; whatever is still queued cannot be delivered.
    if (!socket.writableEnded) {
      if (tail !== undefined) socket.end(tail);
      else socket.end();
    }
    // Keep reading (and discarding) so the peer's FIN is seen and the socket can finish closing.
    socket.resume();
    this.lingerTimer = setTimeout(() => socket.destroy(), this.options.closeLingerMs);
    this.lingerTimer.unref();
  }
}

function isStatus(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 0xffffffff;
}

function unbindMessage(code: CloseCode): string {
  return code === CloseCode.INACTIVITY_TIMEOUT ? 'unbound after inactivity' : 'unbound';
}

function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
