import type { DashboardRunInfo } from './run.js';

export interface FooterFacts {
  info: DashboardRunInfo;
  scrapes: number;
  failedScrapes: number;
  rateIntervals: readonly string[];
  /** Queries or panels left out because this renderer does not evaluate them. */
  notRendered: number;
}

/** The lines under the picture: where its numbers came from, so nobody takes it for a screenshot. */
export function footerLines(f: FooterFacts): string[] {
  const { info } = f;
  const sessions = info.accounts.reduce((n, a) => n + a.sessions, 0);
  const accounts = info.accounts.map((a) => `${a.name} ${Math.round(a.share * 100)}%`).join(', ');
  const carriers = info.carriers.map((c) => `${c.name} ${c.behaviour}`).join('; ');
  const interval = f.rateIntervals.length === 0 ? '' : `, $__rate_interval = ${f.rateIntervals.join(' / ')}`;
  const rendered = f.notRendered === 0 ? 'every panel query evaluated' : `${f.notRendered} panel queries not rendered (marked on their panels)`;
  return [
    `Rendered from /metrics samples of a benchmark run: ${info.rate} msg/s for ${info.seconds} s from ${sessions} ESME sessions of ${info.accounts.length} accounts (${accounts}), load started ${info.startedAt.replace('T', ' ').slice(0, 19)} UTC after a few idle seconds; the time range ends with the load's last submit.`,
    `Carriers are simulators on loopback: ${carriers}; receipts after ${info.receiptDelayMs} ms. Routes: ${info.routes.join('; ')}. NATS: ${info.nats}.`,
    `Submitted ${info.submitted}, accepted ${info.accepted}, refused ${info.refused}, receipts ${info.receipts}. Proxy, ESMEs and simulators share one Node.js ${info.node} process: memory and event-loop lag are that process's.`,
    `Scraped every ${info.scrapeIntervalMs / 1000} s (${f.scrapes} scrapes, ${f.failedScrapes} failed) as job="${info.target['job'] ?? ''}", instance="${info.target['instance'] ?? ''}"; the panels' PromQL evaluated by smpp-proxy's own renderer${interval}; ${rendered}. Not a Grafana screenshot.`,
    `Regenerate: npm run build && node dist/bench/dashboard/main.js --out docs/dashboard.svg --seconds ${info.seconds} --rate ${info.rate}`,
  ];
}
