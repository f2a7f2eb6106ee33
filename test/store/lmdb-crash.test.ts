import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import { buildForChild } from './child-build.js';
import { TempDirs } from './helpers.js';

const dirs = new TempDirs();
afterAll(() => dirs.removeAll());

/** Enough writes that the kill lands while many are in flight, few enough to stay quick. */
const KILL_AFTER_LINES = 600;

interface Confirmed {
  messages: string[];
  queued: Map<string, string>;
  outbox: Map<number, string>;
}

async function runAndKill(script: string, storeDir: string): Promise<Confirmed> {
  const child = spawn(process.execPath, [script, storeDir], { stdio: ['ignore', 'pipe', 'pipe'] });
  const confirmed: Confirmed = { messages: [], queued: new Map(), outbox: new Map() };
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  let lines = 0;
  for await (const line of createInterface({ input: child.stdout })) {
    const [kind, first, second] = line.split(' ');
    if (kind === 'message' && first !== undefined) confirmed.messages.push(first);
    if (kind === 'queue' && first !== undefined && second !== undefined) confirmed.queued.set(first, second);
    if (kind === 'outbox' && first !== undefined && second !== undefined) confirmed.outbox.set(Number(first), second);
    if (++lines === KILL_AFTER_LINES) child.kill('SIGKILL');
  }
  const signal = await exited;
  expect(stderr).toBe('');
  expect(signal).toBe('SIGKILL');
  return confirmed;
}

it('keeps every write whose promise resolved when the process is killed mid-stream', async () => {
  const build = dirs.make('crash-build');
  buildForChild(build, ['src/store', 'test/store/fixtures/crash-writer.ts']);
  const storeDir = dirs.make('crash-store');
  const confirmed = await runAndKill(join(build, 'test/store/fixtures/crash-writer.js'), storeDir);
  expect(confirmed.messages.length).toBeGreaterThan(100);

  // The killed process still "owns" the directory on paper; the reopen must take it over.
  const store = await openStore({ path: storeDir });
  try {
    for (const name of confirmed.messages) {
      const stored = await store.messages.getByCarrierKey('alpha', `c-${name}`);
      expect(stored?.proxyId).toBe(name);
    }
    const queued = new Map((await store.queues.peek('acme', 100_000)).map((entry) => [entry.id, entry.pdu.toString()]));
    for (const [id, name] of confirmed.queued) expect(queued.get(id)).toBe(name);
    const logged = await store.outbox.read(0, 100_000);
    const bySeq = new Map(logged.map((entry) => [entry.seq, entry.payload]));
    for (const [seq, name] of confirmed.outbox) expect(bySeq.get(seq)).toBe(name);
    // No holes and no duplicates up to the last confirmed append, and numbering resumes after it.
    const seqs = logged.map((entry) => entry.seq);
    expect(seqs).toEqual(seqs.map((_, index) => index + 1));
    expect(new Set(logged.map((entry) => entry.id)).size).toBe(logged.length);
    const [next] = await store.outbox.append([{ id: 'after-crash', subject: 's', payload: 'x' }]);
    expect(next).toBe(store.outbox.lastSeq());
    expect(next).toBeGreaterThan(Math.max(...confirmed.outbox.keys()));
  } finally {
    await store.close();
  }
});
