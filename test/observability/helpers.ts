import type { Logger } from 'pino';
import { ProxyEvents } from '../../src/broker/events.js';
import type { Config } from '../../src/config/index.js';
import { startAdminServer, type AdminReloadResult, type AdminServer } from '../../src/observability/admin.js';
import { createMetrics, type ProxyMetrics } from '../../src/observability/metrics.js';
import { storeStatsOf, type RuntimeView } from '../../src/observability/view.js';
import { createSandbox } from '../../src/sim/sandbox.js';
import { openMemoryStore, type Store } from '../../src/store/index.js';
import { silentLogger, startProxy, track, type RunningProxy } from '../e2e/harness.js';

export const ADMIN_TOKEN = 'admin-token-for-tests-0123456789';

export interface Observed {
  running: RunningProxy;
  store: Store;
  events: ProxyEvents;
  metrics: ProxyMetrics;
  admin: AdminServer;
  view: RuntimeView;
  /** GET or POST on the admin listener with the token (unless `token: null`). */
  http(path: string, init?: { method?: string; token?: string | null; body?: string }): Promise<{ status: number; body: string; headers: Headers }>;
  /** /metrics parsed. */
  scrape(): Promise<Sample[]>;
}

/**
 * The proxy as `start` runs it, in-process: memory store, metrics subscribed before the proxy
 * starts (so carrier binds are counted), and the admin listener on a free loopback port.
 */
export async function startObserved(
  config: Config,
  options: { logger?: Logger; events?: ProxyEvents; waitForCarriers?: readonly string[]; reload?: () => Promise<AdminReloadResult>; token?: string | undefined } = {},
): Promise<Observed> {
  const store = openMemoryStore();
  track(() => store.close());
  const events = options.events ?? new ProxyEvents();
  let running: RunningProxy | undefined;
  const view: RuntimeView = {
    status: () => running?.proxy.status(),
    store: () => storeStatsOf(store),
    publisher: () => undefined,
  };
  const metrics = createMetrics({ events, ...view });
  track(() => metrics.close());
  const logger = options.logger ?? silentLogger;
  running = await startProxy(config, {
    events,
    store,
    logger,
    sandbox: (carrier) => createSandbox(carrier, logger),
    ...(options.waitForCarriers ? { waitForCarriers: options.waitForCarriers } : {}),
  });
  const token = 'token' in options ? options.token : ADMIN_TOKEN;
  const admin = await startAdminServer({
    ...view,
    listen: { host: '127.0.0.1', port: 0 },
    token,
    registry: metrics.registry,
    reload: options.reload ?? (async () => ({ ok: true })),
  });
  track(() => admin.close());
  const http: Observed['http'] = async (path, init = {}) => {
    const headers: Record<string, string> = {};
    const tokenToSend = init.token === undefined ? token : init.token;
    if (tokenToSend !== null && tokenToSend !== undefined) headers.authorization = `Bearer ${tokenToSend}`;
    const response = await fetch(`${admin.url}${path}`, { method: init.method ?? 'GET', headers, ...(init.body !== undefined ? { body: init.body } : {}) });
    return { status: response.status, body: await response.text(), headers: response.headers };
  };
  return {
    running,
    store,
    events,
    metrics,
    admin,
    view,
    http,
    async scrape() {
      const response = await http('/metrics');
      if (response.status !== 200) throw new Error(`/metrics answered ${response.status}: ${response.body}`);
      return parseExposition(response.body);
    },
  };
}

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The Prometheus text format, enough of it for assertions: one sample per non-comment line. */
export function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match === null) throw new Error(`unparseable exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[pair[1]!] = pair[2]!.replace(/\\(.)/g, (_m, c: string) => (c === 'n' ? '\n' : c));
    }
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

/** The value of the one sample with this name whose labels include `labels`; 0 when there is none. */
export function valueOf(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): number {
  const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return found[0]?.value ?? 0;
}

/** Sum over every sample with this name whose labels include `labels`. */
export function sumOf(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((total, s) => total + s.value, 0);
}
