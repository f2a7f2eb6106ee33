export { normalizeDestination } from './destination.js';
export { resolveRoute, ROUTE_REJECTIONS, type RouteResolution, type RouteRejection } from './resolve.js';
export {
  orderCandidates,
  noCarrierAvailableStatus,
  shouldFailOver,
  SKIP_REASONS,
  type CarrierHealth,
  type HealthOf,
  type CandidateOrder,
  type SkippedCandidate,
  type SkipReason,
  type OrderOptions,
  type UpstreamFailure,
} from './candidates.js';
export { senderAllowed, rewriteSender, type SenderRewriteInput, type RewrittenSender } from './sender.js';
export { routeMo } from './mo.js';
export { ConcatStickiness, STICKINESS_DEFAULTS, type ConcatKey, type StickinessOptions } from './sticky.js';
export {
  explainRoute,
  type ExplainInput,
  type ExplainRejection,
  type ExplainedCandidate,
  type ExplainedHealth,
  type RouteExplanation,
} from './explain.js';
