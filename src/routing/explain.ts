import type { Config } from '../config/types.js';
import { Status } from '../smpp/status.js';
import { noCarrierAvailableStatus, orderCandidates, type HealthOf, type SkipReason } from './candidates.js';
import { normalizeDestination } from './destination.js';
import { resolveRoute, type RouteRejection } from './resolve.js';
import { rewriteSender, senderAllowed, type RewrittenSender } from './sender.js';

export interface ExplainInput {
  readonly account: string;
  readonly to: string;
  readonly from: string;
  /** source_addr_ton of the submit being explained; default 0 (unknown). */
  readonly ton?: number;
  /** source_addr_npi; default 0 (unknown). */
  readonly npi?: number;
}

export type ExplainRejection = 'unknown_account' | 'sender_not_allowed' | RouteRejection | 'no_carrier_available';

/** `unknown` when the explanation runs without live health (the offline `route` command). */
export type ExplainedHealth = 'bound' | 'not_bound' | 'circuit_open' | 'unknown';

export interface ExplainedCandidate {
  readonly carrier: string;
  readonly cost: number;
  readonly health: ExplainedHealth;
  /** 1-based position in the failover order; undefined when the carrier would be skipped. */
  readonly attempt: number | undefined;
  readonly skipped: SkipReason | undefined;
  /** The sender this carrier would see after sender_rewrite. */
  readonly sender: RewrittenSender;
}

interface ExplanationBase {
  readonly input: Required<ExplainInput>;
  /** Normalised destination; undefined when it is not a routable number. */
  readonly destination: string | undefined;
  /** False for an offline explanation: every carrier was assumed bound. */
  readonly healthKnown: boolean;
  readonly route: { readonly name: string; readonly prefix: string } | undefined;
  /** Cost order, the usable ones numbered by attempt. */
  readonly candidates: readonly ExplainedCandidate[];
}

export type RouteExplanation =
  | (ExplanationBase & { readonly ok: true; readonly status: 0 })
  | (ExplanationBase & {
      readonly ok: false;
      /** The command_status the ESME would get (ESME_RBINDFAIL for an unknown account: it could not even bind). */
      readonly status: number;
      readonly reason: ExplainRejection;
      readonly message: string;
    });

const OFFLINE: HealthOf = () => ({ bound: true, circuitOpen: false });

/**
 * What the proxy would do with a submit_sm, step by step as the broker does it: account,
 * sender allow-list, route, carriers in failover order with health, and the sender each carrier
 * would see. Without `health` every carrier is assumed bound and reported as `unknown`.
 */
export function explainRoute(config: Config, request: ExplainInput, health?: HealthOf): RouteExplanation {
  const input: Required<ExplainInput> = { account: request.account, to: request.to, from: request.from, ton: request.ton ?? 0, npi: request.npi ?? 0 };
  const base = { input, destination: normalizeDestination(input.to), healthKnown: health !== undefined };
  const noRoute = { route: undefined, candidates: [] as ExplainedCandidate[] };

  const account = config.accounts[input.account];
  if (account === undefined) {
    return { ...base, ...noRoute, ok: false, status: Status.ESME_RBINDFAIL, reason: 'unknown_account', message: `no account named "${input.account}"` };
  }
  if (!senderAllowed(account, input.from)) {
    return {
      ...base,
      ...noRoute,
      ok: false,
      status: Status.ESME_RINVSRCADR,
      reason: 'sender_not_allowed',
      message: `sender ${JSON.stringify(input.from)} is not in the sender_ids of account "${account.name}"`,
    };
  }
  const resolution = resolveRoute(config, account, input.to);
  if (!resolution.ok) return { ...base, ...noRoute, ok: false, status: resolution.status, reason: resolution.reason, message: resolution.message };

  const order = orderCandidates(resolution.candidates, health ?? OFFLINE);
  const candidates = resolution.candidates.map((candidate): ExplainedCandidate => {
    const attempt = order.usable.indexOf(candidate);
    const state = health?.(candidate.carrier);
    return {
      carrier: candidate.carrier,
      cost: candidate.cost,
      health: state === undefined ? 'unknown' : !state.bound ? 'not_bound' : state.circuitOpen ? 'circuit_open' : 'bound',
      attempt: attempt < 0 ? undefined : attempt + 1,
      skipped: order.skipped.find((s) => s.carrier === candidate.carrier)?.reason,
      sender: rewriteSender(config, {
        account: account.name,
        carrier: candidate.carrier,
        destination: input.to,
        sender: input.from,
        ton: input.ton,
        npi: input.npi,
      }),
    };
  });
  const explained = { ...base, route: { name: resolution.route.name, prefix: resolution.prefix }, candidates };
  const unavailable = noCarrierAvailableStatus(order);
  if (unavailable !== undefined) {
    return { ...explained, ok: false, status: unavailable, reason: 'no_carrier_available', message: `route "${resolution.route.name}" has carriers but none is bound with a closed circuit` };
  }
  return { ...explained, ok: true, status: Status.ESME_ROK };
}
