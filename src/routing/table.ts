import type { AccountConfig, Config, MoRouteConfig, RouteCarrier, RouteConfig } from '../config/types.js';

/** One route reachable through one of its prefixes, with its carriers already in cost order. */
export interface RouteEntry {
  readonly route: RouteConfig;
  readonly prefix: string;
  /** Cheapest first; equal costs keep the order of the route's carriers list. */
  readonly candidates: readonly RouteCarrier[];
}

export interface MoEntry {
  readonly moRoute: MoRouteConfig;
  readonly prefix: string;
}

/**
 * Prefix lookup tables derived from a Config, built on first use and kept as long as that Config
 * object lives. A lookup probes only the prefix lengths that exist, longest first, so its cost
 * does not grow with the number of routes.
 */
interface PrefixIndex<T> {
  readonly byPrefix: ReadonlyMap<string, readonly T[]>;
  /** Distinct prefix lengths, longest first. */
  readonly lengths: readonly number[];
}

interface Tables {
  readonly routes: PrefixIndex<RouteEntry>;
  readonly mo: PrefixIndex<MoEntry>;
}

const cache = new WeakMap<Config, Tables>();

function tablesOf(config: Config): Tables {
  let tables = cache.get(config);
  if (tables === undefined) {
    const routeEntries: Array<[string, RouteEntry]> = [];
    for (const route of config.routes) {
      const candidates = Object.freeze([...route.carriers].sort((a, b) => a.cost - b.cost));
      for (const prefix of route.prefixes) routeEntries.push([prefix, Object.freeze({ route, prefix, candidates })]);
    }
    const moEntries: Array<[string, MoEntry]> = [];
    for (const moRoute of config.moRoutes) for (const prefix of moRoute.prefixes) moEntries.push([prefix, Object.freeze({ moRoute, prefix })]);
    tables = { routes: buildIndex(routeEntries), mo: buildIndex(moEntries) };
    cache.set(config, tables);
  }
  return tables;
}

function buildIndex<T>(entries: ReadonlyArray<[string, T]>): PrefixIndex<T> {
  const byPrefix = new Map<string, T[]>();
  for (const [prefix, entry] of entries) {
    const list = byPrefix.get(prefix);
    if (list) list.push(entry);
    else byPrefix.set(prefix, [entry]);
  }
  const lengths = [...new Set(entries.map(([prefix]) => prefix.length))].sort((a, b) => b - a);
  return { byPrefix, lengths };
}

/** The entry with the longest prefix of `digits` that `accept` takes; at equal length, the first in file order. */
function longest<T>(index: PrefixIndex<T>, digits: string, accept: (entry: T) => boolean): T | undefined {
  for (const length of index.lengths) {
    if (length > digits.length) continue;
    const entries = index.byPrefix.get(digits.slice(0, length));
    if (entries === undefined) continue;
    for (const entry of entries) if (accept(entry)) return entry;
  }
  return undefined;
}

export function accountMayUse(account: AccountConfig, route: RouteConfig): boolean {
  return account.routes === undefined || account.routes.includes(route.name);
}

/** Longest-prefix route for normalised digits; with an account, only among the routes it may use. */
export function findRoute(config: Config, digits: string, account?: AccountConfig): RouteEntry | undefined {
  return longest(tablesOf(config).routes, digits, (entry) => account === undefined || accountMayUse(account, entry.route));
}

export function findMoRoute(config: Config, digits: string): MoEntry | undefined {
  return longest(tablesOf(config).mo, digits, () => true);
}
