import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll } from 'vitest';
import { findNatsServer, freeLoopbackPort, waitForNatsReady } from '../../src/bench/nats-server.js';

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

export function findNatsServerBinary(): string {
  const binary = findNatsServer();
  if (binary !== undefined) return binary;
  throw new Error(
    'nats-server not found (looked in /usr/sbin, /usr/bin, /usr/local/bin and PATH). ' +
      'These tests need a real server: install the Debian package "nats-server".',
  );
}

export async function startNatsServer(options: StartNatsOptions = {}): Promise<NatsServerHandle> {
  const binary = findNatsServerBinary();
  const version = spawnSync(binary, ['--version'], { encoding: 'utf8' });
  if (version.status !== 0) {
    throw new Error(`nats-server at ${binary} does not run: ${version.stderr || version.error?.message}`);
  }
  const storeDir = mkdtempSync(join(tmpdir(), 'smpp-proxy-nats-'));
  const port = await freeLoopbackPort();
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
    proc.stderr?.setEncoding('utf8');
    proc.stderr?.on('data', (chunk: string) => {
      // Keep only the start-up log: enough to explain a failure, bounded for long runs.
      if (log.length < 20_000) log += chunk;
    });
    try {
      await waitForNatsReady(proc, port, () => log, readyTimeoutMs);
    } catch (error) {
      proc.kill('SIGKILL');
      throw error;
    }
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

/**
 * For a test file that needs one nats-server and one client connection to read what was
 * published: started before its tests, stopped after. Read `server` and `nc` inside tests.
 */
export function useNatsServer(): { readonly server: NatsServerHandle; readonly nc: NatsConnection } {
  let server: NatsServerHandle | undefined;
  let nc: NatsConnection | undefined;
  beforeAll(async () => {
    server = await startNatsServer();
    nc = await connect({ servers: server.url });
  });
  afterAll(async () => {
    await nc?.close();
    await server?.cleanup();
  });
  return {
    get server() {
      if (server === undefined) throw new Error('nats-server is not started yet');
      return server;
    },
    get nc() {
      if (nc === undefined) throw new Error('nats-server is not started yet');
      return nc;
    },
  };
}
