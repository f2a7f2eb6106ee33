import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { formatStatusReport, run } from '../../src/cli/status.js';
import type { StatusReport } from '../../src/observability/status-report.js';
import type { CarrierSimulator } from '../../src/sim/carrier-sim.js';
import { account, cleanupAll, makeConfig, remoteCarrier, startCarrier, tempDir, TestEsme, waitFor } from '../e2e/harness.js';
import { captureIo } from '../helpers/capture-io.js';
import { ADMIN_TOKEN, startObserved, type Observed } from './helpers.js';

async function cli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const { io, text } = captureIo();
  const code = await run(argv, io);
  return { code, ...text };
}

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('smpp-proxy status against a live admin listener', () => {
  let alpha: CarrierSimulator;
  let observed: Observed;

  beforeAll(async () => {
    alpha = await startCarrier('alpha');
    const config = makeConfig({
      accounts: { acme: account(), globex: account() },
      carriers: {
        alpha: remoteCarrier(alpha, 'alpha'),
        beta: { simulator: { dlr_status: 'DELIVRD', dlr_delay: '20ms' }, sessions: 2 },
      },
      routes: [
        { name: 'uk', prefix: ['447'], carriers: [{ carrier: 'alpha', cost: 0.01 }] },
        { name: 'us', prefix: ['1'], carriers: [{ carrier: 'beta', cost: 0.01 }] },
      ],
    });
    observed = await startObserved(config);
    await TestEsme.bind(observed.running.port, 'acme');
  });
  afterAll(cleanupAll);

  it('prints accounts, carriers, routes, NATS and the store as tables', async () => {
    const { code, stdout, stderr } = await cli(['--admin', observed.admin.url, '--token', ADMIN_TOKEN]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const lines = stdout.split('\n');
    expect(lines[0]).toMatch(/^READY, accepting binds; pid \d+/);
    expect(lines).toContain('ACCOUNTS');
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}NAME\s+BINDS\s+WINDOW\s+SUBMITTING\s+QUEUED$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}acme\s+1\s+0\/10\s+0\s+0$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}globex\s+0\s+0\/0\s+0\s+0$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}alpha\s+remote\s+1\/1\s+0\s+0\/10\s+closed$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}beta\s+simulator\s+2\/2\s+0\s+0\/20\s+closed$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}uk\s+yes$/));
    expect(lines).toContain('NATS   off (nats.enabled: false)');
    expect(lines).toContainEqual(expect.stringMatching(/^STORE {2}\d+(\.\d)? (B|KB|MB); outbox 0 events \(0 B\)$/));
  });

  it('prints the JSON with --json', async () => {
    const { code, stdout } = await cli(['--admin', observed.admin.url, '--token', ADMIN_TOKEN, '--json']);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as StatusReport;
    expect(report.ready).toBe(true);
    expect(report.accounts.map((a) => [a.name, a.binds])).toEqual([
      ['acme', 1],
      ['globex', 0],
    ]);
  });

  it('takes the token from the environment', async () => {
    process.env.SMPP_PROXY_ADMIN_TOKEN = ADMIN_TOKEN;
    try {
      expect((await cli(['--admin', observed.admin.url])).code).toBe(0);
    } finally {
      delete process.env.SMPP_PROXY_ADMIN_TOKEN;
    }
  });

  it('explains a refused token', async () => {
    const { code, stdout, stderr } = await cli(['--admin', observed.admin.url]);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/refused the request \(401\): pass --token or set SMPP_PROXY_ADMIN_TOKEN/);
  });

  it('reads the admin address and token from a config file, as a readiness probe does', async () => {
    const dir = await tempDir('status-cli-');
    const file = join(dir, 'proxy.yaml');
    await writeFile(
      file,
      stringify({
        admin: { listen: `${observed.admin.address.host}:${observed.admin.address.port}`, token: ADMIN_TOKEN },
        nats: { enabled: false },
        accounts: { acme: account() },
        carriers: { beta: { simulator: {} } },
        routes: [{ name: 'all', prefix: [''], carriers: [{ carrier: 'beta', cost: 0 }] }],
      }),
    );
    const ready = await cli(['--config', file, '--ready']);
    expect(ready).toEqual({ code: 0, stdout: 'ready\n', stderr: '' });
  });

  it('exits 1 with the reasons when --ready finds the proxy not ready', async () => {
    await alpha.stop();
    try {
      await waitFor(() => observed.running.proxy.status().routes.find((r) => r.name === 'uk')?.ready === false, 'route uk to lose its carrier');
      const notReady = await cli(['--admin', observed.admin.url, '--token', ADMIN_TOKEN, '--ready']);
      expect(notReady).toEqual({ code: 1, stdout: 'not ready:\n  - route uk has no bound carrier\n', stderr: '' });
      const json = await cli(['--admin', observed.admin.url, '--token', ADMIN_TOKEN, '--ready', '--json']);
      expect(json.code).toBe(1);
      expect(JSON.parse(json.stdout)).toEqual({ ready: false, reasons: ['route uk has no bound carrier'] });
      const table = await cli(['--admin', observed.admin.url, '--token', ADMIN_TOKEN]);
      expect(table.code).toBe(0);
      expect(table.stdout).toMatch(/^NOT READY, accepting binds;.*\n {2}- route uk has no bound carrier\n/);
      expect(table.stdout).toMatch(/\n {2}uk\s+NO \(no bound carrier\)\n/);
    } finally {
      await alpha.start();
      await waitFor(() => observed.running.proxy.isReady(), 'the proxy to be ready again');
    }
  });
});

describe('smpp-proxy status without a listener, and bad usage', () => {
  it('says the admin listener cannot be reached', async () => {
    const port = await closedPort();
    const { code, stderr } = await cli(['--admin', `http://127.0.0.1:${port}`]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/cannot reach the admin listener at http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/);
  });

  it('refuses bad arguments with exit status 2', async () => {
    for (const argv of [['--admin', 'ftp://127.0.0.1:9090'], ['--admin', 'not a url'], ['--timeout', 'soon'], ['--timeout', '0'], ['--frobnicate'], ['extra']]) {
      const { code, stderr } = await cli(argv);
      expect(code, argv.join(' ')).toBe(2);
      expect(stderr).toMatch(/^smpp-proxy status: /);
    }
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^usage: smpp-proxy status/);
  });

  it('reports an unreadable config file', async () => {
    const { code, stderr } = await cli(['--config', '/nonexistent/proxy.yaml']);
    expect(code).toBe(1);
    expect(stderr).toMatch(/cannot read the configuration file/);
  });
});

describe('formatStatusReport', () => {
  it('shows an open circuit, a full outbox, NATS trouble and sizes in readable units', () => {
    const report: StatusReport = {
      ready: false,
      reasons: ['route us has no bound carrier'],
      accepting: true,
      pendingWork: 12,
      accounts: [{ name: 'acme', binds: 2, windowUsed: 7, window: 20, submitting: 3, queued: 12_345, sessions: [] }],
      carriers: [{ name: 'beta', kind: 'remote', boundSenders: 0, boundReceivers: 1, configuredSessions: 2, inFlight: 0, window: 100, circuitOpen: true }],
      routes: [{ name: 'us', ready: false }],
      store: { sizeBytes: 5 * 1024 * 1024, outboxDepth: 1_000_000, outboxBytes: 300 * 1024 * 1024, outboxFull: true },
      nats: {
        enabled: true,
        connected: false,
        streamReady: false,
        outboxDepth: 1_000_000,
        inFlight: 0,
        lagMs: 125_000,
        published: 42,
        duplicates: 0,
        resent: 7,
        rejected: 0,
        lastError: 'disconnected from NATS',
        lastErrorAt: '2025-01-01T00:00:00.000Z',
        lastAckAt: null,
      },
      process: { pid: 1, uptimeSeconds: 7_380, rssBytes: 80 * 1024 * 1024 },
    };
    const text = formatStatusReport(report);
    expect(text).toContain('NOT READY, accepting binds; pid 1, up 2h03m, rss 80.0 MB, 12 requests in progress\n  - route us has no bound carrier\n');
    expect(text).toMatch(/\n {2}acme\s+2\s+7\/20\s+3\s+12,345\n/);
    expect(text).toMatch(/\n {2}beta\s+remote\s+0\/2\s+1\s+0\/100\s+OPEN\n/);
    expect(text).toContain('NATS   DISCONNECTED; outbox 1,000,000 events (0 in flight), lag 2m05s, published 42, resent 7, rejected 0\n');
    expect(text).toContain('       last error: disconnected from NATS at 2025-01-01T00:00:00.000Z\n');
    expect(text).toContain('STORE  5.0 MB; outbox 1,000,000 events (300.0 MB), FULL: new submits refused\n');
  });
});
