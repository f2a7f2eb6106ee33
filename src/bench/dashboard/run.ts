import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRuntime, type Runtime } from '../../cli/start.js';
import { parseConfig, type Config } from '../../config/index.js';
import { AdminServerError } from '../../observability/admin.js';
import { createLogger } from '../../observability/logger.js';
import { CarrierSimulator } from '../../sim/carrier-sim.js';
import { runLoad } from '../../sim/load.js';
import { TestEsme, type MessageSpec } from '../../sim/test-esme.js';
import { Status } from '../../smpp/index.js';
import { findNatsServer, freeLoopbackPort, startBenchNats, type BenchNatsServer } from '../nats-server.js';
import type { Labels } from './labels.js';
import { Scraper, type Scrape } from './scrape.js';

export interface DashboardRunOptions {
  seconds: number;
  /** Messages per second over all ESME sessions. */
  rate: number;
  /** Publish the audit trail to a local nats-server when one is installed. */
  nats: boolean;
  scrapeIntervalMs: number;
  /** Progress lines. */
  log: (line: string) => void;
}

/** What the picture's footer tells about the run. */
export interface DashboardRunInfo {
  startedAt: string;
  seconds: number;
  rate: number;
  scrapeIntervalMs: number;
  /** The labels Prometheus would give the target: job and instance. */
  target: Labels;
  accounts: { name: string; sessions: number; share: number }[];
  carriers: { name: string; behaviour: string }[];
  routes: string[];
  receiptDelayMs: number;
  /** 'published to a local nats-server' or why the audit trail was off. */
  nats: string;
  submitted: number;
  accepted: number;
  refused: number;
  receipts: number;
  node: string;
}

export interface DashboardRun {
  info: DashboardRunInfo;
  scrapes: Scrape[];
}

const RECEIPT_DELAY_MS = 100;
const FAILURE_RATIO = 0.05;
/** A fixed seed: the same run refuses the same submits at alpha. */
const FAILURE_SEED = 5_2024;
const BETA_RESPONSE_DELAY_MS = 5;
const ACCOUNTS = [
  { name: 'shop', password: 'shop-pw', sessions: 2, share: 2 / 3, from: 'SHOP' },
  { name: 'bank', password: 'bank-pw', sessions: 1, share: 1 / 3, from: 'BANK' },
] as const;
const CARRIERS = {
  alpha: { systemId: 'alpha', password: 'alpha-pw' },
  beta: { systemId: 'beta', password: 'beta-pw' },
} as const;

/**
 * A benchmark run for the dashboard picture: the real runtime (store on disk, admin listener,
 * audit to NATS when available) in this process, two carrier simulators on loopback (alpha
 * refuses about 5% of submits with ESME_RMSGQFUL, so submits fail over to beta), two accounts
 * with steady load for `seconds`, and /metrics scraped over HTTP throughout.
 */
export async function runDashboardBenchmark(options: DashboardRunOptions): Promise<DashboardRun> {
  const dir = await mkdtemp(join(tmpdir(), 'smpp-dashboard-'));
  const alpha = new CarrierSimulator({
    accounts: [CARRIERS.alpha],
    receiptDelayMs: RECEIPT_DELAY_MS,
    failure: { status: Status.ESME_RMSGQFUL, ratio: FAILURE_RATIO, seed: FAILURE_SEED },
    recordLimit: 0,
    session: { windowSize: 200, enquireLinkIntervalMs: 0 },
  });
  const beta = new CarrierSimulator({
    accounts: [CARRIERS.beta],
    receiptDelayMs: RECEIPT_DELAY_MS,
    responseDelayMs: BETA_RESPONSE_DELAY_MS,
    recordLimit: 0,
    session: { windowSize: 200, enquireLinkIntervalMs: 0 },
  });
  let nats: BenchNatsServer | undefined;
  let natsNote: string;
  let runtime: Runtime | undefined;
  let scraper: Scraper | undefined;
  const esmes: TestEsme[] = [];
  try {
    if (!options.nats) {
      natsNote = 'off (--no-nats): NATS panels show no data';
    } else {
      const binary = findNatsServer();
      if (binary === undefined) {
        natsNote = 'off (nats-server not installed): NATS panels show no data';
      } else {
        nats = await startBenchNats(binary);
        natsNote = 'audit events published to a local nats-server (JetStream, file storage)';
      }
    }
    const alphaPort = (await alpha.start()).port;
    const betaPort = (await beta.start()).port;
    options.log(`carrier simulators on 127.0.0.1:${alphaPort} (alpha) and 127.0.0.1:${betaPort} (beta); NATS ${nats?.url ?? 'off'}`);

    const started = await startWithAdmin((adminPort) => configFor({ dir, adminPort, alphaPort, betaPort, natsUrl: nats?.url }));
    runtime = started.runtime;
    const instance = `127.0.0.1:${started.adminPort}`;
    await waitUntil(() => ['alpha', 'beta'].every((c) => (runtime!.proxy.pools.get(c)?.boundSenders ?? 0) >= 2), 15_000, 'the proxy to bind to both carriers');
    const smppPort = runtime.proxy.addresses.smpp!.port;
    options.log(`proxy on 127.0.0.1:${smppPort}, admin on ${instance}`);

    scraper = new Scraper(`http://${instance}/metrics`, options.scrapeIntervalMs);
    scraper.start();
    await scraper.waitForScrapes(3); // an idle stretch before the ESMEs bind

    const counts = { submitted: 0, accepted: 0, refused: 0, receipts: 0 };
    for (const account of ACCOUNTS) {
      for (let i = 0; i < account.sessions; i++) {
        const esme = await TestEsme.connect({ host: '127.0.0.1', port: smppPort, systemId: account.name, password: account.password, window: 50 });
        esme.on('receipt', () => counts.receipts++);
        esmes.push(esme);
      }
    }
    const startedAt = new Date();
    options.log(`load: ${options.rate} msg/s for ${options.seconds} s`);
    const loads: Promise<unknown>[] = [];
    let esmeIndex = 0;
    for (const account of ACCOUNTS) {
      const perSession = (options.rate * account.share) / account.sessions;
      for (let i = 0; i < account.sessions; i++) {
        const esme = esmes[esmeIndex++]!;
        const offset = esmeIndex * 10_000_000;
        loads.push(
          runLoad(esme, {
            count: Math.round(perSession * options.seconds),
            rate: perSession,
            concurrency: 50,
            message: (n) => message(account.from, offset + n),
            onResult: (_, result) => {
              counts.submitted++;
              if (result.ok) counts.accepted++;
              else counts.refused++;
            },
          }),
        );
      }
    }
    await Promise.all(loads);
    // The picture ends with the load, as a screenshot taken during the run would: the stat
    // panels then show the steady state, not the quiet after it.
    await scraper.stop();
    await waitUntil(() => counts.receipts >= counts.accepted, 10_000, 'the receipts').catch(() => undefined);
    options.log(`done: ${counts.submitted} submitted, ${counts.accepted} accepted, ${counts.refused} refused, ${counts.receipts} receipts, ${scraper.scrapes.length} scrapes`);

    return {
      scrapes: [...scraper.scrapes],
      info: {
        startedAt: startedAt.toISOString(),
        seconds: options.seconds,
        rate: options.rate,
        scrapeIntervalMs: options.scrapeIntervalMs,
        target: { job: 'smpp-proxy', instance },
        accounts: ACCOUNTS.map((a) => ({ name: a.name, sessions: a.sessions, share: a.share })),
        carriers: [
          { name: 'alpha', behaviour: `refuses ~${FAILURE_RATIO * 100}% of submits with ESME_RMSGQFUL` },
          { name: 'beta', behaviour: `answers after ${BETA_RESPONSE_DELAY_MS} ms` },
        ],
        routes: ['uk (44): alpha, then beta', 'de (49): beta, then alpha'],
        receiptDelayMs: RECEIPT_DELAY_MS,
        nats: natsNote,
        ...counts,
        node: process.version,
      },
    };
  } finally {
    await scraper?.stop();
    await Promise.all(esmes.map((e) => e.close().catch(() => undefined)));
    await runtime?.stop();
    await alpha.stop();
    await beta.stop();
    await nats?.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** 60% to the UK route, 40% to the German one, spread over many numbers. */
function message(from: string, n: number): MessageSpec {
  const prefix = n % 5 < 3 ? '447' : '491';
  return { from, to: `${prefix}${String(n % 100_000_000).padStart(9, '0')}`, text: `dashboard benchmark message ${n}` };
}

interface ConfigPorts {
  dir: string;
  adminPort: number;
  alphaPort: number;
  betaPort: number;
  natsUrl: string | undefined;
}

function configFor(p: ConfigPorts): Config {
  const nats = p.natsUrl === undefined ? '{ enabled: false }' : `{ enabled: true, servers: [${JSON.stringify(p.natsUrl)}], stream: { name: SMPP_DASHBOARD, max_age: 1h } }`;
  const account = (a: (typeof ACCOUNTS)[number]): string => `  ${a.name}: { password: ${JSON.stringify(a.password)}, allowed_ips: ["127.0.0.1"], window: 50, max_binds: 4 }`;
  const carrier = (name: keyof typeof CARRIERS, port: number): string =>
    `  ${name}: { host: 127.0.0.1, port: ${port}, system_id: ${CARRIERS[name].systemId}, password: ${JSON.stringify(CARRIERS[name].password)}, sessions: 2, window: 100 }`;
  return parseConfig(
    `server: { listen: "127.0.0.1:0", window: 50 }
admin: { listen: "127.0.0.1:${p.adminPort}" }
store: { path: ${JSON.stringify(join(p.dir, 'store'))} }
nats: ${nats}
log: { level: error }
accounts:
${ACCOUNTS.map(account).join('\n')}
carriers:
${carrier('alpha', p.alphaPort)}
${carrier('beta', p.betaPort)}
routes:
  - { name: uk, prefix: ["44"], carriers: [{ carrier: alpha, cost: 0.010 }, { carrier: beta, cost: 0.012 }] }
  - { name: de, prefix: ["49"], carriers: [{ carrier: beta, cost: 0.011 }, { carrier: alpha, cost: 0.013 }] }
`,
    'dashboard-benchmark.yaml',
  );
}

/**
 * The runtime does not report the admin listener's port, so a free port is picked first; if
 * another process takes it in between, the start is retried with a new one.
 */
async function startWithAdmin(config: (adminPort: number) => Config): Promise<{ runtime: Runtime; adminPort: number }> {
  for (let attempt = 1; ; attempt++) {
    const adminPort = await freeLoopbackPort();
    try {
      return { runtime: await startRuntime(config(adminPort), createLogger({ level: 'error' })), adminPort };
    } catch (error) {
      if (!(error instanceof AdminServerError) || error.code !== 'LISTEN_FAILED' || attempt >= 3) throw error;
    }
  }
}

async function waitUntil(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
