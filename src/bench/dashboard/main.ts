#!/usr/bin/env node
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DashboardError, readDashboard } from './grafana.js';
import { renderRun } from './render-run.js';
import { runDashboardBenchmark, type DashboardRun } from './run.js';

const USAGE = `usage: node dist/bench/dashboard/main.js --out FILE.svg [--seconds S] [--rate MSG_PER_S] [--no-nats]
                                          [--dashboard FILE] [--save RUN.json | --replay RUN.json]

Runs the proxy in this process under steady load against two carrier simulators, scrapes its
/metrics every second, evaluates each panel of the Grafana dashboard over those samples and
writes the dashboard as an SVG picture.
  --seconds    length of the load (default 60, 5..900)
  --rate       messages per second over all ESME sessions (default 300, 1..2000)
  --no-nats    leave the audit trail off even when nats-server is installed
  --dashboard  the dashboard JSON (default deploy/grafana/dashboard.json)
  --save       also write the run's raw scrapes, to render again later with --replay
  --replay     render from saved scrapes instead of running the benchmark
`;

const SCRAPE_INTERVAL_MS = 1_000;
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

interface CliOptions {
  out: string;
  seconds: number;
  rate: number;
  nats: boolean;
  dashboard: string;
  save: string | undefined;
  replay: string | undefined;
}

function parse(argv: string[]): CliOptions | string {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        out: { type: 'string' },
        seconds: { type: 'string' },
        rate: { type: 'string' },
        'no-nats': { type: 'boolean' },
        dashboard: { type: 'string' },
        save: { type: 'string' },
        replay: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (error) {
    return (error as Error).message;
  }
  if (values['help'] === true) return '';
  const number = (name: string, fallback: number, min: number, max: number): number | string => {
    const raw = values[name];
    if (raw === undefined) return fallback;
    const n = Number(raw);
    return Number.isInteger(n) && n >= min && n <= max ? n : `--${name} must be a whole number from ${min} to ${max}`;
  };
  const seconds = number('seconds', 60, 5, 900);
  const rate = number('rate', 300, 1, 2_000);
  if (typeof seconds === 'string') return seconds;
  if (typeof rate === 'string') return rate;
  if (typeof values['out'] !== 'string') return '--out FILE is required';
  const save = typeof values['save'] === 'string' ? values['save'] : undefined;
  const replay = typeof values['replay'] === 'string' ? values['replay'] : undefined;
  if (save !== undefined && replay !== undefined) return '--save and --replay exclude each other';
  return {
    out: values['out'],
    seconds,
    rate,
    nats: values['no-nats'] !== true,
    dashboard: typeof values['dashboard'] === 'string' ? values['dashboard'] : join(ROOT, 'deploy', 'grafana', 'dashboard.json'),
    save,
    replay,
  };
}

/** Bad input files: reported in one line, without a stack trace. */
class InputError extends Error {
  override readonly name = 'InputError';
}

function readJson(file: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new InputError(`cannot read ${what} ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new InputError(`${what} ${file} is not JSON: ${(error as Error).message}`);
  }
}

function readRun(file: string): DashboardRun {
  const json = readJson(file, 'saved run') as Partial<DashboardRun> | null;
  const scrapeShaped = (s: unknown): boolean =>
    typeof s === 'object' && s !== null && typeof (s as { t?: unknown }).t === 'number' && (typeof (s as { text?: unknown }).text === 'string' || typeof (s as { error?: unknown }).error === 'string');
  if (typeof json !== 'object' || json === null || !Array.isArray(json.scrapes) || !json.scrapes.every(scrapeShaped) || typeof json.info !== 'object' || json.info === null) {
    throw new InputError(`${file} is not a saved run (expected { info, scrapes: [{ t, text | error }] })`);
  }
  return json as DashboardRun;
}

async function main(argv: string[]): Promise<number> {
  const options = parse(argv);
  if (typeof options === 'string') {
    if (options === '') {
      process.stdout.write(USAGE);
      return 0;
    }
    process.stderr.write(`dashboard: ${options}\n${USAGE}`);
    return 2;
  }
  const dashboard = readDashboard(readJson(options.dashboard, 'dashboard'));
  const log = (line: string): void => void process.stderr.write(`dashboard: ${line}\n`);
  const run =
    options.replay !== undefined
      ? readRun(options.replay)
      : await runDashboardBenchmark({ seconds: options.seconds, rate: options.rate, nats: options.nats, scrapeIntervalMs: SCRAPE_INTERVAL_MS, log });
  if (options.save !== undefined) writeFileSync(options.save, JSON.stringify(run));
  const { svg, notRendered, failedScrapes } = renderRun(dashboard, run);
  writeFileSync(options.out, svg);
  log(`wrote ${options.out}: ${dashboard.panels.length} panels from ${run.scrapes.length} scrapes (${failedScrapes} failed)`);
  for (const line of notRendered) log(`not rendered: ${line}`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const expected = error instanceof InputError || error instanceof DashboardError;
    process.stderr.write(`dashboard: ${error instanceof Error ? (expected ? error.message : (error.stack ?? error.message)) : String(error)}\n`);
    process.exitCode = 1;
  },
);
