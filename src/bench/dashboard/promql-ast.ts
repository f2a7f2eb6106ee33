import type { LabelMatcher } from './sample-store.js';

/**
 * The PromQL subset this renderer evaluates: what deploy/grafana/dashboard.json writes, and
 * nothing it would have to guess at. Anything else is refused with PromqlError UNSUPPORTED and
 * its panel says so instead of showing made-up lines.
 */
export type Expr = NumberLiteral | VectorSelector | RateCall | QuantileCall | Aggregation | BinaryDivide;

export interface NumberLiteral {
  kind: 'number';
  value: number;
}

export interface VectorSelector {
  kind: 'selector';
  matchers: LabelMatcher[];
}

/** rate(selector[range]): per-second increase of a counter, extrapolated as Prometheus does. */
export interface RateCall {
  kind: 'rate';
  selector: VectorSelector;
  rangeMs: number;
}

/** histogram_quantile(q, buckets) over classic `le` buckets. */
export interface QuantileCall {
  kind: 'histogram_quantile';
  quantile: Expr;
  buckets: Expr;
}

export const AggregationOps = ['sum', 'min', 'max', 'avg', 'count'] as const;
export type AggregationOp = (typeof AggregationOps)[number];

/** op by (labels) (expr); no `by` aggregates everything into one series. */
export interface Aggregation {
  kind: 'aggregate';
  op: AggregationOp;
  by: string[];
  expr: Expr;
}

/** a / b, one-to-one on identical label sets (no on/ignoring/group modifiers). */
export interface BinaryDivide {
  kind: 'divide';
  left: Expr;
  right: Expr;
}

export const PromqlErrorCodes = {
  /** Valid PromQL, or close to it, that this subset does not evaluate. */
  UNSUPPORTED: 'UNSUPPORTED',
  SYNTAX: 'SYNTAX',
  /** Evaluation failed the way Prometheus would fail it (e.g. many-to-many matching). */
  EVALUATION: 'EVALUATION',
} as const;
export type PromqlErrorCode = (typeof PromqlErrorCodes)[keyof typeof PromqlErrorCodes];

export class PromqlError extends Error {
  readonly code: PromqlErrorCode;
  constructor(code: PromqlErrorCode, message: string) {
    super(message);
    this.name = 'PromqlError';
    this.code = code;
  }
}
