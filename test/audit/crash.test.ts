import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { OutboxPublisher } from '../../src/audit/publisher.js';
import { openStore } from '../../src/store/index.js';
import { startNatsServer, type NatsServerHandle } from '../helpers/nats-server.js';
import { buildForChild } from '../store/child-build.js';
import { readStream } from './stream-reader.js';

let nats: NatsServerHandle;
const dirs: string[] = [];

function tempDir(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `smpp-proxy-audit-${name}-`));
  dirs.push(dir);
  return dir;
}

beforeAll(async () => {
  nats = await startNatsServer();
});

afterAll(async () => {
  await nats?.cleanup();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Durable batches seen before the kill; enough that the publisher is well into its work. */
const KILL_AFTER_EVENTS = 4_000;

it('delivers every durable event exactly once after the publishing process is killed with SIGKILL', async () => {
  const build = tempDir('crash-build');
  buildForChild(build, ['src/audit', 'src/broker', 'src/smpp', 'src/store', 'src/observability', 'test/audit/fixtures/crash-publisher.ts']);
  const storeDir = tempDir('crash-store');
  const child = spawn(
    process.execPath,
    [join(build, 'test/audit/fixtures/crash-publisher.js'), storeDir, nats.url, 'AUDIT_CRASH', 'crash'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));

  let durableThrough = 0;
  let publishedAtKill = 0;
  for await (const line of createInterface({ input: child.stdout })) {
    const [, first, last, , published] = line.split(' ');
    // Batches are printed in order with no gaps: "durable <first> <last> published <count>".
    expect(Number(first)).toBe(durableThrough + 1);
    durableThrough = Number(last);
    publishedAtKill = Number(published);
    if (durableThrough >= KILL_AFTER_EVENTS && publishedAtKill > 0 && !child.killed) child.kill('SIGKILL');
  }
  expect(await exited).toBe('SIGKILL');
  expect(stderr).toBe('');
  expect(publishedAtKill).toBeGreaterThan(0);

  // Restart: the outbox still holds everything not acknowledged before the kill.
  const store = await openStore({ path: storeDir });
  const publisher = new OutboxPublisher({
    outbox: store.outbox,
    servers: nats.url,
    stream: { name: 'AUDIT_CRASH', subjects: ['crash.>'], replicas: 1, maxAgeMs: 0, maxBytes: -1, duplicateWindowMs: 120_000, storage: 'file' },
  });
  publisher.start();
  expect(await publisher.waitDrained(20_000)).toBe(true);
  await publisher.stop();
  await store.close();

  const nc = await connect({ servers: nats.url });
  try {
    const stored = await readStream(nc, 'AUDIT_CRASH');
    const ids = stored.map((s) => s.msgId);
    expect(new Set(ids).size).toBe(stored.length);
    const proxyIds = new Set(stored.map((s) => s.json.proxy_id as string));
    expect(proxyIds.size).toBe(stored.length);
    for (let n = 1; n <= durableThrough; n++) {
      if (!proxyIds.has(`P${n}`)) throw new Error(`durable event P${n} is missing from the stream`);
    }
  } finally {
    await nc.close();
  }
});
