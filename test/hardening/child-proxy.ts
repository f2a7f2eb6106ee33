import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { track } from './harness.js';

/** The built command line, as operators run it; `npm test` builds it first. */
export const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export function requireBuild(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" before these tests (npm test does)`);
}

export async function writeConfig(dir: string, document: Record<string, unknown>): Promise<string> {
  const file = join(dir, 'proxy.yaml');
  await writeFile(file, stringify(document));
  return file;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** `smpp-proxy start -c FILE` in its own process. */
export interface ChildProxy {
  readonly process: ChildProcess;
  /** The plain SMPP port it reported in its start-up log line. */
  readonly port: number;
  readonly exited: Promise<Exit>;
  /** Its log lines (JSON), the most recent 2,000. */
  readonly logs: string[];
  kill(signal: NodeJS.Signals): void;
}

export async function startChildProxy(configFile: string, timeoutMs = 20_000): Promise<ChildProxy> {
  requireBuild();
  const proc = spawn(process.execPath, [CLI, 'start', '-c', configFile], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: string[] = [];
  const exited = new Promise<Exit>((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
  track(async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGKILL');
      await exited;
    }
  });
  let portFound: (port: number) => void = () => undefined;
  const started = new Promise<number>((resolve) => (portFound = resolve));
  let partial = '';
  const onOutput = (chunk: Buffer): void => {
    partial += chunk.toString('utf8');
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      logs.push(line);
      if (logs.length > 2_000) logs.shift();
      if (!line.includes('smpp-proxy started')) continue;
      try {
        const port = (JSON.parse(line) as { smpp?: { port?: number } }).smpp?.port;
        if (typeof port === 'number') portFound(port);
      } catch {
        // Not a JSON line; keep reading.
      }
    }
  };
  proc.stdout?.on('data', onOutput);
  proc.stderr?.on('data', onOutput);
  let timer: NodeJS.Timeout | undefined;
  const port = await Promise.race([
    started,
    exited.then((exit) => Promise.reject(new Error(`the proxy exited during start (${JSON.stringify(exit)}):\n${logs.slice(-30).join('\n')}`))),
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`the proxy did not start within ${timeoutMs} ms:\n${logs.slice(-30).join('\n')}`)), timeoutMs))),
  ]).finally(() => clearTimeout(timer));
  return { process: proc, port, exited, logs, kill: (signal) => void proc.kill(signal) };
}

export interface StreamEvent {
  subject: string;
  json: Record<string, unknown>;
}

/** Every message now in the stream (optionally one subject filter), read with an ordered consumer. */
export async function readStream(nc: NatsConnection, stream: string, filter?: string): Promise<StreamEvent[]> {
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(stream);
  if (info.state.messages === 0) return [];
  const consumer = await jetstream(nc).consumers.get(stream, filter === undefined ? {} : { filter_subjects: filter });
  if ((await consumer.info()).num_pending === 0) return [];
  const out: StreamEvent[] = [];
  const messages = await consumer.consume({ max_messages: 1_000 });
  for await (const m of messages) {
    out.push({ subject: m.subject, json: JSON.parse(m.string()) as Record<string, unknown> });
    if (m.info.pending === 0) break;
  }
  await messages.close();
  return out;
}
