import { AggregationOps, PromqlError, type AggregationOp, type Expr, type VectorSelector } from './promql-ast.js';
import { anchored, type LabelMatcher, type MatchOp } from './sample-store.js';
import { NAME_LABEL } from './labels.js';

type TokenKind = 'ident' | 'number' | 'string' | 'punct' | 'op' | 'duration' | 'end';

interface Token {
  kind: TokenKind;
  text: string;
  pos: number;
  /** Decoded value of a string token. */
  value?: string;
}

const IDENT = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const NUMBER = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/;
const DURATION = /^(?:\d+(?:ms|s|m|h|d|w|y))+/;
const DURATION_PART = /(\d+)(ms|s|m|h|d|w|y)/g;
const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_536_000_000 };
/** Longest first, so `!=` is not read as `!` and `=`. */
const OPERATORS = ['=~', '!~', '!=', '==', '>=', '<=', '=', '>', '<', '+', '-', '*', '/', '%', '^', '@'];
const PUNCT = '(){}[],:';

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let pos = 0;
  let afterBracket = false;
  while (pos < source.length) {
    const c = source[pos]!;
    if (/\s/.test(c)) {
      pos++;
      continue;
    }
    const rest = source.slice(pos);
    // Inside [...] a number followed by a unit is a duration, not a number and an identifier.
    const duration = afterBracket ? DURATION.exec(rest) : null;
    if (duration !== null) {
      tokens.push({ kind: 'duration', text: duration[0], pos });
      pos += duration[0].length;
      continue;
    }
    afterBracket = false;
    if (c === '"' || c === "'" || c === '`') {
      const { value, end } = readString(source, pos);
      tokens.push({ kind: 'string', text: source.slice(pos, end), pos, value });
      pos = end;
      continue;
    }
    const number = NUMBER.exec(rest);
    if (number !== null) {
      tokens.push({ kind: 'number', text: number[0], pos });
      pos += number[0].length;
      continue;
    }
    // After a duration, ':' opens a subquery step; anywhere else it may start a metric name.
    const ident = c === ':' && tokens[tokens.length - 1]?.kind === 'duration' ? null : IDENT.exec(rest);
    if (ident !== null) {
      tokens.push({ kind: 'ident', text: ident[0], pos });
      pos += ident[0].length;
      continue;
    }
    if (PUNCT.includes(c)) {
      tokens.push({ kind: 'punct', text: c, pos });
      afterBracket = c === '[' || c === ':';
      pos++;
      continue;
    }
    const op = OPERATORS.find((o) => rest.startsWith(o));
    if (op !== undefined) {
      tokens.push({ kind: 'op', text: op, pos });
      pos += op.length;
      continue;
    }
    throw new PromqlError('SYNTAX', `unexpected character ${JSON.stringify(c)} at ${pos + 1}`);
  }
  tokens.push({ kind: 'end', text: '', pos });
  return tokens;
}

function readString(source: string, start: number): { value: string; end: number } {
  const quote = source[start]!;
  let pos = start + 1;
  let value = '';
  for (;;) {
    const c = source[pos];
    if (c === undefined) throw new PromqlError('SYNTAX', `unterminated string at ${start + 1}`);
    pos++;
    if (c === quote) return { value, end: pos };
    if (c === '\\' && quote !== '`') {
      const next = source[pos];
      if (next === undefined) throw new PromqlError('SYNTAX', `unterminated string at ${start + 1}`);
      pos++;
      const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', "'": "'" };
      const decoded = simple[next];
      // Go string escapes beyond these (\x, \u, octal) do not occur in dashboard queries.
      if (decoded === undefined) throw new PromqlError('UNSUPPORTED', `string escape \\${next} at ${pos - 1}`);
      value += decoded;
    } else {
      value += c;
    }
  }
}

export function parseDuration(text: string): number {
  if (DURATION.exec(text)?.[0] !== text) throw new PromqlError('SYNTAX', `invalid duration ${JSON.stringify(text)}`);
  let ms = 0;
  for (const [, amount, unit] of text.matchAll(DURATION_PART)) ms += Number(amount) * UNIT_MS[unit!]!;
  if (ms <= 0) throw new PromqlError('SYNTAX', `duration ${text} must be positive`);
  return ms;
}

/** A selector with a range, which only rate() takes here. */
interface MatrixSelector {
  kind: 'matrix';
  selector: VectorSelector;
  rangeMs: number;
}

class Parser {
  private i = 0;
  constructor(private readonly tokens: Token[]) {}

  parseAll(): Expr {
    const expr = this.instant(this.expression(), 'the query');
    const next = this.peek();
    if (next.kind !== 'end') this.unexpected(next);
    return expr;
  }

  private expression(): Expr | MatrixSelector {
    let left = this.primary();
    for (;;) {
      const next = this.peek();
      if (next.kind === 'op' && next.text === '/') {
        this.i++;
        if (this.peek().kind === 'ident' && ['on', 'ignoring', 'group_left', 'group_right', 'bool'].includes(this.peek().text)) {
          throw new PromqlError('UNSUPPORTED', `vector matching modifier ${this.peek().text}`);
        }
        left = { kind: 'divide', left: this.instant(left, 'the left side of /'), right: this.instant(this.primary(), 'the right side of /') };
        continue;
      }
      if (next.kind === 'op' || (next.kind === 'ident' && ['and', 'or', 'unless', 'offset', 'atan2'].includes(next.text))) {
        throw new PromqlError('UNSUPPORTED', `operator ${next.text}`);
      }
      return left;
    }
  }

  private primary(): Expr | MatrixSelector {
    const t = this.peek();
    if (t.kind === 'punct' && t.text === '(') {
      this.i++;
      const inner = this.expression();
      this.expect(')');
      return inner;
    }
    if (t.kind === 'number') {
      this.i++;
      return { kind: 'number', value: Number(t.text) };
    }
    if (t.kind === 'punct' && t.text === '{') return this.rangeSuffix(this.selector(undefined));
    if (t.kind === 'ident') {
      this.i++;
      const lower = t.text.toLowerCase();
      if (lower === 'inf' || lower === 'nan') return { kind: 'number', value: lower === 'inf' ? Number.POSITIVE_INFINITY : Number.NaN };
      if ((AggregationOps as readonly string[]).includes(t.text)) return this.aggregation(t.text as AggregationOp);
      if (this.peekPunct('(')) return this.call(t.text);
      return this.rangeSuffix(this.selector(t.text));
    }
    if (t.kind === 'op' && (t.text === '-' || t.text === '+')) throw new PromqlError('UNSUPPORTED', `unary ${t.text}`);
    return this.unexpected(t);
  }

  private aggregation(op: AggregationOp): Expr {
    let by = this.grouping();
    this.expect('(');
    const expr = this.instant(this.expression(), `${op}()`);
    if (this.peekPunct(',')) throw new PromqlError('UNSUPPORTED', `${op} with a parameter`);
    this.expect(')');
    if (by === undefined) by = this.grouping();
    return { kind: 'aggregate', op, by: by ?? [], expr };
  }

  private grouping(): string[] | undefined {
    const t = this.peek();
    if (t.kind !== 'ident') return undefined;
    if (t.text === 'without') throw new PromqlError('UNSUPPORTED', 'aggregation without (...)');
    if (t.text !== 'by') return undefined;
    this.i++;
    this.expect('(');
    const labels: string[] = [];
    while (!this.peekPunct(')')) {
      const label = this.next();
      if (label.kind !== 'ident' || !/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(label.text)) this.unexpected(label);
      labels.push(label.text);
      if (!this.peekPunct(',')) break;
      this.i++;
    }
    this.expect(')');
    return labels;
  }

  private call(name: string): Expr {
    this.expect('(');
    if (name === 'rate') {
      const arg = this.expression();
      this.expect(')');
      if (arg.kind !== 'matrix') throw new PromqlError('SYNTAX', 'rate() expects a range vector like metric[1m]');
      return { kind: 'rate', selector: arg.selector, rangeMs: arg.rangeMs };
    }
    if (name === 'histogram_quantile') {
      const quantile = this.instant(this.expression(), 'the quantile of histogram_quantile()');
      this.expect(',');
      const buckets = this.instant(this.expression(), 'the buckets of histogram_quantile()');
      this.expect(')');
      return { kind: 'histogram_quantile', quantile, buckets };
    }
    throw new PromqlError('UNSUPPORTED', `function ${name}()`);
  }

  private selector(name: string | undefined): VectorSelector {
    const matchers: LabelMatcher[] = name === undefined ? [] : [{ name: NAME_LABEL, op: '=', value: name }];
    if (this.peekPunct('{')) {
      this.i++;
      while (!this.peekPunct('}')) {
        const label = this.next();
        if (label.kind !== 'ident' || !/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(label.text)) this.unexpected(label);
        const op = this.next();
        if (op.kind !== 'op' || !['=', '!=', '=~', '!~'].includes(op.text)) this.unexpected(op);
        const value = this.next();
        if (value.kind !== 'string') this.unexpected(value);
        if (op.text === '=~' || op.text === '!~') checkRegex(value.value!);
        matchers.push({ name: label.text, op: op.text as MatchOp, value: value.value! });
        if (!this.peekPunct(',')) break;
        this.i++;
      }
      this.expect('}');
    }
    // As in Prometheus: a selector that also matches series without any of its labels would select everything.
    if (matchers.every(matchesEmpty)) {
      throw new PromqlError('SYNTAX', 'a vector selector must contain at least one non-empty matcher');
    }
    return { kind: 'selector', matchers };
  }

  private rangeSuffix(selector: VectorSelector): VectorSelector | MatrixSelector {
    let result: VectorSelector | MatrixSelector = selector;
    if (this.peekPunct('[')) {
      this.i++;
      const duration = this.next();
      if (duration.kind !== 'duration') this.unexpected(duration);
      if (this.peekPunct(':')) throw new PromqlError('UNSUPPORTED', 'subquery');
      this.expect(']');
      result = { kind: 'matrix', selector, rangeMs: parseDuration(duration.text) };
    }
    const t = this.peek();
    if ((t.kind === 'ident' && t.text === 'offset') || (t.kind === 'op' && t.text === '@')) {
      throw new PromqlError('UNSUPPORTED', `modifier ${t.text}`);
    }
    return result;
  }

  private instant(expr: Expr | MatrixSelector, where: string): Expr {
    if (expr.kind === 'matrix') throw new PromqlError('SYNTAX', `a range vector cannot be ${where}; only rate() takes one here`);
    return expr;
  }

  private peek(): Token {
    return this.tokens[this.i]!;
  }

  private next(): Token {
    const t = this.tokens[this.i]!;
    if (t.kind !== 'end') this.i++;
    return t;
  }

  private peekPunct(text: string): boolean {
    const t = this.peek();
    return t.kind === 'punct' && t.text === text;
  }

  private expect(text: string): void {
    const t = this.next();
    if (t.kind !== 'punct' || t.text !== text) this.unexpected(t, text);
  }

  private unexpected(t: Token, wanted?: string): never {
    const found = t.kind === 'end' ? 'the end of the query' : JSON.stringify(t.text);
    throw new PromqlError('SYNTAX', `unexpected ${found} at ${t.pos + 1}${wanted === undefined ? '' : `, expected ${JSON.stringify(wanted)}`}`);
  }
}

function checkRegex(source: string): void {
  try {
    anchored(source);
  } catch (error) {
    throw new PromqlError('SYNTAX', `invalid regular expression ${JSON.stringify(source)}: ${(error as Error).message}`);
  }
}

function matchesEmpty(m: LabelMatcher): boolean {
  switch (m.op) {
    case '=':
      return m.value === '';
    case '!=':
      return m.value !== '';
    case '=~':
      return anchored(m.value).test('');
    case '!~':
      return !anchored(m.value).test('');
  }
}

/** Parses a query of the supported subset; throws PromqlError (SYNTAX or UNSUPPORTED). */
export function parsePromql(source: string): Expr {
  return new Parser(tokenize(source)).parseAll();
}
