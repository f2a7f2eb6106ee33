import { readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { startRuntime, type Runtime } from '../cli/start.js';
import { parseConfig } from '../config/index.js';
import { createLogger } from '../observability/logger.js';
import { connectAndBind, type IncomingRequest, type SmppSession } from '../session/index.js';
import { CarrierSimulator } from '../sim/carrier-sim.js';
import { submitSmPdu } from '../sim/pdus.js';
import { Status } from '../smpp/index.js';

/*
 * Soak: steady load through the real runtime (store on disk, sandbox-free remote carrier, audit
 * to NATS when --nats is given) for some minutes, sampling heap (after a forced GC), RSS and open
 * file descriptors, then judging whether they stayed flat once warmed up. Not part of CI.
 *
 *   npm run soak -- --minutes 10 --rate 500
 */

const USAGE = `usage: soak [--minutes N] [--rate MSG_PER_S] [--sample-seconds S] [--sessions N] [--nats URL]

Runs the proxy in this process against an in-process carrier simulator and ESMEs, at a steady
rate for N minutes (default 5), sampling memory and file descriptors every S seconds (default 10).
Exit status 0 when heap, RSS and descriptors stayed flat after the warm-up, 1 when they grew, 2
for bad usage.
`;

interface SoakOptions {
  minutes: number;
  rate: number;
  sampleSeconds: number;
  sessions: number;
  nats: string | undefined;
}

interface Sample {
  atS: number;
  heapMb: number;
  rssMb: number;
  fds: number | undefined;
  submitted: number;
  accepted: number;
  refused: number;
  receipts: number;
  pendingWork: number;
}

/** Growth from the warmed-up middle of the run to its end that still counts as flat. */
const FLAT = { heapMb: 16, heapRatio: 0.1, rssMb: 48, rssRatio: 0.15, fds: 4 } as const;

function parse(argv: string[]): SoakOptions | string {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        minutes: { type: 'string' },
        rate: { type: 'string' },
        'sample-seconds': { type: 'string' },
        sessions: { type: 'string' },
        nats: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (error) {
    return (error as Error).message;
  }
  if (values['help'] === true) return '';
  const number = (name: string, fallback: number, min: number, max: number): number | string => {
    const raw = values[name];
    if (raw === undefined) return fallback;
    const n = Number(raw);
    return Number.isFinite(n) && n >= min && n <= max ? n : `--${name} must be a number from ${min} to ${max}`;
  };
  const minutes = number('minutes', 5, 0.1, 24 * 60);
  const rate = number('rate', 500, 1, 100_000);
  const sampleSeconds = number('sample-seconds', 10, 1, 3_600);
  const sessions = number('sessions', 2, 1, 64);
  for (const v of [minutes, rate, sampleSeconds, sessions]) if (typeof v === 'string') return v;
  const nats = typeof values['nats'] === 'string' ? values['nats'] : undefined;
  return { minutes: minutes as number, rate: rate as number, sampleSeconds: sampleSeconds as number, sessions: Math.floor(sessions as number), nats };
}

/** A full collection when the process runs with --expose-gc or allows turning it on; else nothing. */
function garbageCollector(): () => void {
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as unknown;
    if (typeof gc === 'function') return gc as () => void;
  } catch {
    // Fall through: samples are then taken without a forced collection, and noisier.
  }
  return () => undefined;
}

function openFds(): number | undefined {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return undefined; // not Linux
  }
}

/** An ESME that answers every deliver_sm and keeps nothing but counters, so it cannot leak itself. */
async function bindEsme(port: number, onReceipt: () => void): Promise<SmppSession> {
  const session = await connectAndBind({
    host: '127.0.0.1',
    port,
    bindType: 'transceiver',
    bind: { system_id: 'soak', password: 'soak' },
    session: { windowSize: 100, enquireLinkIntervalMs: 30_000, responseTimeoutMs: 30_000 },
  });
  session.on('request', (req: IncomingRequest) => {
    if (req.command === 'deliver_sm') {
      onReceipt();
      req.respond(Status.ESME_ROK, { message_id: '' } as never);
    } else if (!req.responded && req.command !== 'alert_notification' && req.command !== 'outbind') {
      req.respond(Status.ESME_RINVCMDID);
    }
  });
  return session;
}

function submitPdu(n: number) {
  return submitSmPdu({
    source_addr: 'SOAK',
    destination_addr: `4477009${String(n % 100_000).padStart(5, '0')}`,
    short_message: Buffer.from(`soak message ${n}`),
  });
}

function configFor(storePath: string, carrierPort: number, nats: string | undefined) {
  const natsSection = nats === undefined ? '{ enabled: false }' : `{ enabled: true, servers: [${JSON.stringify(nats)}], stream: { name: SOAK, max_age: 1h } }`;
  return parseConfig(
    `server: { listen: "127.0.0.1:0", window: 100 }
admin: { listen: false }
store: { path: ${JSON.stringify(storePath)}, id_map_ttl: 30s, receipt_ttl: 10m }
nats: ${natsSection}
log: { level: warn }
accounts:
  soak: { password: soak, allowed_ips: ["127.0.0.1"], max_binds: 64, window: 100 }
carriers:
  sim: { host: 127.0.0.1, port: ${carrierPort}, system_id: carrier, password: carrier, sessions: 2, window: 200 }
routes:
  - { name: all, prefix: [""], carriers: [{ carrier: sim, cost: 0.01 }] }
`,
    'soak.yaml',
  );
}

function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
}

interface Verdict {
  flat: boolean;
  lines: string[];
}

/**
 * Compares the end of the run with its warmed-up middle: the first third is warm-up (caches,
 * the simulator's bounded message table and the id map filling to their steady size), the
 * middle third is the reference, the last third must not have grown past FLAT.
 */
function judge(samples: Sample[]): Verdict {
  const third = Math.floor(samples.length / 3);
  if (third < 1) return { flat: false, lines: ['too few samples to judge: run longer or sample more often'] };
  const middle = samples.slice(third, 2 * third);
  const last = samples.slice(2 * third);
  const lines: string[] = [];
  let flat = true;
  const check = (name: string, pick: (s: Sample) => number, absolute: number, ratio: number | undefined): void => {
    const before = mean(middle.map(pick));
    const after = mean(last.map(pick));
    const growth = after - before;
    const ok = growth <= absolute || (ratio !== undefined && growth <= before * ratio);
    flat &&= ok;
    lines.push(`${name.padEnd(5)} ${before.toFixed(1)} -> ${after.toFixed(1)} (${growth >= 0 ? '+' : ''}${growth.toFixed(1)}): ${ok ? 'flat' : 'GROWING'}`);
  };
  check('heap', (s) => s.heapMb, FLAT.heapMb, FLAT.heapRatio);
  check('rss', (s) => s.rssMb, FLAT.rssMb, FLAT.rssRatio);
  if (samples.every((s) => s.fds !== undefined)) check('fds', (s) => s.fds!, FLAT.fds, undefined);
  else lines.push('fds   not measured (no /proc/self/fd)');
  return { flat, lines };
}

async function soak(options: SoakOptions, out: NodeJS.WritableStream): Promise<number> {
  const gc = garbageCollector();
  const dir = await mkdtemp(join(tmpdir(), 'smpp-soak-'));
  const carrier = new CarrierSimulator({
    accounts: [{ systemId: 'carrier', password: 'carrier' }],
    receiptDelayMs: 100,
    recordLimit: 0,
    maxMessages: 20_000,
    session: { windowSize: 200, enquireLinkIntervalMs: 0 },
  });
  let runtime: Runtime | undefined;
  const sessions: SmppSession[] = [];
  try {
    const sim = await carrier.start();
    runtime = await startRuntime(configFor(join(dir, 'store'), sim.port, options.nats), createLogger({ level: 'warn' }));
    const port = runtime.proxy.addresses.smpp!.port;
    for (let i = 0; i < 100 && carrier.sessions.length < 2; i++) await new Promise((r) => setTimeout(r, 50));

    const counts = { submitted: 0, accepted: 0, refused: 0, receipts: 0 };
    for (let i = 0; i < options.sessions; i++) sessions.push(await bindEsme(port, () => counts.receipts++));

    const started = performance.now();
    const endAt = started + options.minutes * 60_000;
    let next = 0;
    // Paced from the start of the run, so a slow moment is caught up rather than lost.
    const pump = setInterval(() => {
      const due = Math.floor(((performance.now() - started) / 1000) * options.rate);
      while (next < due) {
        const session = sessions[next % sessions.length]!;
        const pending = session.request(submitPdu(next));
        if (pending === null) break; // window full: the ESMEs are at their limit, try again next tick
        next++;
        counts.submitted++;
        pending.then(
          (resp) => (resp.status === Status.ESME_ROK ? counts.accepted++ : counts.refused++),
          () => counts.refused++,
        );
      }
    }, 10);

    const samples: Sample[] = [];
    out.write(`soak: ${options.minutes} min at ${options.rate} msg/s over ${options.sessions} sessions, sampling every ${options.sampleSeconds} s${options.nats ? `, audit to ${options.nats}` : ''}\n`);
    out.write('   t(s)  heap(MB)  rss(MB)  fds  submitted  accepted  refused  receipts  pending\n');
    while (performance.now() < endAt) {
      await new Promise((r) => setTimeout(r, Math.min(options.sampleSeconds * 1000, Math.max(0, endAt - performance.now()))));
      gc();
      const memory = process.memoryUsage();
      const sample: Sample = {
        atS: (performance.now() - started) / 1000,
        heapMb: memory.heapUsed / 1_048_576,
        rssMb: memory.rss / 1_048_576,
        fds: openFds(),
        ...counts,
        pendingWork: runtime.proxy.pendingWork,
      };
      samples.push(sample);
      out.write(
        `${sample.atS.toFixed(0).padStart(7)}  ${sample.heapMb.toFixed(1).padStart(8)}  ${sample.rssMb.toFixed(1).padStart(7)}  ${String(sample.fds ?? '-').padStart(3)}  ${String(sample.submitted).padStart(9)}  ${String(sample.accepted).padStart(8)}  ${String(sample.refused).padStart(7)}  ${String(sample.receipts).padStart(8)}  ${String(sample.pendingWork).padStart(7)}\n`,
      );
    }
    clearInterval(pump);
    const verdict = judge(samples);
    out.write(`${verdict.lines.join('\n')}\n`);
    const lost = counts.submitted - counts.accepted - counts.refused;
    out.write(`throughput ${(counts.accepted / (options.minutes * 60)).toFixed(0)} msg/s accepted; ${lost} submits still in flight at the end\n`);
    out.write(verdict.flat ? 'verdict: heap, RSS and file descriptors stayed flat\n' : 'verdict: GROWTH after warm-up; see the figures above\n');
    return verdict.flat ? 0 : 1;
  } finally {
    await Promise.all(sessions.map((s) => s.unbind()));
    await runtime?.stop();
    await carrier.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const parsed = parse(process.argv.slice(2));
  if (typeof parsed === 'string') {
    if (parsed === '') {
      process.stdout.write(USAGE);
      return;
    }
    process.stderr.write(`soak: ${parsed}\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  process.exitCode = await soak(parsed, process.stdout);
}

main().catch((error: unknown) => {
  process.stderr.write(`soak: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
