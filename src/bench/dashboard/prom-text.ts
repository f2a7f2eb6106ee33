/**
 * A reader for the Prometheus text exposition format (version 0.0.4), the format /metrics
 * answers in. Only what a scrape needs: HELP and TYPE lines, samples with labels, optional
 * timestamps. Bad input is a PromTextError naming the line, never a crash or a silent skip.
 */
import type { Labels } from './labels.js';

export const MetricTypes = ['counter', 'gauge', 'histogram', 'summary', 'untyped'] as const;
export type MetricType = (typeof MetricTypes)[number];

export interface PromSample {
  /** The sample's own name: for a histogram x this is x_bucket, x_sum or x_count. */
  name: string;
  labels: Labels;
  value: number;
  /** Milliseconds since the epoch, when the exposition gives one. */
  timestampMs: number | undefined;
}

export interface MetricFamily {
  name: string;
  type: MetricType;
  help: string | undefined;
  samples: PromSample[];
}

export const PromTextErrorCodes = { SYNTAX: 'SYNTAX', DUPLICATE_LABEL: 'DUPLICATE_LABEL', BAD_VALUE: 'BAD_VALUE' } as const;
export type PromTextErrorCode = (typeof PromTextErrorCodes)[keyof typeof PromTextErrorCodes];

export class PromTextError extends Error {
  readonly code: PromTextErrorCode;
  /** 1-based line of the exposition. */
  readonly line: number;
  constructor(code: PromTextErrorCode, line: number, message: string) {
    super(`line ${line}: ${message}`);
    this.name = 'PromTextError';
    this.code = code;
    this.line = line;
  }
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;
/** Go's ParseFloat in decimal notation, as the format allows; hex floats are not written by any client. */
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const TIMESTAMP = /^-?\d+$/;

/** Sample-name suffixes that belong to a family of the given type. */
const SUFFIXES: Readonly<Record<MetricType, readonly string[]>> = {
  counter: [],
  gauge: [],
  untyped: [],
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['_sum', '_count'],
};

export function parsePrometheusText(text: string): MetricFamily[] {
  const families = new Map<string, MetricFamily>();
  /** Sample name -> its family, for names that carry a histogram/summary suffix. */
  const bySampleName = new Map<string, MetricFamily>();
  const family = (name: string): MetricFamily => {
    let f = families.get(name);
    if (f === undefined) {
      f = { name, type: 'untyped', help: undefined, samples: [] };
      families.set(name, f);
      bySampleName.set(name, f);
    }
    return f;
  };

  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const line = lines[i]!.replace(/\r$/, '');
    if (line.trim() === '') continue;
    if (line.startsWith('#')) {
      const meta = /^#\s+(HELP|TYPE)\s+(\S+)(?:\s(.*))?$/.exec(line);
      if (meta === null) continue; // an ordinary comment
      const [, keyword, name, rest] = meta as unknown as [string, 'HELP' | 'TYPE', string, string | undefined];
      if (METRIC_NAME.exec(name)?.[0] !== name) throw new PromTextError('SYNTAX', lineNo, `invalid metric name ${JSON.stringify(name)}`);
      const f = family(name);
      if (keyword === 'HELP') {
        f.help = unescapeHelp(rest ?? '');
      } else {
        const type = (rest ?? '').trim();
        if (!(MetricTypes as readonly string[]).includes(type)) throw new PromTextError('SYNTAX', lineNo, `unknown metric type ${JSON.stringify(type)}`);
        if (f.samples.length > 0) throw new PromTextError('SYNTAX', lineNo, `TYPE for ${name} after its samples`);
        f.type = type as MetricType;
        for (const suffix of SUFFIXES[f.type]) bySampleName.set(name + suffix, f);
      }
      continue;
    }
    const sample = parseSampleLine(line, lineNo);
    const owner = bySampleName.get(sample.name) ?? family(sample.name);
    owner.samples.push(sample);
  }
  return [...families.values()];
}

/** Every sample of every family, flattened: what a scrape stores. */
export function samplesOf(families: readonly MetricFamily[]): PromSample[] {
  return families.flatMap((f) => f.samples);
}

function parseSampleLine(line: string, lineNo: number): PromSample {
  let pos = 0;
  const fail = (message: string): never => {
    throw new PromTextError('SYNTAX', lineNo, `${message} at column ${pos + 1}`);
  };
  const skipSpace = (): void => {
    while (line[pos] === ' ' || line[pos] === '\t') pos++;
  };
  skipSpace();
  const name = METRIC_NAME.exec(line.slice(pos))?.[0];
  if (name === undefined) fail('expected a metric name');
  pos += name!.length;
  skipSpace();
  const labels: Record<string, string> = {};
  if (line[pos] === '{') {
    pos++;
    for (;;) {
      skipSpace();
      if (line[pos] === '}') {
        pos++;
        break;
      }
      const labelName = LABEL_NAME.exec(line.slice(pos))?.[0];
      if (labelName === undefined) fail('expected a label name');
      pos += labelName!.length;
      skipSpace();
      if (line[pos] !== '=') fail(`expected = after label ${labelName}`);
      pos++;
      skipSpace();
      if (line[pos] !== '"') fail(`expected a quoted value for label ${labelName}`);
      pos++;
      let value = '';
      for (;;) {
        const c = line[pos];
        if (c === undefined) fail(`unterminated value of label ${labelName}`);
        pos++;
        if (c === '"') break;
        if (c === '\\') {
          const next = line[pos];
          if (next === undefined) fail(`unterminated value of label ${labelName}`);
          pos++;
          // The format defines \\, \" and \n; Prometheus keeps any other escape as written.
          value += next === 'n' ? '\n' : next === '\\' || next === '"' ? next : `\\${next}`;
        } else {
          value += c;
        }
      }
      if (Object.hasOwn(labels, labelName!)) throw new PromTextError('DUPLICATE_LABEL', lineNo, `label ${labelName} appears twice`);
      labels[labelName!] = value;
      skipSpace();
      if (line[pos] === ',') {
        pos++;
        continue;
      }
      if (line[pos] === '}') {
        pos++;
        break;
      }
      fail('expected , or } after a label');
    }
  }
  const rest = line.slice(pos).trim().split(/[ \t]+/);
  if (rest.length === 0 || rest[0] === '') fail(`expected a value for ${name}`);
  if (rest.length > 2) fail('unexpected text after the timestamp');
  const value = parseValue(rest[0]!, lineNo);
  let timestampMs: number | undefined;
  if (rest[1] !== undefined) {
    if (!TIMESTAMP.test(rest[1])) throw new PromTextError('BAD_VALUE', lineNo, `invalid timestamp ${JSON.stringify(rest[1])}`);
    timestampMs = Number(rest[1]);
  }
  return { name: name!, labels, value, timestampMs };
}

function parseValue(text: string, lineNo: number): number {
  switch (text.toLowerCase()) {
    case 'nan':
      return Number.NaN;
    case '+inf':
    case 'inf':
      return Number.POSITIVE_INFINITY;
    case '-inf':
      return Number.NEGATIVE_INFINITY;
  }
  if (!DECIMAL.test(text)) throw new PromTextError('BAD_VALUE', lineNo, `invalid sample value ${JSON.stringify(text)}`);
  return Number(text);
}

/** HELP text escapes only backslash and newline. */
function unescapeHelp(text: string): string {
  return text.replace(/\\([\\n])/g, (_, c: string) => (c === 'n' ? '\n' : '\\'));
}
