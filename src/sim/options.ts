import { MAX_TIMER_MS } from '../config/duration.js';
import type { SessionOptions, SmppServerTlsOptions } from '../session/index.js';
import { SimError } from './errors.js';
import { createFailurePolicy, type FailurePolicy, type FailureSpec } from './failure-policy.js';
import { isSimIdFormat, type SimIdFormat } from './message-ids.js';
import { isReceiptStat, type ReceiptStat } from './receipt-pdu.js';

/** An ESME account the simulator accepts binds from. */
export interface SimAccount {
  systemId: string;
  password: string;
}

/**
 * What the simulator does with traffic. Every field can also be changed while it runs
 * (CarrierSimulator.configure), so a test can make a carrier throttle, fail or fall silent
 * half way through.
 */
export interface SimBehaviour {
  /** The `stat:` of every receipt. Default DELIVRD. */
  receiptStatus: ReceiptStat;
  /**
   * Time from accepting a submit to its final state and receipt. Counted from the submit, not
   * from the response, so a responseDelayMs above it sends the receipt before the response.
   * Default 1 s.
   */
  receiptDelayMs: number;
  /** Network error code in receipts (`err:`, network_error_code) and query_sm_resp. Default 0. */
  receiptErr: number;
  /** Which submits to refuse and how; null accepts every submit. Default null. */
  failure: FailureSpec | null;
  /** Submits per second over all sessions before ESME_RTHROTTLED; 0 is unlimited. Default 0. */
  throughput: number;
  /** Wait before answering submit_sm and data_sm. Default 0. */
  responseDelayMs: number;
  /** Never answer submit_sm or data_sm (binds, enquire_link and the rest are still answered). Default false. */
  silent: boolean;
}

export interface CarrierSimulatorOptions extends Partial<SimBehaviour> {
  /** Interface to listen on. Default 127.0.0.1. */
  host?: string;
  /** 0 picks a free port. Default 0. */
  port?: number;
  tls?: SmppServerTlsOptions;
  /** Accounts allowed to bind; absent or empty accepts any system_id and password. */
  accounts?: readonly SimAccount[];
  /** system_id in our bind responses. Default CARRIERSIM. */
  systemId?: string;
  /** Default 'hex'. */
  messageIdFormat?: SimIdFormat;
  /** The number behind the first message id; default the current time in microseconds. */
  firstMessageNumber?: number;
  /** Wait before retrying a receipt the ESME did not acknowledge. Default 1 s. */
  receiptRetryMs?: number;
  /** deliver_sm attempts per receipt before it is dropped. Default 10. */
  receiptMaxAttempts?: number;
  /** Messages remembered for query_sm/cancel_sm/replace_sm, and receipts held at once. Default 100,000. */
  maxMessages?: number;
  /** Received PDUs, submits and receipts kept for inspection (each, most recent). 0 keeps none. Default 10,000. */
  recordLimit?: number;
  /** Session settings for every ESME connection. Defaults: window 100, unbind timeout 1 s. */
  session?: Omit<SessionOptions, 'role' | 'authenticate' | 'systemId'>;
}

export interface ResolvedSimOptions {
  host: string;
  port: number;
  tls: SmppServerTlsOptions | undefined;
  accounts: readonly SimAccount[];
  systemId: string;
  messageIdFormat: SimIdFormat;
  firstMessageNumber: number | undefined;
  receiptRetryMs: number;
  receiptMaxAttempts: number;
  maxMessages: number;
  recordLimit: number;
  session: Omit<SessionOptions, 'role' | 'authenticate' | 'systemId'>;
}

export const SIM_DEFAULTS = {
  host: '127.0.0.1',
  port: 0,
  systemId: 'CARRIERSIM',
  messageIdFormat: 'hex',
  receiptRetryMs: 1_000,
  receiptMaxAttempts: 10,
  maxMessages: 100_000,
  recordLimit: 10_000,
  behaviour: {
    receiptStatus: 'DELIVRD',
    receiptDelayMs: 1_000,
    receiptErr: 0,
    failure: null,
    throughput: 0,
    responseDelayMs: 0,
    silent: false,
  },
  session: { windowSize: 100, unbindTimeoutMs: 1_000 },
} as const satisfies Record<string, unknown>;

function invalid(message: string): SimError {
  return new SimError('INVALID_OPTION', message);
}

function checkInteger(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw invalid(`${name} must be an integer from ${min} to ${max}, got ${value}`);
  }
}

export function resolveSimOptions(options: CarrierSimulatorOptions): ResolvedSimOptions {
  const resolved: ResolvedSimOptions = {
    host: options.host ?? SIM_DEFAULTS.host,
    port: options.port ?? SIM_DEFAULTS.port,
    tls: options.tls,
    accounts: options.accounts ?? [],
    systemId: options.systemId ?? SIM_DEFAULTS.systemId,
    messageIdFormat: options.messageIdFormat ?? SIM_DEFAULTS.messageIdFormat,
    firstMessageNumber: options.firstMessageNumber,
    receiptRetryMs: options.receiptRetryMs ?? SIM_DEFAULTS.receiptRetryMs,
    receiptMaxAttempts: options.receiptMaxAttempts ?? SIM_DEFAULTS.receiptMaxAttempts,
    maxMessages: options.maxMessages ?? SIM_DEFAULTS.maxMessages,
    recordLimit: options.recordLimit ?? SIM_DEFAULTS.recordLimit,
    session: { ...SIM_DEFAULTS.session, ...options.session },
  };
  checkInteger('port', resolved.port, 0, 65_535);
  if (resolved.systemId.length > 15) throw invalid(`systemId is at most 15 characters, got ${JSON.stringify(resolved.systemId)}`);
  if (!isSimIdFormat(resolved.messageIdFormat)) throw invalid(`unknown messageIdFormat ${JSON.stringify(resolved.messageIdFormat)}`);
  for (const account of resolved.accounts) {
    if (account.systemId.length === 0 || account.systemId.length > 15) {
      throw invalid(`account system_id must be 1..15 characters, got ${JSON.stringify(account.systemId)}`);
    }
    if (account.password.length > 8) throw invalid(`password of ${account.systemId} is longer than 8 characters`);
  }
  checkInteger('receiptRetryMs', resolved.receiptRetryMs, 1, MAX_TIMER_MS);
  checkInteger('receiptMaxAttempts', resolved.receiptMaxAttempts, 1, 1_000_000);
  checkInteger('maxMessages', resolved.maxMessages, 1, 100_000_000);
  checkInteger('recordLimit', resolved.recordLimit, 0, 100_000_000);
  return resolved;
}

/** Validated behaviour, with the failure spec turned into its running policy. */
export interface ResolvedBehaviour extends SimBehaviour {
  failurePolicy: FailurePolicy | undefined;
}

/**
 * Applies changes to the current behaviour. The failure policy is rebuilt only when `failure`
 * itself changes, so an unrelated change keeps its PRNG sequence and every-Nth count going.
 */
export function resolveBehaviour(current: ResolvedBehaviour | SimBehaviour, changes: Partial<SimBehaviour>): ResolvedBehaviour {
  const { failurePolicy: currentPolicy, ...base } = current as ResolvedBehaviour;
  const next: SimBehaviour = { ...base };
  for (const key of Object.keys(changes) as (keyof SimBehaviour)[]) {
    if (changes[key] !== undefined) (next as unknown as Record<string, unknown>)[key] = changes[key];
  }
  if (!isReceiptStat(next.receiptStatus)) throw invalid(`unknown receipt status ${JSON.stringify(next.receiptStatus)}`);
  checkInteger('receiptDelayMs', next.receiptDelayMs, 0, MAX_TIMER_MS);
  checkInteger('receiptErr', next.receiptErr, 0, 999);
  checkInteger('throughput', next.throughput, 0, 100_000_000);
  checkInteger('responseDelayMs', next.responseDelayMs, 0, MAX_TIMER_MS);
  if (typeof next.silent !== 'boolean') throw invalid('silent must be true or false');
  const rebuild = changes.failure !== undefined || !('failurePolicy' in current);
  const failurePolicy = !rebuild ? currentPolicy : next.failure === null ? undefined : createFailurePolicy(next.failure);
  return { ...next, failurePolicy };
}
