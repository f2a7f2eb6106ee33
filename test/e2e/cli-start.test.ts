import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter, once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { Status } from '../../src/smpp/index.js';
import { buildForChild } from '../store/child-build.js';
import { cleanupAll, readReceiptView, receiptFor, tempDir, TestEsme, track } from './harness.js';

/**
 * `smpp-proxy start` as `npm start` runs it, in its own process: the shipped config/proxy.yaml
 * (sandbox carriers only) with the listener on a free loopback port, the store in a temporary
 * directory and NATS off. An ESME binds, submits and gets its receipt; SIGTERM stops it with exit 0.
 */
const PROJECT = fileURLToPath(new URL('../..', import.meta.url));

afterAll(cleanupAll);

interface LogLine {
  msg?: string;
  smpp?: { address: string; port: number };
  [key: string]: unknown;
}

/** The JSON log lines a child process printed, as they come. */
class LogReader extends EventEmitter<{ line: [LogLine] }> {
  readonly lines: LogLine[] = [];

  constructor(child: ChildProcess) {
    super();
    createInterface({ input: child.stdout! }).on('line', (text) => {
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        return; // stdout of `start` carries only JSON logs, but a stray line must not fail the run
      }
      this.lines.push(line);
      this.emit('line', line);
    });
  }
}

/** Resolves with the first JSON log line `match` accepts; rejects if the process exits first. */
function waitForLog(child: ChildProcess, logs: LogReader, match: (line: LogLine) => boolean, timeoutMs: number): Promise<LogLine> {
  const lines = logs.lines;
  return new Promise((resolve, reject) => {
    const found = lines.find(match);
    if (found !== undefined) {
      resolve(found);
      return;
    }
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`no matching log line within ${timeoutMs} ms; got ${JSON.stringify(lines.map((l) => l.msg))}`));
    }, timeoutMs);
    const onLine = (line: LogLine): void => {
      if (!match(line)) return;
      cleanup();
      resolve(line);
    };
    const onExit = (code: number | null): void => {
      cleanup();
      reject(new Error(`the proxy exited (code ${code}) before logging what was awaited`));
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      logs.off('line', onLine);
      child.off('exit', onExit);
    };
    logs.on('line', onLine);
    child.once('exit', onExit);
  });
}

describe('smpp-proxy start', () => {
  let dir: string;
  let build: string;

  // Transpiling the sources for the child takes seconds on a busy machine: kept out of the test's own time.
  beforeAll(async () => {
    dir = await tempDir('smpp-proxy-start-');
    build = join(dir, 'build');
    buildForChild(build, ['src']);
  }, 60_000);

  it('runs config/proxy.yaml, carries a message and its receipt, and exits 0 on SIGTERM', { timeout: 30_000 }, async () => {
    const config = parse(readFileSync(join(PROJECT, 'config/proxy.yaml'), 'utf8')) as Record<string, Record<string, unknown>>;
    config['server']!['listen'] = '127.0.0.1:0';
    config['admin']!['listen'] = '127.0.0.1:0';
    config['store']!['path'] = join(dir, 'data');
    config['nats'] = { ...config['nats'], enabled: false };
    config['log'] = { level: 'info', pretty: false };
    const configPath = join(dir, 'proxy.yaml');
    writeFileSync(configPath, stringify(config));

    const child = spawn(process.execPath, [join(build, 'src/cli/main.js'), 'start', '-c', configPath], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    track(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    const logs = new LogReader(child);
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));

    const started = await waitForLog(child, logs, (l) => l.msg === 'smpp-proxy started', 20_000);
    const port = started.smpp!.port;
    expect(port).toBeGreaterThan(0);
    expect(started['carriers']).toEqual(['sim-alpha', 'sim-beta', 'sim-gamma']);

    // Sandbox carriers bind in the background; until sim-alpha is up a submit may get ESME_RMSGQFUL.
    const esme = await TestEsme.bind(port, 'demo', { password: 'demo' });
    let resp = await esme.submit({ source_addr: 'DEMO', destination_addr: '447700900123' });
    for (let i = 0; i < 50 && resp.status === Status.ESME_RMSGQFUL; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      resp = await esme.submit({ source_addr: 'DEMO', destination_addr: '447700900123' });
    }
    expect(resp.status).toBe(Status.ESME_ROK);
    const proxyId = resp.body.message_id!;
    const receipt = await esme.waitForDelivery(receiptFor(proxyId), 8_000);
    expect(readReceiptView(receipt)).toEqual({ tlvId: proxyId, textId: proxyId, stat: 'DELIVRD' });
    // A sender outside the account's allow-list is refused by the running proxy too.
    expect((await esme.submit({ source_addr: 'SPOOF', destination_addr: '447700900123' })).status).toBe(Status.ESME_RINVSRCADR);

    const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    child.kill('SIGTERM');
    const [code, signal] = await exited;
    expect({ code, signal, stderr }).toEqual({ code: 0, signal: null, stderr: '' });
    expect(logs.lines.map((l) => l.msg)).toContain('stopped');
    // The ESME was unbound by the proxy, not cut off.
    expect(esme.session.closeReason?.code).toBe('PEER_UNBOUND');
  });
});
