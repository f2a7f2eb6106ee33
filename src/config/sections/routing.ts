import type { Node } from 'yaml';
import { SCHEMA } from '../keys.js';
import { MapView, int, list, listItems, num, oneOf, regex, str, type Checker, type Reader } from '../reader.js';
import type { References } from '../references.js';
import type { MoRouteConfig, RouteCarrier, RouteConfig, SenderRewriteRule } from '../types.js';
import { MAX_ADDRESS_LENGTH, reference } from './accounts.js';

/** Route names appear in metric labels and billing records. */
const ROUTE_NAME = { re: /^[A-Za-z0-9_.-]{1,64}$/, what: 'at most 64 letters, digits, ".", "_" or "-"' };

/** SMPP 3.4 type_of_number values 0..6. */
const TON_MAX = 6;
/** SMPP 3.4 numbering_plan_indicator values. */
const NPI_VALUES = [0, 1, 3, 4, 6, 8, 9, 10, 14, 18] as const;

/**
 * A destination prefix: digits only, "" for everything. Destinations are matched after a
 * leading "+" or "00" is removed, so prefixes written with either could never match.
 */
const prefix: Reader<string> = (c, node, path) => {
  const text = str({ allowEmpty: true })(c, node, path);
  if (text === undefined) return undefined;
  if (text.startsWith('+') || (text.startsWith('00') && /^\d+$/.test(text))) {
    const bare = text.replace(/^(\+|00)/, '');
    c.report(node, path, `prefix ${JSON.stringify(text)} can never match: destinations are matched without their leading "+" or "00" (write ${JSON.stringify(bare)})`);
    return undefined;
  }
  if (!/^\d{0,20}$/.test(text)) {
    c.report(node, path, `expected a prefix of digits (at most 20), or "" for every destination, got ${JSON.stringify(text)}`);
    return undefined;
  }
  return text;
};

/** Reports repeated values in a list of strings read from `node`, pointing at each repeat. */
function reportRepeats(c: Checker, node: Node | undefined, path: string, values: readonly string[], what: string): void {
  const seen = new Set<string>();
  for (const value of values) {
    if (seen.has(value)) c.report(node, path, `${what} ${JSON.stringify(value)} is listed twice`);
    seen.add(value);
  }
}

export function readRoutes(c: Checker, node: Node | undefined, path: string, refs: References): RouteConfig[] {
  const routes: RouteConfig[] = [];
  const firstLine = new Map<string, Node>();
  for (const item of listItems(c, node, path)) {
    const m = MapView.of(c, item.node, item.path, SCHEMA['routes[]']);
    const name = m.get('name', str({ pattern: ROUTE_NAME }), true) ?? `#${item.index}`;
    const nameNode = m.node('name');
    if (nameNode !== undefined && firstLine.has(name)) {
      c.report(nameNode, m.child('name'), `duplicate route name "${name}" (each route needs its own name)`);
    } else if (nameNode !== undefined) {
      firstLine.set(name, nameNode);
    }
    const prefixes = m.get('prefix', list(prefix, { nonEmpty: true, allowSingle: true }), true) ?? [];
    reportRepeats(c, m.node('prefix'), m.child('prefix'), prefixes, 'prefix');
    routes.push({ name, prefixes, carriers: readRouteCarriers(c, m, refs) });
  }
  return routes;
}

function readRouteCarriers(c: Checker, route: MapView, refs: References): RouteCarrier[] {
  const node = route.node('carriers');
  if (!route.require('carriers')) return [];
  const items = listItems(c, node, route.child('carriers'));
  if (items.length === 0 && !c.failed(route.child('carriers'))) route.report('carriers', 'must list at least one carrier');
  const out: RouteCarrier[] = [];
  const seen = new Set<string>();
  for (const item of items) {
    const m = MapView.of(c, item.node, item.path, SCHEMA['routes[].carriers[]']);
    const carrier = m.get('carrier', reference(refs, 'carrier'), true);
    const cost = m.get('cost', num({ min: 0 }), true);
    if (carrier !== undefined && seen.has(carrier)) {
      m.report('carrier', `carrier "${carrier}" appears twice in this route`);
      continue;
    }
    if (carrier !== undefined) seen.add(carrier);
    if (carrier !== undefined && cost !== undefined) out.push({ carrier, cost });
  }
  return out;
}

export function readSenderRewrite(c: Checker, node: Node | undefined, path: string, refs: References): SenderRewriteRule[] {
  const rules: SenderRewriteRule[] = [];
  for (const item of listItems(c, node, path)) {
    const rule = MapView.of(c, item.node, item.path, SCHEMA['sender_rewrite[]']);
    const match = rule.map('match', SCHEMA['sender_rewrite[].match']);
    const set = rule.map('set', SCHEMA['sender_rewrite[].set']);
    rule.require('set');
    const matchSender = match.get('sender', regex);
    const parsed: SenderRewriteRule = {
      index: item.index,
      match: {
        account: match.get('account', reference(refs, 'account')),
        carrier: match.get('carrier', reference(refs, 'carrier')),
        destinationPrefixes: match.get('destination_prefix', list(prefix, { nonEmpty: true, allowSingle: true })),
        sender: matchSender,
      },
      set: {
        sender: set.get('sender', str({ maxLength: MAX_ADDRESS_LENGTH })),
        replace: set.get('replace', str({ allowEmpty: true })),
        ton: set.get('ton', int({ min: 0, max: TON_MAX })),
        npi: set.get('npi', oneOfNumbers(NPI_VALUES)),
      },
    };
    checkRewriteSet(c, rule, match, set, parsed);
    rules.push(parsed);
  }
  return rules;
}

function checkRewriteSet(c: Checker, rule: MapView, match: MapView, set: MapView, parsed: SenderRewriteRule): void {
  if (!rule.has('set') || c.failed(set.path)) return;
  if (set.has('sender') && set.has('replace')) {
    set.report('replace', 'give either sender (a fixed sender) or replace (a regex replacement), not both');
    return;
  }
  if (!set.has('sender') && !set.has('replace') && !set.has('ton') && !set.has('npi')) {
    set.report(undefined, 'set must change something: sender, replace, ton or npi');
    return;
  }
  const replace = parsed.set.replace;
  if (replace === undefined) return;
  const pattern = parsed.match.sender;
  if (pattern === undefined) {
    if (!c.failed(match.child('sender'))) set.report('replace', 'replace needs match.sender: the regex whose match it replaces');
    return;
  }
  const missing = missingGroupReferences(pattern, replace);
  if (missing !== undefined) set.report('replace', `${missing} refers to a group that match.sender ${JSON.stringify(pattern.source)} does not have`);
}

/**
 * The first `$n` or `$<name>` in a replacement that the regex cannot fill, if any. Follows
 * String.prototype.replace: `$nn` means group nn when it exists, else group n followed by a
 * digit; a reference to no group at all would be left in the sender literally, which is never
 * what the operator meant.
 */
function missingGroupReferences(pattern: RegExp, replacement: string): string | undefined {
  const probe = new RegExp(`${pattern.source}|`).exec('');
  const groups = (probe?.length ?? 1) - 1;
  const names = new Set(Object.keys(probe?.groups ?? {}));
  for (const match of replacement.matchAll(/\$(?:\$|&|`|'|<([^>]*)>|(\d{1,2}))/g)) {
    const [token, name, digits] = match;
    if (name !== undefined && !names.has(name)) return token;
    if (digits === undefined) continue;
    const both = digits.length === 2 ? Number(digits) : 0;
    const first = Number(digits[0]);
    if ((both >= 1 && both <= groups) || (first >= 1 && first <= groups)) continue;
    return token;
  }
  return undefined;
}

function oneOfNumbers(values: readonly number[]): Reader<number> {
  return (c, node, path) => {
    const value = int({ min: 0, max: 255 })(c, node, path);
    if (value === undefined) return undefined;
    if (!values.includes(value)) {
      c.report(node, path, `expected one of ${values.join(', ')}, got ${value}`);
      return undefined;
    }
    return value;
  };
}

/** MO routes, and where each one's account is written (for problems found once accounts are known). */
export function readMoRoutes(c: Checker, node: Node | undefined, path: string, refs: References): { routes: MoRouteConfig[]; accountNodes: Array<Node | undefined> } {
  const routes: MoRouteConfig[] = [];
  const accountNodes: Array<Node | undefined> = [];
  const owner = new Map<string, number>();
  for (const item of listItems(c, node, path)) {
    const m = MapView.of(c, item.node, item.path, SCHEMA['mo_routes[]']);
    const prefixes = m.get('prefix', list(prefix, { nonEmpty: true, allowSingle: true }), true) ?? [];
    const account = m.get('account', reference(refs, 'account'), true) ?? '';
    for (const p of prefixes) {
      const earlier = owner.get(p);
      if (earlier !== undefined) m.report('prefix', `MO prefix ${JSON.stringify(p)} is already routed by mo_routes[${earlier}]`);
      else owner.set(p, item.index);
    }
    routes.push({ prefixes, account });
    accountNodes.push(m.node('account'));
  }
  return { routes, accountNodes };
}
