import { RECEIPT_STATUSES } from '../config/types.js';
import { commandNameOf, statusName } from '../smpp/index.js';

/**
 * Metric label values derived from what peers send. A peer controls command ids, statuses and
 * receipt text, so every such value is mapped onto a fixed set here: a hostile or buggy peer must
 * not be able to create one time series per request. Account, carrier and route names come from
 * the configuration and are bounded by it, so they are used as they are.
 */

/** Any value outside the known set. */
export const OTHER = 'other';

const VENDOR_STATUS_FIRST = 0x400;
const VENDOR_STATUS_LAST = 0x4ff;

/**
 * The SMPP name of a command_status ('ESME_RTHROTTLED'), the hex code of a vendor-specific one
 * (0x400..0x4FF: 256 values at most, and operators need to tell them apart), or 'other'.
 */
export function statusLabel(code: number): string {
  const name = statusName(code);
  if (!name.startsWith('0x')) return name;
  const unsigned = code >>> 0;
  return unsigned >= VENDOR_STATUS_FIRST && unsigned <= VENDOR_STATUS_LAST ? name : OTHER;
}

/** The SMPP 3.4 command name for a command_id, or 'other' for anything else. */
export function commandLabel(commandId: number): string {
  return commandNameOf(commandId) ?? OTHER;
}

const RECEIPT_STATS: ReadonlySet<string> = new Set(RECEIPT_STATUSES);

/** A receipt's `stat:` when it is one of the SMPP values (DELIVRD, UNDELIV, ...), else 'other'. */
export function receiptStatLabel(stat: string): string {
  return RECEIPT_STATS.has(stat) ? stat : OTHER;
}

const FAILOVER_STATUS = /^status 0x([0-9a-f]{1,8})$/i;
const FAILOVER_WORD = /^[a-z][a-z_]{0,31}$/;

/**
 * Why a submit moved to the next carrier: the carrier's status by name ('ESME_RMSGQFUL'), or the
 * carrier pool's own reason ('timeout', 'not_bound', 'window_full', 'throttled', ...).
 */
export function failoverReasonLabel(reason: string): string {
  const status = FAILOVER_STATUS.exec(reason);
  if (status !== null) return statusLabel(Number.parseInt(status[1]!, 16));
  return FAILOVER_WORD.test(reason) ? reason : OTHER;
}

/** Bind refusal reasons as label values; the reason text itself may hold an address. */
const BIND_REFUSALS: readonly (readonly [RegExp, string])[] = [
  [/^unknown system_id/, 'unknown_system_id'],
  [/^wrong password/, 'wrong_password'],
  [/^source address .* not allowed/, 'address_not_allowed'],
  [/^bind type .* not allowed/, 'bind_type_not_allowed'],
  [/requires TLS/, 'tls_required'],
  [/^max_binds/, 'max_binds'],
  [/lock(ed)? ?out/i, 'locked_out'],
  [/shut(ting)? ?down|not accepting/i, 'shutting_down'],
];

export function bindRefusalLabel(reason: string): string {
  for (const [pattern, label] of BIND_REFUSALS) if (pattern.test(reason)) return label;
  return OTHER;
}
