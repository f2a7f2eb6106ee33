import type { AccountConfig, Config, RouteCarrier, RouteConfig } from '../config/types.js';
import { Status } from '../smpp/status.js';
import { normalizeDestination } from './destination.js';
import { findRoute } from './table.js';

export const ROUTE_REJECTIONS = ['invalid_destination', 'no_route', 'route_not_allowed'] as const;
export type RouteRejection = (typeof ROUTE_REJECTIONS)[number];

export type RouteResolution =
  | {
      readonly ok: true;
      readonly route: RouteConfig;
      /** The prefix that matched ("" for a catch-all route). */
      readonly prefix: string;
      /** The normalised destination the prefix was matched against. */
      readonly destination: string;
      /** Cheapest first; ties keep the route's own order. Shared and frozen: do not mutate. */
      readonly candidates: readonly RouteCarrier[];
    }
  | {
      readonly ok: false;
      /** What the ESME is answered: always ESME_RINVDSTADR, whatever the reason. */
      readonly status: number;
      readonly reason: RouteRejection;
      /** For logs and the route explanation; not sent to the ESME. */
      readonly message: string;
    };

/**
 * The route a submit_sm from `account` to `destination` takes: the longest matching prefix among
 * the routes the account may use (all routes when the account lists none). At equal prefix
 * length the route written first in the file wins.
 */
export function resolveRoute(config: Config, account: AccountConfig, destination: string): RouteResolution {
  const digits = normalizeDestination(destination);
  if (digits === undefined) {
    return reject('invalid_destination', `destination ${JSON.stringify(destination)} is not 1 to 20 digits after removing a leading "+" or "00"`);
  }
  const entry = findRoute(config, digits, account);
  if (entry !== undefined) return { ok: true, route: entry.route, prefix: entry.prefix, destination: digits, candidates: entry.candidates };
  const forbidden = account.routes === undefined ? undefined : findRoute(config, digits);
  if (forbidden !== undefined) {
    return reject('route_not_allowed', `route "${forbidden.route.name}" matches ${digits} but account "${account.name}" may only use ${account.routes?.join(', ') || 'no routes'}`);
  }
  return reject('no_route', `no route has a prefix matching ${digits}`);
}

function reject(reason: RouteRejection, message: string): RouteResolution {
  return { ok: false, status: Status.ESME_RINVDSTADR, reason, message };
}
