import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect as tcpConnect } from 'node:net';
import { CarrierSimulator } from '../sim/carrier-sim.js';
import { benchDirect, measureEsmeRun, type EsmeRunResult } from './direct.js';
import { freeLoopbackPort } from './nats-server.js';
import type { BenchReport, BenchScenario } from './report.js';

export interface ProxyBenchOptions {
  /** Default 20,000. */
  messages?: number;
  /** Default 100. */
  window?: number;
}

export interface ProxyBenchResult {
  direct: EsmeRunResult;
  proxied: EsmeRunResult;
  /** proxied / direct end-to-end messages per second; the target is >= 0.35. */
  ratio: number;
  window: number;
}

const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', 'cli', 'main.js');

/**
 * Messages per second with receipts through the proxy, against the same test ESME straight to
 * the same carrier simulator, measured in one run. The ESME and the simulator share this
 * process in both runs; the proxy runs as its own process (`smpp-proxy start`), as it does in
 * production, with its LMDB store on disk and every write durable before it answers.
 */
export async function benchProxy(options: ProxyBenchOptions = {}): Promise<ProxyBenchResult> {
  const messages = options.messages ?? 20_000;
  const window = options.window ?? 100;
  const direct = await benchDirect({ messages, window });

  const carrier = { systemId: 'carrier', password: 'carrier' };
  const simulator = new CarrierSimulator({
    accounts: [carrier],
    receiptDelayMs: 0,
    recordLimit: 0,
    session: { windowSize: window, enquireLinkIntervalMs: 0 },
  });
  const sim = await simulator.start();
  const dir = mkdtempSync(join(tmpdir(), 'smpp-bench-'));
  const port = await freeLoopbackPort();
  const file = join(dir, 'proxy.yaml');
  writeFileSync(
    file,
    `server: { listen: "127.0.0.1:${port}", window: ${window} }
admin: { listen: false }
store: { path: ${JSON.stringify(join(dir, 'store'))} }
nats: { enabled: false }
log: { level: warn }
accounts:
  bench: { password: bench, allowed_ips: ["127.0.0.1"], window: ${window} }
carriers:
  sim: { host: 127.0.0.1, port: ${sim.port}, system_id: ${carrier.systemId}, password: ${carrier.password}, sessions: 2, window: ${window} }
routes:
  - { name: all, prefix: [""], carriers: [{ carrier: sim, cost: 0.01 }] }
`,
  );
  const child = spawn(process.execPath, [CLI, 'start', '-c', file], { stdio: ['ignore', 'ignore', 'inherit'] });
  try {
    await waitForPort(port, child);
    // The proxy binds to the carrier in the background; give it a moment to be ready.
    await waitFor(() => simulator.sessions.length >= 2, 10_000);
    const proxied = await measureEsmeRun({ host: '127.0.0.1', port, systemId: 'bench', password: 'bench' }, { messages, window });
    return { direct, proxied, ratio: proxied.messagesPerSecond / direct.messagesPerSecond, window };
  } finally {
    await stopChild(child);
    await simulator.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const TITLE = 'messages/s with receipts through the proxy, against the direct ESME-to-carrier run';

export const proxyScenario: BenchScenario = {
  name: 'proxy',
  title: TITLE,
  async run({ quick }): Promise<BenchReport> {
    const r = await benchProxy(quick ? { messages: 500, window: 50 } : {});
    return {
      scenario: 'proxy',
      title: TITLE,
      metrics: [
        { name: 'direct (with receipts)', value: r.direct.messagesPerSecond, unit: 'msg/s' },
        { name: 'through the proxy (with receipts)', value: r.proxied.messagesPerSecond, unit: 'msg/s' },
        { name: 'proxy / direct', value: r.ratio, unit: 'ratio', note: 'target >= 0.35' },
        { name: 'receipts missing via proxy', value: r.proxied.missingReceipts, unit: 'msg' },
        { name: 'refused via proxy', value: r.proxied.refused, unit: 'msg' },
      ],
      notes: [
        `${r.proxied.messages} single-part submit_sm, ESME window ${r.window}, proxy with 2 carrier binds of window ${r.window}, receipts sent at once`,
        'the proxy is a separate process (smpp-proxy start) with its LMDB store on disk; ESME and simulator share the bench process in both runs',
      ],
    };
  },
};

async function waitForPort(port: number, child: ChildProcess, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the proxy exited with code ${child.exitCode} before listening`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = tcpConnect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > end) throw new Error(`the proxy did not listen on ${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function waitFor(check: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting for the proxy to bind to the carrier');
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}
