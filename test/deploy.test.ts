import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments, parseDocument } from 'yaml';
import { run as runStatus } from '../src/cli/status.js';
import { run as runStart, startRuntime } from '../src/cli/start.js';
import { DEFAULTS, loadConfig, parseConfig, parseHostPort, type Config } from '../src/config/index.js';
import { ProxyEvents } from '../src/broker/events.js';
import { ADMIN_PATHS } from '../src/observability/admin.js';
import { createMetrics } from '../src/observability/metrics.js';
import type { ProxyStatus, PublisherStats } from '../src/observability/view.js';
import { findNatsServerBinary } from './helpers/nats-server.js';

/**
 * The container and deployment files cannot be run here (no Docker engine, no Kubernetes), so
 * this checks that they agree with the code: ports, paths, commands, probes, the JetStream
 * stream and the metric names the dashboard queries.
 */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const at = (...parts: string[]): string => join(ROOT, ...parts);
const read = (...parts: string[]): string => readFileSync(at(...parts), 'utf8');

const DEPLOY_CONFIG = 'deploy/config/proxy.yaml';
const CONFIG_MOUNT = '/etc/smpp-proxy/proxy.yaml';

function port(listen: string): number {
  const parsed = parseHostPort(listen, true);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.value.port;
}
const SMPP_PORT = port(DEFAULTS.server.listen);
const TLS_PORT = port(DEFAULTS.server.tlsListen);
const ADMIN_PORT = port(DEFAULTS.admin.listen);

// ---- the files ---------------------------------------------------------------------------------

interface Instruction {
  stage: number;
  keyword: string;
  args: string;
}

/** Dockerfile instructions with continuation lines joined and comments dropped. */
function dockerfile(): Instruction[] {
  const logical: string[] = [];
  let current = '';
  for (const raw of read('Dockerfile').split('\n')) {
    const line = raw.trim();
    if (current === '' && (line === '' || line.startsWith('#'))) continue;
    if (line.startsWith('#')) continue;
    if (line.endsWith('\\')) {
      current += `${line.slice(0, -1)} `;
      continue;
    }
    logical.push(current + line);
    current = '';
  }
  let stage = -1;
  return logical.map((line) => {
    const space = line.indexOf(' ');
    const keyword = line.slice(0, space).toUpperCase();
    if (keyword === 'FROM') stage++;
    return { stage, keyword, args: line.slice(space + 1).trim() };
  });
}

function execForm(args: string): string[] {
  const parsed = JSON.parse(args) as unknown;
  if (!Array.isArray(parsed) || !parsed.every((a) => typeof a === 'string')) throw new Error(`not an exec-form array: ${args}`);
  return parsed as string[];
}

type Yaml = Record<string, any>;

function compose(): Yaml {
  return parse(read('deploy/docker-compose.yml'), { merge: true }) as Yaml;
}

/** Every Kubernetes object in deploy/k8s, by kind and name. */
function k8s(): Yaml[] {
  const kustomization = parse(read('deploy/k8s/kustomization.yaml')) as Yaml;
  const objects: Yaml[] = [];
  for (const file of kustomization.resources as string[]) {
    for (const doc of parseAllDocuments(read('deploy/k8s', file))) {
      expect(doc.errors, `deploy/k8s/${file}`).toEqual([]);
      objects.push(doc.toJS() as Yaml);
    }
  }
  return objects;
}
function object(kind: string, name: string): Yaml {
  const found = k8s().find((o) => o.kind === kind && o.metadata?.name === name);
  if (found === undefined) throw new Error(`no ${kind} ${name} in deploy/k8s`);
  return found;
}

/** The CLI commands main.ts registers. main.ts runs the CLI when imported, so its table is read as text. */
function registeredCommands(): Set<string> {
  const source = read('src/cli/main.ts');
  const table = source.slice(source.indexOf('const COMMANDS'), source.indexOf('};', source.indexOf('const COMMANDS')));
  return new Set([...table.matchAll(/^\s*'?([a-z][a-z-]*)'?:\s*\{\s*summary:/gm)].map((m) => m[1]!));
}

async function usageOf(run: (argv: string[], io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream }) => Promise<number>): Promise<string> {
  const stdout = new PassThrough();
  let text = '';
  stdout.on('data', (c: Buffer) => (text += c.toString()));
  expect(await run(['--help'], { stdout, stderr: new PassThrough() })).toBe(0);
  return text;
}

const ADMIN_PATH_SET: ReadonlySet<string> = new Set(Object.values(ADMIN_PATHS));

// ---- Dockerfile --------------------------------------------------------------------------------

describe('Dockerfile', () => {
  const instructions = dockerfile();
  const lastStage = Math.max(...instructions.map((i) => i.stage));
  const final = instructions.filter((i) => i.stage === lastStage);
  const one = (keyword: string): Instruction => {
    const found = final.filter((i) => i.keyword === keyword);
    expect(found, keyword).toHaveLength(1);
    return found[0]!;
  };

  it('builds with dev dependencies and tsc, and runs on node:20-slim with production dependencies only', () => {
    const build = instructions.filter((i) => i.stage === 0);
    expect(lastStage).toBeGreaterThanOrEqual(1);
    expect(build[0]!.args).toMatch(/^node:20(-slim)? AS build$/);
    expect(build.some((i) => i.keyword === 'RUN' && /\bnpm ci\b/.test(i.args) && !i.args.includes('--omit=dev'))).toBe(true);
    expect(build.some((i) => i.keyword === 'RUN' && i.args.includes('tsc -p tsconfig.json'))).toBe(true);
    expect(final[0]!.args).toMatch(/^node:20-slim\b/);
    expect(final.some((i) => i.keyword === 'RUN' && i.args.includes('npm ci --omit=dev'))).toBe(true);
    expect(final.some((i) => i.keyword === 'COPY' && i.args.startsWith('--from=build /app/dist'))).toBe(true);
    // tsconfig.json compiles src/ into dist/, which is what the image copies.
    const tsconfig = JSON.parse(read('tsconfig.json')) as { compilerOptions: { outDir: string; rootDir: string } };
    expect([tsconfig.compilerOptions.rootDir, tsconfig.compilerOptions.outDir]).toEqual(['src', 'dist']);
  });

  it('runs as a non-root numeric user', () => {
    const user = one('USER').args;
    const uid = user.split(':')[0]!;
    expect(uid).toMatch(/^\d+$/);
    expect(Number(uid)).toBeGreaterThan(0);
  });

  it('exposes the default SMPP, TLS and admin ports', () => {
    expect(one('EXPOSE').args.split(/\s+/).map(Number).sort()).toEqual([SMPP_PORT, TLS_PORT, ADMIN_PORT].sort());
  });

  it('checks health on an admin path that exists, on the admin port', () => {
    const healthcheck = one('HEALTHCHECK').args;
    const url = /http:\/\/127\.0\.0\.1:(\d+)(\/[a-z]+)/.exec(healthcheck);
    expect(url).not.toBeNull();
    expect(Number(url![1])).toBe(ADMIN_PORT);
    expect(url![2]).toBe(ADMIN_PATHS.healthz);
    expect(ADMIN_PATH_SET.has(url![2]!)).toBe(true);
    // No curl in node:20-slim: the check must use node.
    expect(healthcheck).toMatch(/CMD \["node", "-e"/);
  });

  it('starts a real CLI command with the mounted config path', async () => {
    const entrypoint = execForm(one('ENTRYPOINT').args);
    expect(entrypoint).toEqual(['node', 'dist/cli/main.js']);
    expect(existsSync(at('src/cli/main.ts'))).toBe(true);
    expect((JSON.parse(read('package.json')) as { bin: Record<string, string> }).bin['smpp-proxy']).toBe('dist/cli/main.js');
    const cmd = execForm(one('CMD').args);
    expect(cmd).toEqual(['start', '--config', CONFIG_MOUNT]);
    expect(registeredCommands().has(cmd[0]!)).toBe(true);
    expect(await usageOf(runStart)).toContain('--config');
  });

  it('declares the data volume where the deploy configuration keeps its store', () => {
    expect(execForm(one('VOLUME').args)).toEqual([loadConfig(at(DEPLOY_CONFIG)).store.path]);
  });

  it('keeps the build context small but includes what the build copies', () => {
    const ignored = read('.dockerignore')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'));
    for (const needed of ['src', 'package.json', 'package-lock.json', 'tsconfig.json']) expect(ignored).not.toContain(needed);
    for (const unwanted of ['node_modules', 'dist', '.git', 'test', 'data']) expect(ignored).toContain(unwanted);
  });
});

// ---- docker compose ----------------------------------------------------------------------------

describe('docker-compose.yml', () => {
  const file = compose();
  const services = file.services as Record<string, Yaml>;
  const nats = Object.keys(services).filter((name) => String(services[name]!.image).startsWith('nats:'));
  const proxies = Object.keys(services).filter((name) => services[name]!.build !== undefined || String(services[name]!.image).startsWith('smpp-proxy'));
  const flag = (args: string[], name: string): string | undefined => {
    const i = args.indexOf(name);
    return i < 0 ? undefined : args[i + 1];
  };

  it('runs a three-node NATS 2.10 cluster with JetStream, each node routed to the other two', () => {
    expect(nats).toHaveLength(3);
    const names = new Set<string>();
    for (const service of nats) {
      const s = services[service]!;
      expect(s.image).toBe('nats:2.10');
      const args = s.command as string[];
      expect(args).toContain('--jetstream');
      expect(flag(args, '--cluster_name')).toBe('smpp');
      names.add(flag(args, '--name')!);
      const routes = flag(args, '--routes')!.split(',').map((r) => new URL(r).hostname);
      expect(routes.sort()).toEqual(nats.filter((n) => n !== service).sort());
      // JetStream data on a volume of its own, so a restarted node keeps its stream replica.
      expect((s.volumes as string[]).some((v) => v.endsWith(`:${flag(args, '--store_dir')}`))).toBe(true);
    }
    expect(names.size).toBe(3);
  });

  it('runs two proxy instances from the Dockerfile, each with its own data volume', () => {
    expect(proxies).toHaveLength(2);
    const config = loadConfig(at(DEPLOY_CONFIG));
    const dataVolumes = new Set<string>();
    for (const service of proxies) {
      const s = services[service]!;
      expect(existsSync(resolve(at('deploy'), s.build.context as string, s.build.dockerfile as string))).toBe(true);
      const volumes = s.volumes as string[];
      expect(volumes).toContain(`./config/proxy.yaml:${CONFIG_MOUNT}:ro`);
      const data = volumes.find((v) => v.split(':')[1] === config.store.path);
      expect(data, `${service} mounts a volume at ${config.store.path}`).toBeDefined();
      dataVolumes.add(data!.split(':')[0]!);
      const containerPorts = (s.ports as string[]).map((p) => Number(p.split(':').at(-1)));
      expect(containerPorts.sort()).toEqual([config.server.listen!.port, config.admin.listen!.port].sort());
      expect(s.command).toEqual(['start', '--config', CONFIG_MOUNT]);
      expect(parseDuration(s.stop_grace_period as string)).toBeGreaterThan(config.server.shutdownTimeout);
      expect(s.depends_on).toEqual(expect.arrayContaining(nats));
    }
    expect(dataVolumes.size).toBe(2);
    for (const volume of dataVolumes) expect(Object.keys(file.volumes as object)).toContain(volume);
  });

  it('has a proxy configuration that loads and points at the NATS services', () => {
    const config = loadConfig(at(DEPLOY_CONFIG));
    expect(config.server.listen?.port).toBe(SMPP_PORT);
    expect(config.admin.listen?.port).toBe(ADMIN_PORT);
    expect(config.admin.token).toBeDefined();
    expect(config.nats.enabled).toBe(true);
    expect(config.nats.servers.map((s) => new URL(s).hostname).sort()).toEqual([...nats].sort());
    expect(config.nats.servers.every((s) => new URL(s).port === '4222')).toBe(true);
    expect(config.nats.stream.replicas).toBe(nats.length);
  });
});

function parseDuration(text: string): number {
  const match = /^(\d+)(ms|s|m)$/.exec(text);
  if (match === null) throw new Error(`unexpected duration ${text}`);
  return Number(match[1]) * { ms: 1, s: 1_000, m: 60_000 }[match[2] as 'ms' | 's' | 'm'];
}

// ---- Kubernetes --------------------------------------------------------------------------------

describe('Kubernetes manifests', () => {
  const statefulSet = object('StatefulSet', 'smpp-proxy');
  const pod = statefulSet.spec.template.spec as Yaml;
  const container = (pod.containers as Yaml[])[0]!;
  const configMap = object('ConfigMap', 'smpp-proxy-config');
  const config: Config = parseConfig(configMap.data['proxy.yaml'] as string, 'configmap proxy.yaml');
  const containerPort = (name: string): number => (container.ports as Yaml[]).find((p) => p.name === name)!.containerPort as number;
  const mount = (volume: string): string => (container.volumeMounts as Yaml[]).find((m) => m.name === volume)!.mountPath as string;

  it('holds every object the deployment needs', () => {
    const kinds = k8s().map((o) => `${o.kind}/${o.metadata.name}`);
    expect(kinds).toEqual(
      expect.arrayContaining(['ConfigMap/smpp-proxy-config', 'StatefulSet/smpp-proxy', 'Service/smpp-proxy', 'Service/smpp-proxy-admin', 'PodDisruptionBudget/smpp-proxy']),
    );
  });

  it('has a ConfigMap whose proxy.yaml loads, with the default ports and a token for the exposed admin listener', () => {
    expect(config.server.listen?.port).toBe(SMPP_PORT);
    expect(config.admin.listen?.port).toBe(ADMIN_PORT);
    expect(config.admin.token).toBeDefined();
  });

  it('mounts the config where the command reads it and the data volume where the store lives', () => {
    const configVolume = (pod.volumes as Yaml[]).find((v) => v.name === 'config')!;
    expect(configVolume.configMap.name).toBe('smpp-proxy-config');
    const item = (configVolume.configMap.items as Yaml[]).find((i) => i.key === 'proxy.yaml')!;
    expect(`${mount('config')}/${item.path}`).toBe(CONFIG_MOUNT);
    expect(container.args).toEqual(['start', '--config', CONFIG_MOUNT]);
    expect(mount('data')).toBe(config.store.path);
    expect((statefulSet.spec.volumeClaimTemplates as Yaml[]).map((t) => t.metadata.name)).toContain('data');
  });

  it('exposes the configured ports, and the Services target them', () => {
    expect(containerPort('smpp')).toBe(config.server.listen!.port);
    expect(containerPort('smpp-tls')).toBe(TLS_PORT);
    expect(containerPort('admin')).toBe(config.admin.listen!.port);
    const names = new Set((container.ports as Yaml[]).map((p) => p.name as string));
    for (const service of k8s().filter((o) => o.kind === 'Service')) {
      expect(service.spec.selector).toEqual(statefulSet.spec.selector.matchLabels);
      for (const p of service.spec.ports as Yaml[]) expect(names.has(p.targetPort as string), `${service.metadata.name} ${p.name}`).toBe(true);
    }
    expect(statefulSet.spec.template.metadata.labels).toMatchObject(statefulSet.spec.selector.matchLabels);
    expect(object('PodDisruptionBudget', 'smpp-proxy').spec.selector).toEqual(statefulSet.spec.selector);
  });

  it('probes liveness on /healthz and readiness on /readyz through a real CLI command', async () => {
    const liveness = container.livenessProbe.httpGet as Yaml;
    expect(liveness.path).toBe(ADMIN_PATHS.healthz);
    expect(ADMIN_PATH_SET.has(liveness.path as string)).toBe(true);
    expect(liveness.port).toBe('admin');

    const command = container.readinessProbe.exec.command as string[];
    expect(command.slice(0, 2)).toEqual(['node', '/app/dist/cli/main.js']);
    const [name, ...args] = command.slice(2);
    expect(name).toBe('status');
    expect(registeredCommands().has(name!), `main.ts registers "${name}"`).toBe(true);
    expect(args).toEqual(expect.arrayContaining(['--ready', '--config', CONFIG_MOUNT]));
    expect(await usageOf(runStatus)).toContain('--ready');
    // `status --ready` asks /readyz.
    expect(read('src/cli/status.ts')).toContain('ADMIN_PATHS.readyz');
    expect(Number(args[args.indexOf('--timeout') + 1])).toBeLessThan(container.readinessProbe.timeoutSeconds * 1000);
  });

  it('runs non-root with the image user, and outlasts the graceful shutdown', () => {
    const uid = Number(dockerfile().filter((i) => i.keyword === 'USER').at(-1)!.args.split(':')[0]);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: uid });
    expect(container.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true });
    expect(container.resources.requests).toBeDefined();
    expect(pod.terminationGracePeriodSeconds * 1000).toBeGreaterThan(config.server.shutdownTimeout);
  });
});

// ---- Grafana -----------------------------------------------------------------------------------

describe('Grafana dashboard', () => {
  const dashboard = JSON.parse(read('deploy/grafana/dashboard.json')) as { panels: Yaml[] };
  const expressions = dashboard.panels.flatMap((p) => ((p.targets ?? []) as Yaml[]).map((t) => ({ panel: p.title as string, expr: t.expr as string })));

  async function registryMetrics(): Promise<Map<string, { type: string; labels: Set<string> }>> {
    const status: ProxyStatus = { accepting: true, accounts: [], carriers: [], routes: [], pendingWork: 0 };
    const publisher = { connected: true, streamReady: true, depth: 0, inFlight: 0, lagMs: 0, published: 0, duplicates: 0, resent: 0, rejected: 0 } as PublisherStats;
    const metrics = createMetrics({
      events: new ProxyEvents(),
      status: () => status,
      store: () => ({ sizeBytes: 0, outboxDepth: 0, outboxBytes: 0, outboxFull: false }),
      publisher: () => publisher,
    });
    try {
      await metrics.registry.metrics(); // registers the NATS and store gauges, which exist while their source does
      const byName = new Map<string, { type: string; labels: Set<string> }>();
      for (const m of metrics.registry.getMetricsAsArray() as unknown as { name: string; type: string; labelNames?: string[] }[]) {
        byName.set(m.name, { type: m.type, labels: new Set(m.labelNames ?? []) });
      }
      return byName;
    } finally {
      metrics.close();
    }
  }

  it('has panels with queries, and unique ids', () => {
    expect(expressions.length).toBeGreaterThan(20);
    const ids = dashboard.panels.map((p) => p.id as number);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('queries only metrics and labels the registry has', async () => {
    const registry = await registryMetrics();
    const used = new Set<string>();
    for (const { panel, expr } of expressions) {
      const names = [...expr.matchAll(/\b((?:smpp|process|nodejs)_[a-z0-9_]+)\b/g)].map((m) => m[1]!);
      expect(names.length, `${panel}: ${expr}`).toBeGreaterThan(0);
      const labels = new Set(['instance', 'job']);
      for (const name of names) {
        const suffix = /_(bucket|sum|count)$/.exec(name);
        const base = suffix !== null && registry.get(name.slice(0, -suffix[0].length))?.type === 'histogram' ? name.slice(0, -suffix[0].length) : name;
        const metric = registry.get(base);
        expect(metric, `${panel}: ${name} is not a metric of the proxy`).toBeDefined();
        used.add(base);
        for (const l of metric!.labels) labels.add(l);
        if (metric!.type === 'histogram') labels.add('le');
      }
      const grouped = [...expr.matchAll(/\bby \(([^)]*)\)/g)].flatMap((m) => m[1]!.split(',').map((l) => l.trim()));
      const matched = [...expr.matchAll(/\b([a-z_]+)=~?"/g)].map((m) => m[1]!);
      for (const label of [...grouped, ...matched]) expect(labels.has(label), `${panel}: label ${label} in ${expr}`).toBe(true);
    }
    // What the brief asks the dashboard to show.
    for (const name of ['smpp_pdus_total', 'smpp_submit_duration_seconds', 'smpp_failovers_total', 'smpp_esme_binds', 'smpp_carrier_binds', 'smpp_queued_deliveries', 'smpp_outbox_depth', 'smpp_publish_lag_seconds', 'smpp_nats_connected']) {
      expect(used.has(name), name).toBe(true);
    }
  });
});

// ---- JetStream stream --------------------------------------------------------------------------

async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => new Promise<ReturnType<typeof createServer>>((ok) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => ok(s));
    })),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise<void>((ok) => s.close(() => ok()))));
  return ports;
}

/**
 * The compose file's NATS nodes as local processes: the same names, cluster name and route
 * topology, with hostnames and ports moved to free loopback ports.
 */
async function startComposeNatsCluster(): Promise<{ urls: string[]; stop(): Promise<void> }> {
  const services = compose().services as Record<string, Yaml>;
  const nodes = Object.keys(services).filter((n) => String(services[n]!.image).startsWith('nats:'));
  const ports = await freePorts(nodes.length * 3);
  const clientPort = (i: number): number => ports[i * 3]!;
  const clusterPort = (i: number): number => ports[i * 3 + 1]!;
  const dirs: string[] = [];
  const children: ChildProcess[] = [];
  const binary = findNatsServerBinary();
  for (const [i, node] of nodes.entries()) {
    const dir = mkdtempSync(join(tmpdir(), `smpp-deploy-${node}-`));
    dirs.push(dir);
    const args = (services[node]!.command as string[]).map((arg, j, all) => {
      if (all[j - 1] === '--store_dir') return dir;
      if (all[j - 1] === '--cluster') return `nats://127.0.0.1:${clusterPort(i)}`;
      if (all[j - 1] === '--http_port') return String(ports[i * 3 + 2]);
      if (all[j - 1] === '--routes') {
        return arg
          .split(',')
          .map((route) => `nats://127.0.0.1:${clusterPort(nodes.indexOf(new URL(route).hostname))}`)
          .join(',');
      }
      return arg;
    });
    children.push(spawn(binary, [...args, '-a', '127.0.0.1', '-p', String(clientPort(i))], { stdio: 'ignore' }));
  }
  return {
    urls: nodes.map((_n, i) => `nats://127.0.0.1:${clientPort(i)}`),
    async stop() {
      await Promise.all(
        children.map(
          (child) =>
            new Promise<void>((ok) => {
              if (child.exitCode !== null || child.signalCode !== null) return ok();
              child.once('exit', () => ok());
              child.kill('SIGTERM');
            }),
        ),
      );
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe('deploy/nats/stream.json', () => {
  const definition = JSON.parse(read('deploy/nats/stream.json')) as Record<string, unknown>;

  it('is the stream the proxy creates from the deploy configuration, on the compose NATS cluster', { timeout: 45_000 }, async () => {
    const cluster = await startComposeNatsCluster();
    const storeDir = mkdtempSync(join(tmpdir(), 'smpp-deploy-store-'));
    try {
      // The deploy configuration as it is, moved onto loopback: listeners on free ports, the
      // store in a temporary directory, NATS at the local copies of the compose nodes.
      const doc = parseDocument(read(DEPLOY_CONFIG));
      doc.setIn(['server', 'listen'], '127.0.0.1:0');
      doc.setIn(['admin', 'listen'], '127.0.0.1:0');
      doc.setIn(['store', 'path'], storeDir);
      doc.setIn(['nats', 'servers'], doc.createNode(cluster.urls));
      const config = parseConfig(String(doc), DEPLOY_CONFIG);
      const runtime = await startRuntime(config, pino({ level: 'silent' }));
      try {
        const deadline = Date.now() + 30_000;
        while (runtime.publisher?.stats.streamReady !== true) {
          if (Date.now() > deadline) throw new Error(`stream not ready: ${runtime.publisher?.stats.lastError ?? 'no publisher'}`);
          await new Promise((ok) => setTimeout(ok, 100));
        }
      } finally {
        await runtime.stop();
      }

      const nc = await connect({ servers: cluster.urls });
      try {
        const jsm = await jetstreamManager(nc);
        const created = (await jsm.streams.info(config.nats.stream.name)).config as unknown as Record<string, unknown>;
        for (const [key, value] of Object.entries(definition)) expect(created[key], key).toEqual(value);
        // And the file, given to JetStream as it is (as `nats stream add --config` does), makes
        // exactly that stream: nothing the proxy sets is missing from it.
        const twin = (await jsm.streams.add({ ...definition, name: 'TWIN', subjects: ['twin.>'] } as Parameters<typeof jsm.streams.add>[0])).config as unknown as Record<string, unknown>;
        const { name: _a, subjects: _b, ...fromProxy } = created;
        const { name: _c, subjects: _d, ...fromFile } = twin;
        expect(fromFile).toEqual(fromProxy);
      } finally {
        await nc.close();
      }
    } finally {
      await cluster.stop();
      rmSync(storeDir, { recursive: true, force: true });
    }
  });
});
