import { statusName } from '../smpp/status.js';

/**
 * Every way a session operation can fail, as stable machine codes. Callers branch on `code`
 * (and on `status` where the peer supplied one), never on message text.
 */
export const SessionErrorCode = {
  /** No response arrived within the request's timeout. Temporary: the caller may retry elsewhere. */
  RESPONSE_TIMEOUT: 'RESPONSE_TIMEOUT',
  /** The session closed (or was closed) while the request was pending, or before it could be sent. */
  SESSION_CLOSED: 'SESSION_CLOSED',
  /** The peer answered the request with generic_nack; `status` holds its command_status. */
  GENERIC_NACK: 'GENERIC_NACK',
  /** The peer answered with a response that does not belong to the request or could not be decoded. */
  INVALID_RESPONSE: 'INVALID_RESPONSE',
  /** A bind was refused; `status` holds the bind_*_resp command_status. */
  BIND_FAILED: 'BIND_FAILED',
  /** The command may not be sent in the session's current bind state and role. */
  INVALID_BIND_STATE: 'INVALID_BIND_STATE',
  /** respond() called a second time for the same request. */
  ALREADY_RESPONDED: 'ALREADY_RESPONDED',
  /** A caller passed something unusable (bad option, frame that is not one request PDU, ...). */
  INVALID_ARGUMENT: 'INVALID_ARGUMENT',
  /** The TCP/TLS connection could not be established in time. */
  CONNECT_TIMEOUT: 'CONNECT_TIMEOUT',
  /** The TCP/TLS connection failed (refused, reset, certificate rejected, ...). */
  CONNECT_FAILED: 'CONNECT_FAILED',
  /** The operation was cancelled through its AbortSignal or by Connector.stop(). */
  ABORTED: 'ABORTED',
} as const;

export type SessionErrorCode = (typeof SessionErrorCode)[keyof typeof SessionErrorCode];

export interface SessionErrorDetails {
  /** command_status from the peer (generic_nack, bind_resp) when there is one. */
  status?: number;
  commandId?: number;
  sequence?: number;
  cause?: unknown;
}

export class SessionError extends Error {
  readonly code: SessionErrorCode;
  readonly status?: number;
  readonly commandId?: number;
  readonly sequence?: number;

  constructor(code: SessionErrorCode, message: string, details: SessionErrorDetails = {}) {
    const text = details.status === undefined ? message : `${message} (${statusName(details.status)})`;
    super(text, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'SessionError';
    this.code = code;
    if (details.status !== undefined) this.status = details.status;
    if (details.commandId !== undefined) this.commandId = details.commandId;
    if (details.sequence !== undefined) this.sequence = details.sequence;
  }
}

export function isSessionError(value: unknown): value is SessionError {
  return value instanceof SessionError;
}
