import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseConfig, type Config } from '../../src/config/index.js';
import { resolveRoute, routeMo } from '../../src/routing/index.js';

/**
 * Reference model: scan every route and prefix, keep the longest prefix the destination starts
 * with among the routes the account may use, the earliest route on equal length.
 */
function expected(routes: Array<{ name: string; prefixes: string[] }>, allowed: string[] | undefined, digits: string) {
  let best: { name: string; prefix: string } | undefined;
  for (const route of routes) {
    if (allowed !== undefined && !allowed.includes(route.name)) continue;
    for (const prefix of route.prefixes) {
      if (digits.startsWith(prefix) && (best === undefined || prefix.length > best.prefix.length)) best = { name: route.name, prefix };
    }
  }
  return best;
}

const digitString = (min: number, max: number) => fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: min, maxLength: max });

const table = fc
  .array(fc.uniqueArray(digitString(0, 5), { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 8 })
  .chain((prefixLists) =>
    fc.record({
      routes: fc.constant(prefixLists.map((prefixes, i) => ({ name: `r${i}`, prefixes }))),
      allowed: fc.option(fc.subarray(prefixLists.map((_, i) => `r${i}`)), { nil: undefined }),
    }),
  );

function configFor(routes: Array<{ name: string; prefixes: string[] }>, allowed: string[] | undefined): Config {
  const routeYaml = routes
    .map((r, i) => `  - name: ${r.name}\n    prefix: ${JSON.stringify(r.prefixes)}\n    carriers: [{ carrier: s, cost: ${i} }]\n`)
    .join('');
  const moYaml = routes.map((r, i) => (i === 0 ? `  - prefix: ${JSON.stringify(r.prefixes)}\n    account: x\n` : '')).join('');
  const routesKey = allowed === undefined ? '' : `    routes: ${JSON.stringify(allowed)}\n`;
  return parseConfig(
    `accounts:\n  x:\n    password: p\n    allowed_ips: ["127.0.0.1"]\n${routesKey}carriers:\n  s: { simulator: {} }\nroutes:\n${routeYaml}mo_routes:\n${moYaml}`,
    'property.yaml',
  );
}

describe('longest-prefix routing (property)', () => {
  it('agrees with a linear scan for any table, restriction and destination', () => {
    fc.assert(
      fc.property(table, fc.array(digitString(1, 12), { minLength: 1, maxLength: 20 }), ({ routes, allowed }, destinations) => {
        // "00..." prefixes can never match a normalised destination and are refused by the loader.
        fc.pre(routes.every((r) => r.prefixes.every((p) => !p.startsWith('00'))));
        const config = configFor(routes, allowed);
        const account = config.accounts['x'];
        if (account === undefined) throw new Error('account missing');
        for (const raw of destinations) {
          const digits = raw.startsWith('00') ? raw.slice(2) : raw;
          if (digits === '') continue;
          const want = expected(routes, allowed, digits);
          const got = resolveRoute(config, account, raw);
          if (want === undefined) expect(got.ok).toBe(false);
          else expect(got.ok && { name: got.route.name, prefix: got.prefix }).toEqual(want);
          const moPrefixes = routes[0]?.prefixes ?? [];
          expect(routeMo(config, raw)?.name).toBe(moPrefixes.some((p) => digits.startsWith(p)) ? 'x' : undefined);
        }
      }),
      { numRuns: 300 },
    );
  });
});
