import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/**
 * A real nats-server with JetStream for tests: its own free port on loopback (never the
 * default 4222, which a developer's or CI machine may already run), its own store directory,
 * and stop()/start() on the same port and directory so a test can take NATS away mid-run and
 * bring it back with the stream intact.
 */
export interface NatsServerHandle {
  readonly port: number;
  /** nats://127.0.0.1:<port> */
  readonly url: string;
  readonly storeDir: string;
  readonly running: boolean;
  /** Stop the server. SIGTERM lets it shut down cleanly; SIGKILL simulates a crash. */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  /** Freeze the server (SIGSTOP): connections stay open but nothing is answered, like an overloaded server. */
  pause(): void;
  /** Unfreeze after pause() (SIGCONT). */
  resume(): void;
  /** Start again on the same port and store directory (after stop()). */
  start(): Promise<void>;
  /** Stop if running and delete the store directory. */
  cleanup(): Promise<void>;
}

export interface StartNatsOptions {
  /** Extra command-line arguments, e.g. ['--max_payload', '1MB']. */
  args?: string[];
  /** How long to wait for the server to report ready (ms). */
  readyTimeoutMs?: number;
}

const DEFAULT_PORT = 4222;

export function findNatsServerBinary(): string {
  const candidates = ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server'];
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir) candidates.push(join(dir, 'nats-server'));
  }
  for (const candidate of candidates) {
    if (existsSync(candidate)) return candidate;
  }
  throw new Error(
    'nats-server not found (looked in /usr/sbin, /usr/bin, /usr/local/bin and PATH). ' +
      'These tests need a real server: install the Debian package "nats-server".',
  );
}

/** A port the kernel just handed out on loopback, released again for the server to take. */
async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        const chosen = typeof address === 'object' && address ? address.port : 0;
        server.close(() => resolve(chosen));
      });
    });
    if (port !== 0 && port !== DEFAULT_PORT) return port;
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function startNatsServer(options: StartNatsOptions = {}): Promise<NatsServerHandle> {
  const binary = findNatsServerBinary();
  const version = spawnSync(binary, ['--version'], { encoding: 'utf8' });
  if (version.status !== 0) {
    throw new Error(`nats-server at ${binary} does not run: ${version.stderr || version.error?.message}`);
  }
  const storeDir = mkdtempSync(join(tmpdir(), 'smpp-proxy-nats-'));
  const port = await freePort();
  const readyTimeoutMs = options.readyTimeoutMs ?? 15_000;
  let child: ChildProcess | undefined;
  let exited: Promise<void> | undefined;
  let paused = false;

  const launch = async (): Promise<void> => {
    const args = ['-js', '-sd', storeDir, '-p', String(port), '-a', '127.0.0.1', ...(options.args ?? [])];
    const proc = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    child = proc;
    exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    let log = '';
    let ready = false;
    proc.stderr?.setEncoding('utf8');
    proc.stderr?.on('data', (chunk: string) => {
      // Keep only the start-up log: enough to explain a failure, bounded for long runs.
      if (log.length < 20_000) log += chunk;
      if (log.includes('Server is ready')) ready = true;
    });
    const deadline = Date.now() + readyTimeoutMs;
    while (Date.now() < deadline) {
      if (proc.exitCode !== null || proc.signalCode !== null) {
        throw new Error(`nats-server exited during start (code ${proc.exitCode}, signal ${proc.signalCode}):\n${log}`);
      }
      // "Server is ready" comes after JetStream has recovered its streams; the TCP probe
      // covers servers that log differently.
      if (ready && (await canConnect(port))) return;
      await sleep(25);
    }
    proc.kill('SIGKILL');
    throw new Error(`nats-server did not become ready on port ${port} within ${readyTimeoutMs} ms:\n${log}`);
  };

  const stop = async (signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> => {
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill(signal);
    // A frozen server only acts on SIGTERM once it runs again.
    if (paused && signal !== 'SIGKILL') proc.kill('SIGCONT');
    paused = false;
    const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };

  await launch();

  return {
    port,
    url: `nats://127.0.0.1:${port}`,
    storeDir,
    get running() {
      return child !== undefined && child.exitCode === null && child.signalCode === null;
    },
    stop,
    pause() {
      if (!child || child.exitCode !== null || child.signalCode !== null) throw new Error('nats-server is not running');
      child.kill('SIGSTOP');
      paused = true;
    },
    resume() {
      if (!child || child.exitCode !== null || child.signalCode !== null) throw new Error('nats-server is not running');
      child.kill('SIGCONT');
      paused = false;
    },
    async start() {
      if (child && child.exitCode === null && child.signalCode === null) {
        throw new Error('nats-server is already running');
      }
      await launch();
    },
    async cleanup() {
      await stop('SIGKILL');
      rmSync(storeDir, { recursive: true, force: true });
    },
  };
}
