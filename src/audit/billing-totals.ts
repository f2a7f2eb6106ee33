import { parseAuditEvent, type BillingAuditEvent } from './schema.js';

/**
 * Sums billing records per account and carrier, the way a billing consumer would: each record
 * is one accepted submit (one message part on the wire) with its cost and part count. A record
 * seen twice (same event id: a redelivery) counts once.
 */
export interface BillingLine {
  account: string;
  carrier: string;
  messages: number;
  parts: number;
  cost: number;
}

export interface BillingSummary {
  lines: BillingLine[];
  totals: { messages: number; parts: number; cost: number };
  /** Records skipped as repeats of an id already counted. */
  duplicates: number;
  /** Messages on the billing subjects that are not valid billing records. */
  invalid: number;
  /** Records before the --since time (published late, after a backlog). */
  outOfRange: number;
}

/**
 * Costs are decimals (0.0123 per part); summing binary floats drifts, so totals are kept in
 * integer billionths and converted back once.
 */
const COST_SCALE = 1e9;

export class BillingAggregator {
  private readonly lines = new Map<string, { account: string; carrier: string; messages: number; parts: number; cost: bigint }>();
  private readonly seen = new Set<string>();
  private duplicates = 0;
  private invalid = 0;
  private outOfRange = 0;

  constructor(private readonly sinceMs?: number) {}

  /** Adds one stream message; returns false when it was not counted. */
  add(data: Uint8Array | string): boolean {
    const parsed = parseAuditEvent(data);
    if (!parsed.ok || parsed.event.type !== 'billing' || !isBillingShape(parsed.event)) {
      this.invalid++;
      return false;
    }
    const event = parsed.event;
    if (this.seen.has(event.id)) {
      this.duplicates++;
      return false;
    }
    this.seen.add(event.id);
    if (this.sinceMs !== undefined && Date.parse(event.accepted_at) < this.sinceMs) {
      this.outOfRange++;
      return false;
    }
    const key = `${event.account}\u0000${event.carrier}`;
    let line = this.lines.get(key);
    if (line === undefined) {
      line = { account: event.account, carrier: event.carrier, messages: 0, parts: 0, cost: 0n };
      this.lines.set(key, line);
    }
    line.messages++;
    line.parts += event.parts;
    line.cost += BigInt(Math.round(event.cost * COST_SCALE));
    return true;
  }

  summary(): BillingSummary {
    const lines = [...this.lines.values()]
      .sort((a, b) => (a.account === b.account ? a.carrier.localeCompare(b.carrier) : a.account.localeCompare(b.account)))
      .map((l) => ({ account: l.account, carrier: l.carrier, messages: l.messages, parts: l.parts, cost: fromScaled(l.cost) }));
    let messages = 0;
    let parts = 0;
    let cost = 0n;
    for (const l of this.lines.values()) {
      messages += l.messages;
      parts += l.parts;
      cost += l.cost;
    }
    return {
      lines,
      totals: { messages, parts, cost: fromScaled(cost) },
      duplicates: this.duplicates,
      invalid: this.invalid,
      outOfRange: this.outOfRange,
    };
  }
}

function fromScaled(value: bigint): number {
  return Number(value) / COST_SCALE;
}

function isBillingShape(event: BillingAuditEvent): boolean {
  return (
    typeof event.account === 'string' &&
    typeof event.carrier === 'string' &&
    typeof event.cost === 'number' &&
    Number.isFinite(event.cost) &&
    typeof event.parts === 'number' &&
    Number.isInteger(event.parts) &&
    event.parts >= 0 &&
    typeof event.accepted_at === 'string'
  );
}

/** A fixed-width table, one row per account and carrier, then a total per account and overall. */
export function formatBillingTable(summary: BillingSummary): string {
  const header = ['account', 'carrier', 'messages', 'parts', 'cost'];
  const rows: string[][] = [];
  const byAccount = new Map<string, BillingLine[]>();
  for (const line of summary.lines) {
    const list = byAccount.get(line.account) ?? [];
    list.push(line);
    byAccount.set(line.account, list);
  }
  for (const [account, lines] of byAccount) {
    for (const l of lines) rows.push([l.account, l.carrier, String(l.messages), String(l.parts), formatCost(l.cost)]);
    if (lines.length > 1) {
      const sum = lines.reduce(
        (acc, l) => ({ messages: acc.messages + l.messages, parts: acc.parts + l.parts, cost: acc.cost + BigInt(Math.round(l.cost * COST_SCALE)) }),
        { messages: 0, parts: 0, cost: 0n },
      );
      rows.push([account, '(all)', String(sum.messages), String(sum.parts), formatCost(fromScaled(sum.cost))]);
    }
  }
  rows.push(['TOTAL', '', String(summary.totals.messages), String(summary.totals.parts), formatCost(summary.totals.cost)]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const render = (cells: string[]) =>
    cells.map((c, i) => (i >= 2 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [render(header), ...rows.map(render)].join('\n') + '\n';
}

export function formatCost(cost: number): string {
  // Up to 6 decimals, trailing zeros dropped, never exponent notation.
  const fixed = cost.toFixed(6);
  return fixed.includes('.') ? fixed.replace(/\.?0+$/, '') : fixed;
}
