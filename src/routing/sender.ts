import type { AccountConfig, Config, SenderRewriteRule } from '../config/types.js';
import { normalizeDestination } from './destination.js';

/** SMPP source_addr: 21 octets including the NUL. */
const MAX_SENDER_LENGTH = 20;

/**
 * Whether an account may send as `sender`. Without sender_ids any sender is allowed; otherwise
 * an exact literal entry or a regex entry (one starting with `^`) must match. Refusal is
 * ESME_RINVSRCADR.
 */
export function senderAllowed(account: AccountConfig, sender: string): boolean {
  const allowed = account.senderIds;
  if (allowed === undefined) return true;
  return allowed.literals.includes(sender) || allowed.patterns.some((pattern) => pattern.test(sender));
}

export interface SenderRewriteInput {
  readonly account: string;
  readonly carrier: string;
  readonly destination: string;
  readonly sender: string;
  readonly ton: number;
  readonly npi: number;
}

export interface RewrittenSender {
  readonly sender: string;
  readonly ton: number;
  readonly npi: number;
  /** Index in sender_rewrite of the rule that applied; undefined when none did. */
  readonly rule: number | undefined;
}

/**
 * Applies the first sender_rewrite rule that matches (account, carrier, destination prefix after
 * normalisation, sender regex). A rule sets a fixed sender or replaces the part of the sender its
 * regex matched (String.prototype.replace, so $1 and $<name> work), and may set TON and NPI.
 * A replacement that would exceed the 20 characters SMPP allows is not applied and the next rule
 * is considered, so a rewrite can never produce an address the carrier must refuse.
 */
export function rewriteSender(config: Config, input: SenderRewriteInput): RewrittenSender {
  const destination = normalizeDestination(input.destination) ?? input.destination;
  for (const rule of config.senderRewrite) {
    if (!matches(rule, input, destination)) continue;
    const sender = newSender(rule, input.sender);
    if (sender.length > MAX_SENDER_LENGTH) continue;
    return { sender, ton: rule.set.ton ?? input.ton, npi: rule.set.npi ?? input.npi, rule: rule.index };
  }
  return { sender: input.sender, ton: input.ton, npi: input.npi, rule: undefined };
}

function matches(rule: SenderRewriteRule, input: SenderRewriteInput, destination: string): boolean {
  const { match } = rule;
  if (match.account !== undefined && match.account !== input.account) return false;
  if (match.carrier !== undefined && match.carrier !== input.carrier) return false;
  if (match.destinationPrefixes !== undefined && !match.destinationPrefixes.some((p) => destination.startsWith(p))) return false;
  if (match.sender !== undefined && !match.sender.test(input.sender)) return false;
  return true;
}

function newSender(rule: SenderRewriteRule, sender: string): string {
  if (rule.set.sender !== undefined) return rule.set.sender;
  if (rule.set.replace !== undefined && rule.match.sender !== undefined) return sender.replace(rule.match.sender, rule.set.replace);
  return sender;
}
