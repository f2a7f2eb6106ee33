import type { Labels } from './labels.js';

/**
 * The parts of a Grafana dashboard JSON (schemaVersion 39) that the renderer draws: panels with
 * their grid position, queries, legend formats, unit and thresholds, and the template variables
 * the queries use. Fields it does not draw are ignored; fields it needs but finds malformed are a
 * DashboardError naming the JSON path.
 */

export interface GridPos {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface PanelTarget {
  refId: string;
  expr: string;
  legendFormat: string | undefined;
}

export interface Threshold {
  color: string;
  /** null is the base step, below every other. */
  value: number | null;
}

export interface DashboardPanel {
  id: number | undefined;
  type: string;
  title: string;
  gridPos: GridPos;
  unit: string | undefined;
  targets: PanelTarget[];
  thresholds: Threshold[] | undefined;
  /** Rows only: a collapsed row hides the panels it holds. */
  collapsed: boolean;
}

export interface TemplateVariable {
  name: string;
  type: string;
  /** The variable's value when its current selection is All ("$__all"), else its current value. */
  current: string | undefined;
}

export interface Dashboard {
  title: string;
  panels: DashboardPanel[];
  variables: TemplateVariable[];
}

export class DashboardError extends Error {
  readonly path: string;
  constructor(path: string, message: string) {
    super(`${path}: ${message}`);
    this.name = 'DashboardError';
    this.path = path;
  }
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function field<T>(obj: Json, key: string, path: string, check: (v: unknown) => v is T, what: string, optional: true): T | undefined;
function field<T>(obj: Json, key: string, path: string, check: (v: unknown) => v is T, what: string, optional?: false): T;
function field<T>(obj: Json, key: string, path: string, check: (v: unknown) => v is T, what: string, optional = false): T | undefined {
  const value = obj[key];
  if (value === undefined && optional) return undefined;
  if (!check(value)) throw new DashboardError(`${path}.${key}`, `expected ${what}`);
  return value;
}

const isString = (v: unknown): v is string => typeof v === 'string';
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isArray = (v: unknown): v is unknown[] => Array.isArray(v);
const isBoolean = (v: unknown): v is boolean => typeof v === 'boolean';

export function readDashboard(json: unknown): Dashboard {
  if (!isObject(json)) throw new DashboardError('$', 'expected a dashboard object');
  const title = field(json, 'title', '$', isString, 'a string');
  const panels: DashboardPanel[] = [];
  field(json, 'panels', '$', isArray, 'an array of panels').forEach((p, i) => {
    const path = `$.panels[${i}]`;
    const panel = readPanel(p, path);
    panels.push(panel);
    // A collapsed row keeps its panels inside it; Grafana shows them only when expanded.
    if (panel.type === 'row' && isObject(p) && isArray(p['panels']) && !panel.collapsed) {
      p['panels'].forEach((inner, j) => panels.push(readPanel(inner, `${path}.panels[${j}]`)));
    }
  });
  const variables: TemplateVariable[] = [];
  const templating = json['templating'];
  if (isObject(templating) && isArray(templating['list'])) {
    templating['list'].forEach((v, i) => variables.push(readVariable(v, `$.templating.list[${i}]`)));
  }
  return { title, panels, variables };
}

function readPanel(p: unknown, path: string): DashboardPanel {
  if (!isObject(p)) throw new DashboardError(path, 'expected a panel object');
  const type = field(p, 'type', path, isString, 'a string');
  const gp = field(p, 'gridPos', path, isObject, 'an object');
  const gridPos = {
    x: field(gp, 'x', `${path}.gridPos`, isNumber, 'a number'),
    y: field(gp, 'y', `${path}.gridPos`, isNumber, 'a number'),
    w: field(gp, 'w', `${path}.gridPos`, isNumber, 'a number'),
    h: field(gp, 'h', `${path}.gridPos`, isNumber, 'a number'),
  };
  if (gridPos.w <= 0 || gridPos.h <= 0 || gridPos.x < 0 || gridPos.y < 0 || gridPos.x + gridPos.w > 24) {
    throw new DashboardError(`${path}.gridPos`, 'outside the 24-column grid');
  }
  const targets: PanelTarget[] = [];
  (field(p, 'targets', path, isArray, 'an array', true) ?? []).forEach((t, i) => {
    const tp = `${path}.targets[${i}]`;
    if (!isObject(t)) throw new DashboardError(tp, 'expected a target object');
    if (t['hide'] === true) return;
    targets.push({
      refId: field(t, 'refId', tp, isString, 'a string', true) ?? String.fromCharCode(65 + i),
      expr: field(t, 'expr', tp, isString, 'a PromQL string'),
      legendFormat: field(t, 'legendFormat', tp, isString, 'a string', true),
    });
  });
  const defaults = isObject(p['fieldConfig']) && isObject(p['fieldConfig']['defaults']) ? p['fieldConfig']['defaults'] : {};
  const unit = field(defaults, 'unit', `${path}.fieldConfig.defaults`, isString, 'a string', true);
  let thresholds: Threshold[] | undefined;
  if (isObject(defaults['thresholds'])) {
    const tpath = `${path}.fieldConfig.defaults.thresholds`;
    thresholds = field(defaults['thresholds'], 'steps', tpath, isArray, 'an array').map((s, i) => {
      const sp = `${tpath}.steps[${i}]`;
      if (!isObject(s)) throw new DashboardError(sp, 'expected a threshold step');
      const value = s['value'];
      if (value !== null && !isNumber(value)) throw new DashboardError(`${sp}.value`, 'expected a number or null');
      return { color: field(s, 'color', sp, isString, 'a colour'), value: value as number | null };
    });
  }
  return {
    id: field(p, 'id', path, isNumber, 'a number', true),
    type,
    title: field(p, 'title', path, isString, 'a string', true) ?? '',
    gridPos,
    unit,
    targets,
    thresholds,
    collapsed: field(p, 'collapsed', path, isBoolean, 'true or false', true) ?? false,
  };
}

function readVariable(v: unknown, path: string): TemplateVariable {
  if (!isObject(v)) throw new DashboardError(path, 'expected a variable object');
  const name = field(v, 'name', path, isString, 'a string');
  const type = field(v, 'type', path, isString, 'a string');
  const current = isObject(v['current']) ? v['current']['value'] : undefined;
  const selectedAll = current === '$__all' || (Array.isArray(current) && current.includes('$__all'));
  let value: string | undefined;
  if (selectedAll) {
    // Without an allValue Grafana lists every value the variable's query found; this renderer
    // runs no such query, so the variable stays unresolved and its panels say so.
    value = field(v, 'allValue', path, isString, 'a string', true) ?? undefined;
  } else if (typeof current === 'string') {
    value = current;
  } else if (Array.isArray(current) && current.every(isString)) {
    value = current.length === 1 ? current[0] : `(${current.join('|')})`;
  }
  return { name, type, current: value };
}

/**
 * Replaces $name, ${name} and [[name]] with the variables' values; unknown variables stay as
 * written, so the query then fails to parse and the panel shows why.
 */
export function interpolate(expr: string, values: Readonly<Record<string, string>>): string {
  // One pass, so a value that itself contains $ is not expanded again.
  return expr.replace(/\$\{(\w+)(?::[a-z]+)?\}|\[\[(\w+)\]\]|\$(\w+)/g, (whole, braced?: string, bracketed?: string, bare?: string) => {
    const name = braced ?? bracketed ?? bare ?? '';
    return Object.hasOwn(values, name) ? values[name]! : whole;
  });
}

/** A legend entry: {{label}} replaced by the series' label value, absent labels by nothing. */
export function formatLegend(format: string, labels: Labels): string {
  return format.replace(/\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g, (_, name: string) => labels[name] ?? '').trim();
}

/** Nice query intervals, as Grafana rounds $__interval. */
const INTERVALS_MS = [1, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 15_000, 20_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000, 1_200_000, 1_800_000, 3_600_000, 7_200_000, 10_800_000, 21_600_000, 43_200_000, 86_400_000];

/**
 * Grafana's $__interval and $__rate_interval for a panel: the time range spread over the
 * panel's pixel width, rounded up to a nice interval and at least the scrape interval; the rate
 * interval is max(interval + scrape interval, 4 x scrape interval), so a rate always spans
 * several scrapes.
 */
export function queryIntervals(rangeMs: number, maxDataPoints: number, scrapeIntervalMs: number): { intervalMs: number; rateIntervalMs: number } {
  const raw = rangeMs / Math.max(1, maxDataPoints);
  const rounded = INTERVALS_MS.find((i) => i >= raw) ?? INTERVALS_MS[INTERVALS_MS.length - 1]!;
  const intervalMs = Math.max(scrapeIntervalMs, rounded);
  return { intervalMs, rateIntervalMs: Math.max(intervalMs + scrapeIntervalMs, 4 * scrapeIntervalMs) };
}

/** A duration as PromQL writes it: 4s, 1m30s, 250ms. */
export function promDuration(ms: number): string {
  if (ms % 1000 !== 0) return `${Math.round(ms)}ms`;
  let s = ms / 1000;
  const parts: string[] = [];
  for (const [unit, size] of [['h', 3600], ['m', 60], ['s', 1]] as const) {
    if (s >= size) {
      parts.push(`${Math.floor(s / size)}${unit}`);
      s %= size;
    }
  }
  return parts.join('') || '0s';
}
