import { DEFAULT_MAX_LENGTH_BOUND, DEFAULT_MAX_LENGTH_UNBOUND, HEADER_LENGTH } from '../smpp/framing.js';
import type { PduOf } from '../smpp/pdu.js';
import { SessionError } from './errors.js';
import { MIN_SEQUENCE } from './sequence.js';
import type { BindCommand, Role } from './states.js';
import { realTimers, type Timers } from './timers.js';

/** What the server side knows about a bind attempt besides the PDU itself. */
export interface AuthContext {
  remoteAddress: string | undefined;
  remotePort: number | undefined;
  tls: boolean;
  /** Process-unique id of the session the bind arrived on. */
  sessionId: string;
}

export interface AuthResult {
  /** ESME_ROK binds the session; anything else is sent back in the bind_*_resp (use ESME_RBINDFAIL). */
  status: number;
  /** system_id to put in the bind_*_resp; defaults to SessionOptions.systemId. */
  systemId?: string;
}

export type Authenticate = (bind: PduOf<BindCommand>, context: AuthContext) => Promise<AuthResult>;

export interface SessionOptions {
  role: Role;
  /** Most of our requests awaiting a response at once. */
  windowSize?: number;
  /** How long each of our requests may wait for its response. 0 disables expiry. */
  responseTimeoutMs?: number;
  /** Send enquire_link after this long without hearing from the peer while bound. 0 = off. */
  enquireLinkIntervalMs?: number;
  /**
   * No PDU in either direction for this long: unbind (bound) or close (not bound). 0 = off.
   * enquire_link counts as traffic, so this only fires when neither side keeps the link alive.
   */
  inactivityTimeoutMs?: number;
  /** No successful bind within this long after the session starts: close. 0 = off. */
  sessionInitTimeoutMs?: number;
  /** Bound (> 0) on each graceful-unbind phase: waiting for in-flight work, then for unbind_resp. */
  unbindTimeoutMs?: number;
  /** A partial PDU held this long without a whole PDU completing: close (slowloris). 0 = off. */
  partialPduTimeoutMs?: number;
  /** Largest command_length accepted before bind; binds are under 200 octets. */
  maxPduBeforeBind?: number;
  /** Largest command_length accepted once bound. */
  maxPdu?: number;
  /**
   * Requests from the peer handed to the application and not yet answered, beyond which further
   * ones are answered ESME_RTHROTTLED at once, so a peer ignoring its own window cannot grow memory.
   */
  maxInboundPending?: number;
  /** Our system_id in bind_*_resp (server side). */
  systemId?: string;
  /** Server side: decides every bind. Required for role 'smsc'. */
  authenticate?: Authenticate;
  timers?: Timers;
  /** First sequence number we use (tests start near the wrap point). */
  sequenceStart?: number;
  /** How long a closing socket may take to flush before it is destroyed. */
  closeLingerMs?: number;
}

export type ResolvedSessionOptions = Required<Omit<SessionOptions, 'authenticate'>> & Pick<SessionOptions, 'authenticate'>;

export const SESSION_DEFAULTS = {
  windowSize: 10,
  responseTimeoutMs: 10_000,
  enquireLinkIntervalMs: 30_000,
  inactivityTimeoutMs: 0,
  sessionInitTimeoutMs: 10_000,
  unbindTimeoutMs: 5_000,
  partialPduTimeoutMs: 10_000,
  maxPduBeforeBind: DEFAULT_MAX_LENGTH_UNBOUND,
  maxPdu: DEFAULT_MAX_LENGTH_BOUND,
  maxInboundPending: 1_000,
  systemId: '',
  sequenceStart: MIN_SEQUENCE,
  closeLingerMs: 2_000,
} as const;

const DURATIONS = [
  'responseTimeoutMs',
  'enquireLinkIntervalMs',
  'inactivityTimeoutMs',
  'sessionInitTimeoutMs',
  'unbindTimeoutMs',
  'partialPduTimeoutMs',
  'closeLingerMs',
] as const;

/** Durations that bound a wait which must end: 0 would mean "forever" for them. */
const POSITIVE_DURATIONS = ['unbindTimeoutMs', 'closeLingerMs'] as const;

const POSITIVE_INTEGERS = ['windowSize', 'maxInboundPending'] as const;

function invalid(message: string): SessionError {
  return new SessionError('INVALID_ARGUMENT', message);
}

/** Fills defaults and rejects nonsense up front, so no timer is ever armed with NaN. */
export function resolveSessionOptions(options: SessionOptions): ResolvedSessionOptions {
  if (options.role !== 'smsc' && options.role !== 'esme') throw invalid(`role must be 'smsc' or 'esme'`);
  const resolved: ResolvedSessionOptions = {
    ...SESSION_DEFAULTS,
    timers: realTimers,
    ...stripUndefined(options),
    role: options.role,
  };
  for (const key of DURATIONS) {
    const value = resolved[key];
    if (!Number.isFinite(value) || value < 0) throw invalid(`${key} must be a finite number >= 0, got ${value}`);
  }
  for (const key of POSITIVE_DURATIONS) {
    if (resolved[key] <= 0) throw invalid(`${key} must be > 0, got ${resolved[key]}`);
  }
  for (const key of POSITIVE_INTEGERS) {
    const value = resolved[key];
    if (!Number.isInteger(value) || value < 1) throw invalid(`${key} must be a positive integer, got ${value}`);
  }
  for (const key of ['maxPduBeforeBind', 'maxPdu'] as const) {
    const value = resolved[key];
    if (!Number.isInteger(value) || value < HEADER_LENGTH || value > 0xffffffff) {
      throw invalid(`${key} must be an integer of at least ${HEADER_LENGTH}, got ${value}`);
    }
  }
  if (resolved.role === 'smsc' && typeof resolved.authenticate !== 'function') {
    throw invalid('a server-side (smsc) session needs an authenticate callback');
  }
  return resolved;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
