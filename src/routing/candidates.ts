import type { RouteCarrier } from '../config/types.js';
import { Status } from '../smpp/status.js';

/** What the carrier pools know about a carrier at the moment of routing. */
export interface CarrierHealth {
  /** At least one session of the carrier is bound and able to send. */
  readonly bound: boolean;
  /** The circuit breaker is open after repeated temporary failures. */
  readonly circuitOpen: boolean;
}

export type HealthOf = (carrier: string) => CarrierHealth;

export const SKIP_REASONS = ['not_bound', 'circuit_open', 'sticky_elsewhere'] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

export interface SkippedCandidate extends RouteCarrier {
  readonly reason: SkipReason;
}

export interface CandidateOrder {
  /** Carriers to try, in this order, failing over to the next on a temporary failure. */
  readonly usable: readonly RouteCarrier[];
  readonly skipped: readonly SkippedCandidate[];
}

export interface OrderOptions {
  /**
   * The carrier earlier parts of the same concatenated message went through (ConcatStickiness).
   * When it is one of the candidates it is the only usable one: a part sent elsewhere could
   * never be joined with the others on the handset, so while that carrier cannot take it the
   * part is refused as temporary (ESME_RMSGQFUL) and the ESME retries it.
   */
  readonly sticky?: string | undefined;
}

/**
 * Healthy candidates in the order given (the route's cost order), plus the skipped ones with
 * the reason. A carrier with no bound session is reported as not_bound even if its circuit is
 * also open, because binding is what has to happen first.
 */
export function orderCandidates(candidates: readonly RouteCarrier[], health: HealthOf, options: OrderOptions = {}): CandidateOrder {
  const sticky = options.sticky !== undefined && candidates.some((c) => c.carrier === options.sticky) ? options.sticky : undefined;
  const usable: RouteCarrier[] = [];
  const skipped: SkippedCandidate[] = [];
  for (const candidate of candidates) {
    if (sticky !== undefined && candidate.carrier !== sticky) {
      skipped.push({ ...candidate, reason: 'sticky_elsewhere' });
      continue;
    }
    const state = health(candidate.carrier);
    if (!state.bound) skipped.push({ ...candidate, reason: 'not_bound' });
    else if (state.circuitOpen) skipped.push({ ...candidate, reason: 'circuit_open' });
    else usable.push(candidate);
  }
  return { usable, skipped };
}

/**
 * The answer when a route exists but no candidate can take the message now: ESME_RMSGQFUL,
 * which tells the ESME to retry later (unlike ESME_RINVDSTADR, which says never). undefined
 * while there is a carrier to try.
 */
export function noCarrierAvailableStatus(order: CandidateOrder): number | undefined {
  return order.usable.length === 0 ? Status.ESME_RMSGQFUL : undefined;
}

/** How an attempt at one carrier failed: its command_status, or no answer at all. */
export type UpstreamFailure = number | 'timeout' | 'session_lost';

const TEMPORARY_STATUSES: ReadonlySet<number> = new Set([Status.ESME_RMSGQFUL, Status.ESME_RTHROTTLED, Status.ESME_RSYSERR, Status.ESME_RX_T_APPN]);

/**
 * Whether a failed attempt goes on to the next candidate. Temporary failures do: queue full,
 * throttled, system error, temporary application error, no response in time, and the session
 * lost before the response. Any other status is the carrier's verdict on the message itself and
 * goes back to the ESME, because another carrier would very likely say the same.
 */
export function shouldFailOver(failure: UpstreamFailure): boolean {
  return typeof failure === 'string' || TEMPORARY_STATUSES.has(failure);
}
