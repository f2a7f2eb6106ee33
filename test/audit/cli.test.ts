import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProxyEvents } from '../../src/broker/events.js';
import { OutboxPublisher } from '../../src/audit/publisher.js';
import { AuditRecorder } from '../../src/audit/recorder.js';
import { DEFAULT_STREAM_NAME } from '../../src/audit/stream.js';
import { run as billingReport } from '../../src/cli/billing-report.js';
import { run as tail } from '../../src/cli/tail.js';
import { openMemoryStore, type Store } from '../../src/store/index.js';
import { startNatsServer, type NatsServerHandle } from '../helpers/nats-server.js';
import { billingEvent, configText, dlrEvent, pduEvent, submitSmFrame } from './fixtures.js';

let nats: NatsServerHandle;
let store: Store;
let events: ProxyEvents;
let recorder: AuditRecorder;
let publisher: OutboxPublisher;

beforeAll(async () => {
  nats = await startNatsServer();
  store = openMemoryStore();
  events = new ProxyEvents();
  publisher = new OutboxPublisher({
    outbox: store.outbox,
    servers: nats.url,
    stream: {
      name: DEFAULT_STREAM_NAME,
      subjects: ['smpp.>'],
      replicas: 1,
      maxAgeMs: 0,
      maxBytes: -1,
      duplicateWindowMs: 120_000,
      storage: 'file',
    },
  });
  recorder = new AuditRecorder({ events, outbox: store.outbox, instance: 'px-cli' });
  recorder.start();
  publisher.start();
});

const dir = mkdtempSync(join(tmpdir(), 'smpp-proxy-audit-cli-'));

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await recorder?.stop();
  await publisher?.stop({ flushTimeoutMs: 0 });
  await store?.close();
  await nats?.cleanup();
});

function captureIo(signal?: AbortSignal) {
  let stdout = '';
  let stderr = '';
  return {
    io: {
      stdout: { write: (s: string) => (stdout += s) },
      stderr: { write: (s: string) => (stderr += s) },
      ...(signal ? { signal } : {}),
    },
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
  };
}

async function published(): Promise<void> {
  await recorder.flush();
  expect(await publisher.waitDrained(10_000)).toBe(true);
}

interface ReportJson {
  read: number;
  lines: Array<{ account: string; carrier: string; messages: number; parts: number; cost: number }>;
  totals: { messages: number; parts: number; cost: number };
  duplicates: number;
  outOfRange: number;
}

async function reportJson(args: string[]): Promise<ReportJson> {
  const out = captureIo();
  const code = await billingReport(['--servers', nats.url, '--json', ...args], out.io);
  expect(out.stderr).toBe('');
  expect(code).toBe(0);
  return JSON.parse(out.stdout) as ReportJson;
}

describe('billing-report', () => {
  it('sums messages, parts and cost per account and carrier through a durable consumer', async () => {
    // Record n was accepted n seconds after base, a minute ago.
    const base = Date.now() - 60_000;
    let n = 0;
    const at = () => ({ acceptedAt: base + n * 1_000 });
    for (let i = 0; i < 3; i++) events.emit('billing', billingEvent(++n, { carrier: 'cheap-uk', cost: 0.0123, parts: 1, ...at() }));
    for (let i = 0; i < 2; i++) events.emit('billing', billingEvent(++n, { carrier: 'premium', cost: 0.05, parts: 2, ...at() }));
    events.emit('billing', billingEvent(++n, { account: 'beta', carrier: 'cheap-uk', cost: 0.1, parts: 3, ...at() }));
    // Other subjects in the same stream are not billing records.
    events.emit('pdu', pduEvent({ frame: submitSmFrame(1) }));
    events.emit('dlr', dlrEvent(1));
    await published();

    const acme = await reportJson(['--account', 'acme']);
    expect(acme.read).toBe(5);
    expect(acme.lines).toEqual([
      { account: 'acme', carrier: 'cheap-uk', messages: 3, parts: 3, cost: 0.0369 },
      { account: 'acme', carrier: 'premium', messages: 2, parts: 4, cost: 0.1 },
    ]);
    expect(acme.totals).toEqual({ messages: 5, parts: 7, cost: 0.1369 });

    // The durable consumer remembers: a second run has nothing new...
    expect((await reportJson(['--account', 'acme'])).read).toBe(0);
    // ...until new records arrive, and then only those.
    events.emit('billing', billingEvent(++n, { carrier: 'premium', cost: 0.05, parts: 1, ...at() }));
    await published();
    const next = await reportJson(['--account', 'acme']);
    expect(next.totals).toEqual({ messages: 1, parts: 1, cost: 0.05 });

    // --since starts over: everything from that time.
    const all = await reportJson(['--account', 'acme', '--since', 'all']);
    expect(all.totals).toEqual({ messages: 6, parts: 8, cost: 0.1869 });
    // The stream holds all of them after --since (they were published just now), so the
    // record's own acceptance time decides: records 4, 5 and 7 are acme's after base + 3.5 s.
    const window = await reportJson(['--account', 'acme', '--since', new Date(base + 3_500).toISOString()]);
    expect(window.totals).toEqual({ messages: 3, parts: 5, cost: 0.15 });
    expect(window.outOfRange).toBe(3);

    // All accounts, as a table for people.
    const out = captureIo();
    expect(await billingReport(['--servers', nats.url, '--since', 'all'], out.io)).toBe(0);
    expect(out.stdout.split('\n')).toEqual([
      expect.stringContaining('billing records on smpp.billing.> since the start of the stream (consumer billing-report-all, 7 read)'),
      'account  carrier   messages  parts    cost',
      'acme     cheap-uk         3      3  0.0369',
      'acme     premium          3      5    0.15',
      'acme     (all)            6      8  0.1869',
      'beta     cheap-uk         1      3     0.1',
      'TOTAL                     7     11  0.2869',
      '',
    ]);
  });

  it('takes servers, prefix and stream from the proxy config file', async () => {
    const file = join(dir, 'proxy.yaml');
    writeFileSync(file, configText(`nats:\n  servers: ["${nats.url}"]\n  subject_prefix: smpp\n  stream:\n    name: ${DEFAULT_STREAM_NAME}`));
    const out = captureIo();
    expect(await billingReport(['--config', file, '--account', 'beta', '--since', 'all', '--json'], out.io)).toBe(0);
    expect(JSON.parse(out.stdout)).toMatchObject({ filter_subject: 'smpp.billing.beta', totals: { messages: 1, parts: 3, cost: 0.1 } });

    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, 'nats: [');
    const bad = captureIo();
    expect(await billingReport(['--config', broken], bad.io)).toBe(2);
    expect(bad.stderr).toContain('broken.yaml');
  });

  it('explains bad arguments, an unreachable server and a missing stream', async () => {
    const usage = captureIo();
    expect(await billingReport(['--bogus'], usage.io)).toBe(2);
    expect(usage.stderr).toMatch(/unknown option --bogus[\s\S]*usage: smpp-proxy billing-report/);
    const since = captureIo();
    expect(await billingReport(['--since', 'yesterday'], since.io)).toBe(2);
    expect(since.stderr).toContain('--since "yesterday"');

    const unreachable = captureIo();
    expect(await billingReport(['--servers', 'nats://127.0.0.1:1'], unreachable.io)).toBe(1);
    expect(unreachable.stderr).toContain('cannot connect');

    const missing = captureIo();
    expect(await billingReport(['--servers', nats.url, '--stream', 'NOPE'], missing.io)).toBe(1);
    expect(missing.stderr).toContain('stream NOPE does not exist');
  });
});

describe('tail', () => {
  it('prints live events as readable lines, filtered by subject', async () => {
    const out = captureIo();
    const running = tail(['--servers', nats.url, '--subject', 'smpp.pdu.esme.>', '--count', '2'], out.io);
    const deadline = Date.now() + 5_000;
    while (!out.stderr.includes('listening') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(out.stderr).toContain('listening on smpp.pdu.esme.>');
    events.emit('billing', billingEvent(100));
    events.emit('pdu', pduEvent({ frame: submitSmFrame(41), proxyId: 'P41' }));
    events.emit('pdu', pduEvent({ frame: submitSmFrame(42), peer: 'carrier-x', side: 'carrier', direction: 'out' }));
    events.emit('pdu', pduEvent({ frame: submitSmFrame(43), peer: 'beta' }));
    expect(await running).toBe(0);
    const lines = out.stdout.trimEnd().split('\n');
    expect(lines).toEqual([
      '2026-11-22T10:00:00.000Z smpp.pdu.esme.acme.in.submit_sm  submit_sm ESME_ROK seq=41 session=esme-1 ACME -> 447700900123 dc=0 len=31 proxy_id=P41',
      '2026-11-22T10:00:00.000Z smpp.pdu.esme.beta.in.submit_sm  submit_sm ESME_ROK seq=43 session=esme-1 ACME -> 447700900123 dc=0 len=31',
    ]);
    await published();
  });

  it('prints raw JSON with --json and stops when asked', async () => {
    const controller = new AbortController();
    const out = captureIo(controller.signal);
    const running = tail(['--servers', nats.url, '--subject', 'smpp.dlr.*', '--json'], out.io);
    const deadline = Date.now() + 5_000;
    while (!out.stderr.includes('listening') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    events.emit('dlr', dlrEvent(7));
    await published();
    const until = Date.now() + 5_000;
    while (!out.stdout.includes('\n') && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    controller.abort();
    expect(await running).toBe(0);
    expect(JSON.parse(out.stdout.trim())).toMatchObject({ type: 'dlr', proxy_id: 'P7', stat: 'DELIVRD' });
  });

  it('rejects bad arguments', async () => {
    const out = captureIo();
    expect(await tail(['--count', '0'], out.io)).toBe(2);
    expect(out.stderr).toContain('--count must be a positive integer');
  });
});
