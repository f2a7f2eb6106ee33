import type { CommandName, Pdu, SmppError } from '../smpp/index.js';
import type { IncomingRequest } from './inbound.js';
import type { BindState, BindType } from './states.js';
import type { ExpiredRequest } from './window.js';

/** Why a session ended; 'close' carries one of these exactly once. */
export const CloseCode = {
  /** close() was called by the application. */
  LOCAL: 'LOCAL',
  /** Our unbind() completed (or gave up waiting for unbind_resp). */
  UNBOUND: 'UNBOUND',
  /** The peer sent unbind and we answered it. */
  PEER_UNBOUND: 'PEER_UNBOUND',
  /** The peer closed the connection without unbinding. */
  PEER_CLOSED: 'PEER_CLOSED',
  SOCKET_ERROR: 'SOCKET_ERROR',
  /** The byte stream lost PDU framing (bad command_length): generic_nack was sent, then close. */
  FRAMING_ERROR: 'FRAMING_ERROR',
  SESSION_INIT_TIMEOUT: 'SESSION_INIT_TIMEOUT',
  INACTIVITY_TIMEOUT: 'INACTIVITY_TIMEOUT',
  PARTIAL_PDU_TIMEOUT: 'PARTIAL_PDU_TIMEOUT',
  ENQUIRE_LINK_TIMEOUT: 'ENQUIRE_LINK_TIMEOUT',
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

export interface CloseReason {
  code: CloseCode;
  message: string;
  error?: Error;
}

export interface BoundInfo {
  bindType: BindType;
  state: BindState;
  /** The ESME's system_id (server side) or the SMSC's from bind_*_resp (client side). */
  peerSystemId: string;
  /** The bind request (server side) or the bind response (client side). */
  pdu: Pdu;
}

/** One PDU crossing the socket, for metrics and audit listeners. */
export interface SessionPduInfo {
  /** Command name, or the hex command_id when it is not an SMPP 3.4 command. */
  command: CommandName | string;
  commandId: number;
  status: number;
  sequence: number;
  /** The whole PDU as it crossed the wire. Listeners must not modify it. */
  frame: Buffer;
}

/** A request the peer sent in a bind state that does not allow it; it was answered with `status`. */
export interface StateViolation {
  command: CommandName;
  sequence: number;
  state: BindState;
  status: number;
}

export interface SessionEvents {
  bound: [BoundInfo];
  request: [IncomingRequest];
  /** Requests can be sent again after request() returned null (window or socket had no room). */
  drain: [];
  close: [CloseReason];
  pdu_in: [SessionPduInfo];
  pdu_out: [SessionPduInfo];
  /** The peer sent a PDU the codec rejected; it was answered (or the session closed, if fatal). */
  protocol_error: [SmppError];
  state_violation: [StateViolation];
  /** A response whose sequence number matches none of our pending requests. */
  unexpected_response: [Pdu];
  /** One of our requests expired; its promise was rejected with RESPONSE_TIMEOUT. */
  response_timeout: [ExpiredRequest];
  /** The authenticate callback threw or rejected; the bind was refused with ESME_RBINDFAIL. */
  auth_error: [unknown];
  /** A 'request' listener threw; the request was answered ESME_RSYSERR if still unanswered. */
  handler_error: [unknown];
}
