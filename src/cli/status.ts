import { parseArgs } from 'node:util';
import { ConfigError, formatProblem, loadConfig } from '../config/index.js';
import { ADMIN_PATHS } from '../observability/admin.js';
import type { StatusReport } from '../observability/status-report.js';
import type { CliIo } from './check.js';

const DEFAULT_ADMIN = 'http://127.0.0.1:9090';
const TOKEN_ENV = 'SMPP_PROXY_ADMIN_TOKEN';
const DEFAULT_TIMEOUT_MS = 5_000;

const USAGE = `usage: smpp-proxy status [--admin URL] [--token TOKEN] [-c FILE] [--json] [--ready] [--timeout MS]

Prints a running proxy's /status: ESME binds, windows and queues per account, carrier sessions,
routes, the NATS publisher and the store.

  --admin URL     admin listener (default ${DEFAULT_ADMIN}, or admin.listen of --config)
  --token TOKEN   bearer token (default $${TOKEN_ENV}, or admin.token of --config)
  -c, --config    read the admin address and token from this configuration file
  --json          print the JSON as the proxy sent it
  --ready         ask /readyz instead: exit 0 when ready, 1 when not (a readiness probe)
  --timeout MS    give up after this long (default ${DEFAULT_TIMEOUT_MS})

Exit status: 0 ok (or ready), 1 not reachable, refused, or not ready, 2 bad usage.
`;

const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

interface Target {
  base: URL;
  token: string | undefined;
}

/** `smpp-proxy status`: `argv` holds the arguments after the command name. */
export async function run(argv: string[], io: CliIo): Promise<number> {
  let values: { admin?: string; token?: string; config?: string; json?: boolean; ready?: boolean; timeout?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        admin: { type: 'string' },
        token: { type: 'string' },
        config: { type: 'string', short: 'c' },
        json: { type: 'boolean' },
        ready: { type: 'boolean' },
        timeout: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    return usageError(io, (error as Error).message);
  }
  if (values.help) {
    io.stdout.write(USAGE);
    return EXIT.ok;
  }
  const timeoutMs = values.timeout === undefined ? DEFAULT_TIMEOUT_MS : Number(values.timeout);
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) return usageError(io, `--timeout must be a positive number of milliseconds, not ${JSON.stringify(values.timeout)}`);

  const target = resolveTarget(values, io);
  if (typeof target === 'number') return target;

  const path = values.ready ? ADMIN_PATHS.readyz : ADMIN_PATHS.status;
  const response = await get(target, path, timeoutMs);
  if (!response.ok) {
    io.stderr.write(`smpp-proxy status: ${response.error}\n`);
    return EXIT.failed;
  }
  if (values.ready) return printReadiness(response.status, response.body, values.json === true, io);
  if (response.status !== 200) {
    io.stderr.write(`smpp-proxy status: ${httpProblem(response.status, response.body)}\n`);
    return EXIT.failed;
  }
  let report: unknown;
  try {
    report = JSON.parse(response.body);
  } catch {
    io.stderr.write(`smpp-proxy status: ${path} did not answer JSON\n`);
    return EXIT.failed;
  }
  if (!isStatusReport(report)) {
    io.stderr.write(`smpp-proxy status: ${path} answered JSON this version does not understand\n`);
    return EXIT.failed;
  }
  io.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : formatStatusReport(report));
  return EXIT.ok;
}

function usageError(io: CliIo, message: string): number {
  io.stderr.write(`smpp-proxy status: ${message}\n${USAGE}`);
  return EXIT.usage;
}

/** Where to ask and with which token: flags first, then the environment, then the config file. */
function resolveTarget(values: { admin?: string; token?: string; config?: string }, io: CliIo): Target | number {
  let admin = values.admin;
  let token = values.token ?? nonEmpty(process.env[TOKEN_ENV]);
  if (values.config !== undefined) {
    let config;
    try {
      config = loadConfig(values.config);
    } catch (error) {
      if (error instanceof ConfigError) for (const p of error.problems) io.stderr.write(`${formatProblem(p)}\n`);
      else io.stderr.write(`smpp-proxy status: ${(error as Error).message}\n`);
      return EXIT.failed;
    }
    if (admin === undefined) {
      const listen = config.admin.listen;
      if (listen === undefined) {
        io.stderr.write(`smpp-proxy status: ${values.config} switches the admin listener off (admin.listen: false)\n`);
        return EXIT.failed;
      }
      admin = `http://${connectHost(listen.host)}:${listen.port}`;
    }
    token ??= config.admin.token;
  }
  let base: URL;
  try {
    base = new URL(admin ?? DEFAULT_ADMIN);
  } catch {
    return usageError(io, `--admin must be a URL such as ${DEFAULT_ADMIN}, not ${JSON.stringify(admin)}`);
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') return usageError(io, `--admin must be an http:// or https:// URL, not ${base.protocol}`);
  return { base, token };
}

/** A listener on every interface is reached on loopback from the same machine. */
function connectHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

type Fetched = { ok: true; status: number; body: string } | { ok: false; error: string };

async function get(target: Target, path: string, timeoutMs: number): Promise<Fetched> {
  const url = new URL(path, target.base);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (target.token !== undefined) headers.authorization = `Bearer ${target.token}`;
  try {
    const response = await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
    const body = await response.text();
    if (response.status === 401) {
      return { ok: false, error: `the admin listener at ${target.base.origin} refused the request (401): pass --token or set ${TOKEN_ENV}` };
    }
    return { ok: true, status: response.status, body };
  } catch (error) {
    return { ok: false, error: `cannot reach the admin listener at ${target.base.origin}: ${describeFetchError(error, timeoutMs)}` };
  }
}

function describeFetchError(error: unknown, timeoutMs: number): string {
  if (error instanceof DOMException && error.name === 'TimeoutError') return `no answer within ${timeoutMs} ms`;
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code !== undefined) return cause.code;
  if (cause?.message !== undefined) return cause.message;
  return error instanceof Error ? error.message : String(error);
}

function httpProblem(status: number, body: string): string {
  let detail = body.trim();
  try {
    const parsed = JSON.parse(body) as { error?: unknown };
    if (typeof parsed.error === 'string') detail = parsed.error;
  } catch {
    // Not JSON: the text itself is the best explanation available.
  }
  return `HTTP ${status}${detail ? `: ${detail.slice(0, 200)}` : ''}`;
}

function printReadiness(status: number, body: string, json: boolean, io: CliIo): number {
  let parsed: { ready?: unknown; reasons?: unknown } | undefined;
  try {
    parsed = JSON.parse(body) as typeof parsed;
  } catch {
    parsed = undefined;
  }
  if ((status !== 200 && status !== 503) || parsed === undefined || typeof parsed.ready !== 'boolean') {
    io.stderr.write(`smpp-proxy status: ${httpProblem(status, body)}\n`);
    return EXIT.failed;
  }
  const reasons = Array.isArray(parsed.reasons) ? parsed.reasons.map(String) : [];
  if (json) io.stdout.write(`${JSON.stringify({ ready: parsed.ready, reasons })}\n`);
  else if (parsed.ready) io.stdout.write('ready\n');
  else io.stdout.write(`not ready:\n${reasons.map((r) => `  - ${r}\n`).join('')}`);
  return parsed.ready && status === 200 ? EXIT.ok : EXIT.failed;
}

// ---- the report as text ------------------------------------------------------------------------

function isStatusReport(value: unknown): value is StatusReport {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.ready === 'boolean' &&
    Array.isArray(v.reasons) &&
    Array.isArray(v.accounts) &&
    Array.isArray(v.carriers) &&
    Array.isArray(v.routes) &&
    typeof v.nats === 'object' &&
    v.nats !== null &&
    typeof (v.nats as Record<string, unknown>).enabled === 'boolean'
  );
}

/** The report as the tables `smpp-proxy status` prints. */
export function formatStatusReport(report: StatusReport): string {
  const out: string[] = [];
  const state = report.ready ? 'READY' : 'NOT READY';
  const accepting = report.accepting === null ? 'proxy not running' : report.accepting ? 'accepting binds' : 'not accepting binds';
  out.push(`${state}, ${accepting}; pid ${report.process.pid}, up ${duration(report.process.uptimeSeconds * 1000)}, rss ${bytes(report.process.rssBytes)}, ${report.pendingWork} requests in progress`);
  for (const reason of report.reasons) out.push(`  - ${reason}`);

  out.push('', 'ACCOUNTS');
  out.push(
    ...table(
      ['NAME', 'BINDS', 'WINDOW', 'SUBMITTING', 'QUEUED'],
      'lrrrr',
      report.accounts.map((a) => [a.name, count(a.binds), `${count(a.windowUsed)}/${count(a.window)}`, count(a.submitting), count(a.queued)]),
      'no accounts',
    ),
  );

  out.push('', 'CARRIERS');
  out.push(
    ...table(
      ['NAME', 'KIND', 'BOUND', 'RECEIVERS', 'IN FLIGHT', 'CIRCUIT'],
      'llrrrl',
      report.carriers.map((c) => [
        c.name,
        c.kind,
        `${count(c.boundSenders)}/${count(c.configuredSessions)}`,
        count(c.boundReceivers),
        `${count(c.inFlight)}/${count(c.window)}`,
        c.circuitOpen ? 'OPEN' : 'closed',
      ]),
      'no carriers',
    ),
  );

  out.push('', 'ROUTES');
  out.push(...table(['NAME', 'READY'], 'll', report.routes.map((r) => [r.name, r.ready ? 'yes' : 'NO (no bound carrier)']), 'no routes'));

  out.push('');
  const nats = report.nats;
  if (!nats.enabled) out.push('NATS   off (nats.enabled: false)');
  else {
    const link = nats.connected ? (nats.streamReady ? 'connected, stream ready' : 'connected, stream not ready') : 'DISCONNECTED';
    out.push(
      `NATS   ${link}; outbox ${count(nats.outboxDepth)} events (${count(nats.inFlight)} in flight), lag ${duration(nats.lagMs)}, ` +
        `published ${count(nats.published)}, resent ${count(nats.resent)}, rejected ${count(nats.rejected)}`,
    );
    if (nats.lastError !== null) out.push(`       last error: ${nats.lastError}${nats.lastErrorAt !== null ? ` at ${nats.lastErrorAt}` : ''}`);
  }
  const store = report.store;
  out.push(
    store === null
      ? 'STORE  not open'
      : `STORE  ${bytes(store.sizeBytes)}; outbox ${count(store.outboxDepth)} events (${bytes(store.outboxBytes)})${store.outboxFull ? ', FULL: new submits refused' : ''}`,
  );
  return `${out.join('\n')}\n`;
}

/** Columns padded to their widest cell: 'l' for words, 'r' for numbers so their digits line up. */
function table(header: string[], align: string, rows: string[][], empty: string): string[] {
  if (rows.length === 0) return [`  (${empty})`];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    `  ${cells.map((cell, i) => (align[i] === 'r' ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ')}`.trimEnd();
  return [line(header), ...rows.map(line)];
}

function count(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '?';
}

function bytes(n: number): string {
  if (!Number.isFinite(n)) return '?';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

function duration(ms: number): string {
  if (!Number.isFinite(ms)) return '?';
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1_000;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const total = Math.floor(seconds);
  const d = Math.floor(total / 86_400);
  const h = Math.floor((total % 86_400) / 3_600);
  const m = Math.floor((total % 3_600) / 60);
  const s = total % 60;
  if (d > 0) return `${d}d${h}h`;
  if (h > 0) return `${h}h${String(m).padStart(2, '0')}m`;
  return `${m}m${String(s).padStart(2, '0')}s`;
}
