import type { AccountConfig, Config } from '../config/types.js';
import { normalizeDestination } from './destination.js';
import { findMoRoute } from './table.js';

/**
 * The account that receives a mobile-originated message sent to `destination`: the mo_routes
 * entry with the longest matching prefix. undefined when no entry matches (or the destination is
 * not a number), which the broker treats as unroutable MO.
 */
export function routeMo(config: Config, destination: string): AccountConfig | undefined {
  const digits = normalizeDestination(destination);
  if (digits === undefined) return undefined;
  const entry = findMoRoute(config, digits);
  return entry === undefined ? undefined : config.accounts[entry.moRoute.account];
}
