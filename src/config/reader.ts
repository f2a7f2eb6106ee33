import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node, type YAMLMap } from 'yaml';
import { parseDuration } from './duration.js';
import { parseHostPort, type HostPort } from './net.js';
import type { ConfigProblem } from './problems.js';
import { didYouMean } from './suggest.js';

/**
 * Walks the YAML node tree (not its JavaScript value) so every problem keeps the line and column
 * of the key or value it is about. Readers never throw: they record a problem and return
 * undefined, and the caller substitutes a placeholder so that one bad value does not hide the
 * problems after it. The placeholders never escape: any recorded problem fails the whole load.
 */
export class Checker {
  private readonly found: ConfigProblem[] = [];
  private readonly failedPaths: string[] = [];

  constructor(
    readonly file: string,
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  /**
   * `at` is the node the problem is about (its first character is reported) or a source offset.
   * `valueInvalid` false is for conflicts between values that are each valid: they must not
   * stop other cross-checks that involve the same values.
   */
  report(at: Node | number | undefined, path: string, message: string, valueInvalid = true): void {
    const offset = typeof at === 'number' ? at : (at?.range?.[0] ?? 0);
    const { line, col } = this.lines.linePos(offset);
    this.found.push({ file: this.file, line: Math.max(1, line), col: Math.max(1, col), path, message });
    if (valueInvalid) this.failedPaths.push(path);
  }

  /** True when a value at `path` or below it was invalid: cross-checks skip such values to avoid follow-on noise. */
  failed(...paths: string[]): boolean {
    return paths.some((path) => this.failedPaths.some((p) => p === path || p.startsWith(`${path}.`) || p.startsWith(`${path}[`)));
  }

  get problemCount(): number {
    return this.found.length;
  }

  /** Problems in file order, which is the order an operator fixes them in. */
  problems(): ConfigProblem[] {
    return [...this.found].sort((a, b) => a.line - b.line || a.col - b.col);
  }

  /** Follows aliases; an empty value (`key:` or `~`) counts as absent. */
  resolve(node: Node | null | undefined, path: string): Node | undefined {
    let current: unknown = node;
    for (let hops = 0; isAlias(current); hops++) {
      const target: unknown = current.resolve(this.doc);
      if (target === undefined || hops > 64) {
        this.report(current, path, `alias *${current.source} refers to no anchor`);
        return undefined;
      }
      current = target;
    }
    if (current === null || current === undefined) return undefined;
    if (isScalar(current) && current.value === null) return undefined;
    return current as Node;
  }
}

export type Reader<T> = (c: Checker, node: Node, path: string) => T | undefined;

interface Entry {
  readonly key: string;
  readonly keyNode: Node;
  readonly value: Node | undefined;
}

export function joinPath(parent: string, key: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(key)) return `${parent}[${JSON.stringify(key)}]`;
  return parent === '' ? key : `${parent}.${key}`;
}

export function indexPath(parent: string, index: number): string {
  return `${parent}[${index}]`;
}

/**
 * A YAML mapping with known keys. Unknown keys are reported once, with a "did you mean" hint.
 * YAML merge keys (`<<: *defaults`) are honoured: keys written in the mapping itself win over
 * merged ones, and earlier merge sources win over later ones.
 */
export class MapView {
  private constructor(
    private readonly c: Checker,
    /** Where problems about missing keys point: the mapping itself, or its parent key when absent. */
    private readonly anchorNode: Node | number | undefined,
    readonly path: string,
    private readonly entries: ReadonlyMap<string, Entry>,
  ) {}

  /**
   * `allowed` lists the keys this mapping may hold; null allows any key (a mapping of names, like
   * `accounts`). `node` undefined means the mapping is absent, which yields an empty view.
   */
  static of(c: Checker, node: Node | undefined, path: string, allowed: readonly string[] | null, where?: Node | number): MapView {
    if (node === undefined) return new MapView(c, where, path, new Map());
    if (!isMap(node)) {
      c.report(node, path, `expected a mapping, got ${describe(node)}`);
      return new MapView(c, node, path, new Map());
    }
    const entries = new Map<string, Entry>();
    collectEntries(c, node, path, entries, 0);
    if (allowed !== null) {
      for (const entry of entries.values()) {
        if (!allowed.includes(entry.key)) {
          c.report(entry.keyNode, joinPath(path, entry.key), `unknown key${didYouMean(entry.key, allowed)}`);
        }
      }
    }
    return new MapView(c, node, path, entries);
  }

  /** The key is there with a non-empty value. */
  has(key: string): boolean {
    return this.entries.get(key)?.value !== undefined;
  }

  /** The key is written, even with an empty value (`simulator:` on its own). */
  present(key: string): boolean {
    return this.entries.has(key);
  }

  keys(): string[] {
    return [...this.entries.keys()];
  }

  child(key: string): string {
    return joinPath(this.path, key);
  }

  /** The value node of `key`, undefined when absent or empty. */
  node(key: string): Node | undefined {
    return this.entries.get(key)?.value;
  }

  /** Best place to point at for a problem about `key`: its value, else its key, else this mapping. */
  locate(key?: string): Node | number | undefined {
    if (key !== undefined) {
      const entry = this.entries.get(key);
      if (entry) return entry.value ?? entry.keyNode;
    }
    return this.anchorNode;
  }

  /** Where the key itself is written (for problems about a name, like a duplicate). */
  locateKey(key: string): Node | number | undefined {
    return this.entries.get(key)?.keyNode ?? this.anchorNode;
  }

  get<T>(key: string, read: Reader<T>, required = false): T | undefined {
    const entry = this.entries.get(key);
    if (entry?.value === undefined) {
      if (required) this.require(key);
      return undefined;
    }
    return read(this.c, entry.value, this.child(key));
  }

  /** Reports `key` as missing (or empty) unless it has a value; true when it has one. */
  require(key: string): boolean {
    const entry = this.entries.get(key);
    if (entry?.value !== undefined) return true;
    this.c.report(entry?.keyNode ?? this.anchorNode, this.child(key), entry ? 'is empty; a value is required' : 'missing required key');
    return false;
  }

  /** A nested mapping (empty view when absent). */
  map(key: string, allowed: readonly string[] | null): MapView {
    return MapView.of(this.c, this.node(key), this.child(key), allowed, this.locate(key));
  }

  /** A problem about `key` (or this mapping) that does not make the value itself unusable for other checks. */
  report(key: string | undefined, message: string): void {
    this.c.report(this.locate(key), key === undefined ? this.path : this.child(key), message, false);
  }
}

function collectEntries(c: Checker, node: YAMLMap, path: string, into: Map<string, Entry>, depth: number): void {
  const merges: Node[] = [];
  for (const pair of node.items) {
    const keyNode = pair.key as Node | null;
    const key = keyText(keyNode);
    if (key === undefined || keyNode === null) {
      c.report(keyNode ?? node, path, 'keys must be plain strings');
      continue;
    }
    if (key === '<<' && isScalar(keyNode) && keyNode.type === 'PLAIN') {
      const value = pair.value as Node | null;
      if (value !== null) merges.push(value);
      continue;
    }
    // Duplicate keys are reported by the YAML parser itself; the first occurrence is the one used.
    if (!into.has(key)) into.set(key, { key, keyNode, value: c.resolve(pair.value as Node | null, joinPath(path, key)) });
  }
  if (depth > 16) return;
  for (const merge of merges) {
    const resolved = c.resolve(merge, path);
    const sources = resolved !== undefined && isSeq(resolved) ? resolved.items.map((item) => c.resolve(item as Node, path)) : [resolved];
    for (const source of sources) {
      if (source === undefined || !isMap(source)) {
        c.report(source ?? merge, path, 'a merge key (<<) needs a mapping or a list of mappings');
        continue;
      }
      const merged = new Map<string, Entry>();
      collectEntries(c, source, path, merged, depth + 1);
      for (const [key, entry] of merged) if (!into.has(key)) into.set(key, entry);
    }
  }
}

function keyText(node: Node | null): string | undefined {
  if (!isScalar(node)) return undefined;
  if (typeof node.value === 'string') return node.value;
  if (typeof node.value === 'number') return node.source ?? String(node.value);
  return undefined;
}

/** How a value appears in a message: scalars quoted as written, collections by kind. */
export function describe(node: Node | undefined): string {
  if (node === undefined) return 'nothing';
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) {
    const value = node.value;
    if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
    if (value === null) return 'an empty value';
    return String(node.source ?? value);
  }
  return 'an unsupported value';
}

// ---- scalar readers ------------------------------------------------------------------------

export interface StringRule {
  maxLength?: number;
  /** Tested against the whole value (a RegExp or any predicate); `what` completes "expected ...". */
  pattern?: { re: { test(value: string): boolean }; what: string };
  allowEmpty?: boolean;
}

/**
 * Strings. A plain YAML number is accepted as the text it was written as (`prefix: [447]`,
 * `password: 1234`, `0044` stays "0044"), because that is what an operator means by it.
 */
export function str(rule: StringRule = {}): Reader<string> {
  return (c, node, path) => {
    let value: string | undefined;
    if (isScalar(node)) {
      if (typeof node.value === 'string') value = node.value;
      else if (typeof node.value === 'number' && node.type === 'PLAIN') value = node.source ?? String(node.value);
    }
    if (value === undefined) {
      c.report(node, path, `expected ${rule.pattern?.what ?? 'a string'}, got ${describe(node)}`);
      return undefined;
    }
    if (value === '' && !rule.allowEmpty) {
      c.report(node, path, 'must not be empty');
      return undefined;
    }
    if (rule.maxLength !== undefined && value.length > rule.maxLength) {
      c.report(node, path, `is ${value.length} characters long; at most ${rule.maxLength} allowed`);
      return undefined;
    }
    if (rule.pattern && !(value === '' && rule.allowEmpty) && !rule.pattern.re.test(value)) {
      c.report(node, path, `expected ${rule.pattern.what}, got ${describe(node)}`);
      return undefined;
    }
    return value;
  };
}

export interface RangeRule {
  min?: number;
  max?: number;
}

function integerWhat({ min, max }: RangeRule): string {
  if (max !== undefined) return `an integer from ${min ?? Number.MIN_SAFE_INTEGER} to ${max}`;
  if (min === 1) return 'a positive integer';
  if (min === 0) return 'a non-negative integer';
  return min === undefined ? 'an integer' : `an integer of at least ${min}`;
}

export function int(rule: RangeRule = {}): Reader<number> {
  return (c, node, path) => {
    const value = isScalar(node) ? node.value : undefined;
    const ok =
      typeof value === 'number' &&
      Number.isSafeInteger(value) &&
      (rule.min === undefined || value >= rule.min) &&
      (rule.max === undefined || value <= rule.max);
    if (!ok) {
      c.report(node, path, `expected ${integerWhat(rule)}, got ${describe(node)}`);
      return undefined;
    }
    return value;
  };
}

export function num(rule: RangeRule = {}): Reader<number> {
  return (c, node, path) => {
    const value = isScalar(node) ? node.value : undefined;
    const ok =
      typeof value === 'number' &&
      Number.isFinite(value) &&
      (rule.min === undefined || value >= rule.min) &&
      (rule.max === undefined || value <= rule.max);
    if (!ok) {
      const range =
        rule.min !== undefined && rule.max !== undefined
          ? ` from ${rule.min} to ${rule.max}`
          : rule.min !== undefined
            ? ` of at least ${rule.min}`
            : rule.max !== undefined
              ? ` of at most ${rule.max}`
              : '';
      c.report(node, path, `expected a number${range}, got ${describe(node)}`);
      return undefined;
    }
    return value;
  };
}

/** YAML 1.2 booleans only: `yes`/`no`/`on` are strings there, and guessing would hide typos. */
export const bool: Reader<boolean> = (c, node, path) => {
  if (isScalar(node) && typeof node.value === 'boolean') return node.value;
  c.report(node, path, `expected true or false, got ${describe(node)}`);
  return undefined;
};

export function oneOf<const T extends string>(values: readonly T[]): Reader<T> {
  return (c, node, path) => {
    const value = isScalar(node) ? node.value : undefined;
    if (typeof value === 'string' && (values as readonly string[]).includes(value)) return value as T;
    const hint = typeof value === 'string' ? didYouMean(value, values) : '';
    c.report(node, path, `expected one of ${values.join(', ')}, got ${describe(node)}${hint}`);
    return undefined;
  };
}

/** Milliseconds; `min`/`max` in milliseconds, with their messages in the units people write. */
export function duration(rule: RangeRule & { minText?: string; maxText?: string } = {}): Reader<number> {
  return (c, node, path) => {
    const value = isScalar(node) ? node.value : undefined;
    if (typeof value !== 'string' && typeof value !== 'number') {
      c.report(node, path, `expected a duration like "5s" or a number of milliseconds, got ${describe(node)}`);
      return undefined;
    }
    const parsed = parseDuration(value);
    if (!parsed.ok) {
      c.report(node, path, parsed.message);
      return undefined;
    }
    if (rule.min !== undefined && parsed.ms < rule.min) {
      c.report(node, path, `must be at least ${rule.minText ?? `${rule.min}ms`}, got ${describe(node)}`);
      return undefined;
    }
    if (rule.max !== undefined && parsed.ms > rule.max) {
      c.report(node, path, `must be at most ${rule.maxText ?? `${rule.max}ms`}, got ${describe(node)}`);
      return undefined;
    }
    return parsed.ms;
  };
}

export function hostPort(allowPortZero: boolean): Reader<HostPort> {
  return (c, node, path) => {
    const text = str()(c, node, path);
    if (text === undefined) return undefined;
    const parsed = parseHostPort(text, allowPortZero);
    if (!parsed.ok) {
      c.report(node, path, parsed.message);
      return undefined;
    }
    return parsed.value;
  };
}

/** `false` switches a listener off; anything else must be a listen address. */
export function listenOrOff(c: Checker, node: Node, path: string): HostPort | 'off' | undefined {
  if (isScalar(node) && node.value === false) return 'off';
  return hostPort(true)(c, node, path);
}

/** A regular expression, compiled now so a bad one is a load error rather than a runtime one. */
export const regex: Reader<RegExp> = (c, node, path) => {
  const text = str()(c, node, path);
  if (text === undefined) return undefined;
  return compileRegex(c, node, path, text);
};

export function compileRegex(c: Checker, node: Node, path: string, source: string): RegExp | undefined {
  try {
    return new RegExp(source);
  } catch (error) {
    c.report(node, path, `invalid regular expression ${JSON.stringify(source)}: ${(error as Error).message}`);
    return undefined;
  }
}

export interface ListRule {
  nonEmpty?: boolean;
  /** Accept a lone scalar as a one-item list (`prefix: "447"`). */
  allowSingle?: boolean;
}

/** A list whose items are read one by one; bad items are reported and left out. */
export function list<T>(item: Reader<T>, rule: ListRule = {}): Reader<T[]> {
  return (c, node, path) => {
    if (!isSeq(node)) {
      if (rule.allowSingle && isScalar(node)) {
        const value = item(c, node, path);
        return value === undefined ? undefined : [value];
      }
      c.report(node, path, `expected a list, got ${describe(node)}`);
      return undefined;
    }
    if (rule.nonEmpty && node.items.length === 0) {
      c.report(node, path, 'must list at least one entry');
      return undefined;
    }
    const out: T[] = [];
    node.items.forEach((raw, index) => {
      const itemPath = indexPath(path, index);
      const resolved = c.resolve(raw as Node | null, itemPath);
      if (resolved === undefined) {
        c.report((raw as Node | null) ?? node, itemPath, 'empty list entry');
        return;
      }
      const value = item(c, resolved, itemPath);
      if (value !== undefined) out.push(value);
    });
    return out;
  };
}

/** Each item of a list with its own path and node, for lists of mappings read with MapView. */
export function listItems(c: Checker, node: Node | undefined, path: string): Array<{ node: Node; path: string; index: number }> {
  if (node === undefined) return [];
  if (!isSeq(node)) {
    c.report(node, path, `expected a list, got ${describe(node)}`);
    return [];
  }
  const out: Array<{ node: Node; path: string; index: number }> = [];
  node.items.forEach((raw, index) => {
    const itemPath = indexPath(path, index);
    const resolved = c.resolve(raw as Node | null, itemPath);
    if (resolved === undefined) c.report((raw as Node | null) ?? node, itemPath, 'empty list entry');
    else out.push({ node: resolved, path: itemPath, index });
  });
  return out;
}
