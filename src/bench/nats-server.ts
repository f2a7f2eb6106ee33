import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect as tcpConnect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { MICROS_PER_TICK } from './machine-cpu.js';

/**
 * A throwaway nats-server with JetStream for the audit benchmark: loopback only, a port the
 * kernel hands out (never 4222, which a developer may already run), its own store directory,
 * all removed again by stop(). The pieces that find, place and await a server are shared with
 * the test suites' server, which adds restarts and freezing.
 */
export interface BenchNatsServer {
  readonly url: string;
  /**
   * CPU time the server has used so far (user + system, microseconds), read from /proc; undefined
   * where there is none. With the proxy and the load on the same cores, what the server burns is
   * what the proxy cannot have.
   */
  cpuMicros(): number | undefined;
  stop(): Promise<void>;
}

const SEARCHED = ['/usr/sbin', '/usr/bin', '/usr/local/bin'];

/** The nats-server binary from the usual places or PATH; undefined when it is not installed. */
export function findNatsServer(): string | undefined {
  const dirs = [...SEARCHED, ...(process.env.PATH ?? '').split(delimiter).filter(Boolean)];
  return dirs.map((dir) => join(dir, 'nats-server')).find((candidate) => existsSync(candidate));
}

export const NATS_SEARCH_NOTE = `nats-server not found in ${SEARCHED.join(', ')} or PATH (Debian package "nats-server")`;

export async function startBenchNats(binary: string, readyTimeoutMs = 15_000): Promise<BenchNatsServer> {
  const storeDir = mkdtempSync(join(tmpdir(), 'smpp-bench-nats-'));
  const port = await freeLoopbackPort();
  const child = spawn(binary, ['-js', '-sd', storeDir, '-a', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let log = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    if (log.length < 20_000) log += chunk;
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(storeDir, { recursive: true, force: true });
  };
  try {
    await waitForNatsReady(child, port, () => log, readyTimeoutMs);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: `nats://127.0.0.1:${port}`, stop, cpuMicros: () => processCpuMicros(child.pid) };
}

/** CPU time of a process from /proc/<pid>/stat (utime + stime, in USER_HZ clock ticks). */
export function processCpuMicros(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? ticks * MICROS_PER_TICK : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Resolves once a just-spawned server is ready; throws when it exits first or the timeout
 * passes (the caller stops it). `log` is what it has written to stderr so far.
 */
export async function waitForNatsReady(child: ChildProcess, port: number, log: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`nats-server exited during start (code ${child.exitCode}, signal ${child.signalCode}):\n${log()}`);
    }
    // "Server is ready" follows JetStream's start-up and stream recovery; the TCP probe confirms the listener.
    if (log().includes('Server is ready') && (await canConnect(port))) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`nats-server did not become ready on port ${port} within ${timeoutMs} ms:\n${log()}`);
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

/** A port the kernel just handed out on loopback, released again for a server to take; never NATS's default 4222. */
export async function freeLoopbackPort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
      });
    });
    if (port !== 0 && port !== 4222) return port;
  }
}
