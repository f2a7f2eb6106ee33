import {
  CommandId,
  encodePdu,
  makePdu,
  patchSequence,
  readHeader,
  responseNameOf,
  type BodyMap,
  type CommandName,
  type Pdu,
  type PduOf,
  type Tlv,
} from '../smpp/index.js';
import { SessionError } from './errors.js';
import { MESSAGE_COMMANDS, type MessageCommand } from './states.js';

/** Requests the session hands to the application instead of answering itself. */
export type AppRequestCommand = MessageCommand | 'alert_notification' | 'outbind';

const APP_REQUEST_COMMANDS: ReadonlySet<CommandName> = new Set<AppRequestCommand>([...MESSAGE_COMMANDS, 'alert_notification', 'outbind']);

export function isAppRequestCommand(command: CommandName): command is AppRequestCommand {
  return APP_REQUEST_COMMANDS.has(command);
}

/** 'submit_sm' -> 'submit_sm_resp'; never for commands without a response. */
export type ResponseNameOf<C extends CommandName> = Extract<CommandName, `${C}_resp`>;
export type ResponsePduOf<C extends CommandName> = PduOf<ResponseNameOf<C>>;
export type ResponseBodyOf<C extends CommandName> = [ResponseNameOf<C>] extends [never] ? never : BodyMap[ResponseNameOf<C>];

export interface IncomingRequestOf<C extends AppRequestCommand> {
  readonly command: C;
  readonly pdu: PduOf<C>;
  /** The whole PDU exactly as received, for splicing. A view into the read buffer: do not modify it. */
  readonly frame: Buffer;
  /** Timers.now() when the PDU was read. */
  readonly receivedAt: number;
  readonly responded: boolean;
  /**
   * Sends the *_resp with this request's sequence number. Without a body the response is
   * header-only (the SMPP 3.4 form of an error response). Returns false when the session is
   * already closed (nothing was sent) or the command has no response (outbind, alert_notification).
   * Throws ALREADY_RESPONDED on a second call, and the codec's SmppError when the body cannot be
   * encoded (the request then stays unanswered so a corrected respond() can follow).
   */
  respond(status: number, body?: ResponseBodyOf<C>, tlvs?: Tlv[]): boolean;
  /** Sends an already-encoded response (or generic_nack) frame; its sequence number is replaced. */
  respondRaw(frame: Buffer): boolean;
}

export type IncomingRequest = { [C in AppRequestCommand]: IncomingRequestOf<C> }[AppRequestCommand];

/** The narrow part of the session a pending request talks back to. */
export interface ResponseSink {
  isClosed(): boolean;
  sendResponse(frame: Buffer): void;
  settled(request: InboundRequest): void;
}

export class InboundRequest implements IncomingRequestOf<AppRequestCommand> {
  private answered = false;
  private abandoned = false;

  constructor(
    private readonly sink: ResponseSink,
    readonly pdu: PduOf<AppRequestCommand>,
    readonly frame: Buffer,
    readonly receivedAt: number,
  ) {}

  get command(): AppRequestCommand {
    return this.pdu.command;
  }

  get responded(): boolean {
    return this.answered;
  }

  /** true for outbind and alert_notification, which SMPP 3.4 never answers. */
  get expectsResponse(): boolean {
    return responseNameOf(this.pdu.command) !== undefined;
  }

  respond(status: number, body?: object, tlvs?: Tlv[]): boolean {
    this.assertNotAnswered();
    const responseName = responseNameOf(this.pdu.command);
    if (responseName === undefined || this.abandoned || this.sink.isClosed()) return this.finish(undefined);
    const options = tlvs === undefined ? { sequence: this.pdu.sequence, status } : { sequence: this.pdu.sequence, status, tlvs };
    // An absent body encodes header-only; the codec writes only the fields present.
    const response = makePdu(responseName, (body ?? {}) as never, options) as Pdu;
    return this.finish(encodePdu(response));
  }

  respondRaw(frame: Buffer): boolean {
    this.assertNotAnswered();
    const header = readHeader(frame);
    const expected = responseNameOf(this.pdu.command);
    if (header === undefined || header.commandLength !== frame.length) {
      throw new SessionError('INVALID_ARGUMENT', 'respondRaw needs exactly one whole PDU');
    }
    if (expected === undefined || (header.commandId !== CommandId[expected] && header.commandId !== CommandId.generic_nack)) {
      throw new SessionError('INVALID_ARGUMENT', `frame is not a response to ${this.pdu.command}`, {
        commandId: header.commandId,
      });
    }
    if (this.abandoned || this.sink.isClosed()) return this.finish(undefined);
    return this.finish(patchSequence(frame, this.pdu.sequence));
  }

  /**
   * The session closed with this request unanswered. A later respond() returns false rather than
   * throwing: the application did nothing wrong, the connection simply went away.
   */
  abandon(): void {
    this.abandoned = true;
  }

  private assertNotAnswered(): void {
    if (this.answered) {
      throw new SessionError('ALREADY_RESPONDED', `${this.pdu.command} ${this.pdu.sequence} was already answered`, {
        commandId: CommandId[this.pdu.command],
        sequence: this.pdu.sequence,
      });
    }
  }

  private finish(frame: Buffer | undefined): boolean {
    this.answered = true;
    if (frame !== undefined) this.sink.sendResponse(frame);
    this.sink.settled(this);
    return frame !== undefined;
  }
}
