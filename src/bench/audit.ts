import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PublisherStats } from '../audit/publisher.js';
import { CarrierSimulator } from '../sim/carrier-sim.js';
import type { AuditProxyReply, AuditProxyRequest } from './audit-proxy.js';
import { measureEsmeRun, type EsmeRunResult } from './direct.js';
import { cpuBudgetPerMessage, machineCpuBetween, readMachineCpu } from './machine-cpu.js';
import { median } from './measure.js';
import { findNatsServer, NATS_SEARCH_NOTE, startBenchNats, type BenchNatsServer } from './nats-server.js';
import { averagePayloadBytes, measurePublishFloor, type PublishFloor } from './publish-floor.js';
import type { BenchMetric, BenchReport, BenchScenario } from './report.js';

export interface AuditBenchOptions {
  /** Messages per measured run. Default 20,000. */
  messages?: number;
  /** ESME window, and the proxy's window towards the carrier. Default 100. */
  window?: number;
  /** Runs with publishing off and on, alternated (off, on, off, on, ...). Default 2 of each. */
  rounds?: number;
  /** Longest wait for the outbox to drain after a run with publishing on. Default 120 s. */
  drainTimeoutMs?: number;
  /** The nats-server binary; default: looked up like the tests do. null measures publishing off only. */
  natsServer?: string | null;
  /** The proxy process's script; default audit-proxy.js next to this module. */
  proxyScript?: string;
  /** Events the bare-publish floor is measured over (see measurePublishFloor). Default 50,000. */
  publishFloorEvents?: number;
  /** Node options for the proxy process, e.g. ['--cpu-prof'] to profile it under load. */
  proxyExecArgv?: string[];
}

export interface AuditRun {
  run: EsmeRunResult;
  /**
   * The proxy process's CPU time per message over the measured run (microseconds): unlike
   * messages/s, hardly moved by whatever else the machine is doing.
   */
  cpuMicrosPerMessage: number;
  /**
   * The whole machine over the measured run (proxy, load, nats-server, everything else): CPU per
   * message and the share of all cores that was busy. Absent where /proc/stat is not readable.
   */
  machine?: { cpuMicrosPerMessage: number; busyShare: number };
  /** Publishing on only: nats-server's CPU per message over the measured run (microseconds). */
  natsCpuMicrosPerMessage?: number;
  /** Publishing on only: the outbox when the last receipt arrived, and how long it took to empty. */
  backlogAtEnd?: number;
  drainMs?: number;
  /** Events still in the outbox after the drain wait (0 is the requirement). */
  backlogAfterDrain?: number;
  published?: number;
  rejected?: number;
}

export interface AuditBenchResult {
  window: number;
  off: AuditRun[];
  /** Empty when nats-server is missing (see note). */
  on: AuditRun[];
  offPerSecond: number;
  onPerSecond: number | null;
  /** Median messages/s with publishing on over the median with it off; the target is >= 0.80. */
  ratio: number | null;
  /** Median proxy CPU per message with publishing off and on (microseconds); on is null when not measured. */
  cpuOffMicros: number;
  cpuOnMicros: number | null;
  /** Median proxy CPU per message with publishing off over the median with it on. */
  cpuRatio: number | null;
  /**
   * The proxy CPU per message its audit work may cost for on/off to reach TARGET_RATIO on this
   * machine, given what the whole machine spent per message with publishing off and what
   * nats-server spends (see cpuBudgetPerMessage); null when not measured.
   */
  auditBudgetMicros: number | null;
  /**
   * A bare NATS client publishing ready-made payloads of the audit events' average size, one
   * JetStream message each (see measurePublishFloor), after the runs; null when not measured.
   */
  publishFloor: (PublishFloor & { payloadBytes: number }) | null;
  /** The same with ten events per JetStream message: what the contract's one-per-event costs. */
  packedFloor: PublishFloor | null;
  /** Median nats-server CPU per message over the runs with publishing on; null when not measured. */
  natsCpuMicrosPerMessage: number | null;
  note: string | undefined;
}

const CHILD = join(dirname(fileURLToPath(import.meta.url)), 'audit-proxy.js');
const CARRIER = { systemId: 'carrier', password: 'carrier' };
const DRAIN_POLL_MS = 50;
const QUIET_MS = 300;
const STREAM = 'BENCH_AUDIT';
/** The issue's target: throughput with publishing on at least this share of it with publishing off. */
const TARGET_RATIO = 0.8;

/**
 * Messages per second with receipts through the proxy with the NATS audit trail off and on,
 * measured in one run against the same carrier simulator, and the outbox backlog the run left.
 *
 * The proxy runs in its own process, as in production and as in the proxy scenario: run in
 * this process, it would share one thread with the test ESME and the simulator, whose work
 * would hide part of what auditing costs the proxy. The process is startRuntime (what
 * `smpp-proxy start` runs) behind a small IPC wrapper that reports the publisher's counters, so
 * the drain is read from the publisher itself rather than inferred from the stream. nats-server
 * runs on the same machine, so with publishing on it competes for the same cores: a harder
 * setting than a NATS cluster of its own.
 */
export async function benchAudit(options: AuditBenchOptions = {}): Promise<AuditBenchResult> {
  const messages = options.messages ?? 20_000;
  const window = options.window ?? 100;
  const rounds = Math.max(1, options.rounds ?? 2);
  const drainTimeoutMs = options.drainTimeoutMs ?? 120_000;
  const binary = options.natsServer === null ? undefined : (options.natsServer ?? findNatsServer());
  const child = { script: options.proxyScript ?? CHILD, execArgv: options.proxyExecArgv ?? [] };

  const simulator = new CarrierSimulator({
    accounts: [CARRIER],
    receiptDelayMs: 0,
    recordLimit: 0,
    session: { windowSize: window, enquireLinkIntervalMs: 0 },
  });
  await simulator.start();
  const dir = mkdtempSync(join(tmpdir(), 'smpp-bench-audit-'));
  let nats: BenchNatsServer | undefined;
  let note: string | undefined;
  try {
    if (binary === undefined) note = `publishing on not measured: ${options.natsServer === null ? 'no nats-server was to be used' : NATS_SEARCH_NOTE}`;
    else nats = await startBenchNats(binary);
    const off: AuditRun[] = [];
    const on: AuditRun[] = [];
    for (let round = 0; round < rounds; round++) {
      off.push(await measureProxy({ dir, name: `off-${round}`, child, simulator, window, messages, nats: undefined, drainTimeoutMs }));
      if (nats !== undefined) {
        on.push(await measureProxy({ dir, name: `on-${round}`, child, simulator, window, messages, nats, drainTimeoutMs }));
      }
    }
    let publishFloor: AuditBenchResult['publishFloor'] = null;
    let packedFloor: PublishFloor | null = null;
    if (nats !== undefined && on.length > 0) {
      const payloadBytes = await averagePayloadBytes(nats.url, STREAM);
      if (payloadBytes !== undefined) {
        const floor = { url: nats.url, payloadBytes, serverCpuMicros: nats.cpuMicros, events: options.publishFloorEvents ?? 50_000 };
        publishFloor = { ...(await measurePublishFloor(floor)), payloadBytes };
        packedFloor = await measurePublishFloor({ ...floor, eventsPerMessage: 10 });
      }
    }
    const offPerSecond = median(off.map((r) => r.run.messagesPerSecond));
    const onPerSecond = on.length === 0 ? null : median(on.map((r) => r.run.messagesPerSecond));
    const cpuOff = median(off.map((r) => r.cpuMicrosPerMessage));
    const cpuOn = on.length === 0 ? null : median(on.map((r) => r.cpuMicrosPerMessage));
    const machineOff = machineMedian(off, (m) => m.cpuMicrosPerMessage);
    const natsCpu = on.length > 0 && on.every((r) => r.natsCpuMicrosPerMessage !== undefined) ? median(on.map((r) => r.natsCpuMicrosPerMessage!)) : null;
    const auditBudgetMicros =
      machineOff === null || natsCpu === null
        ? null
        : cpuBudgetPerMessage({ cores: cpus().length, offPerSecond, targetRatio: TARGET_RATIO, machineMicrosOff: machineOff, otherMicros: natsCpu });
    return {
      window,
      off,
      on,
      offPerSecond,
      onPerSecond,
      ratio: onPerSecond === null ? null : onPerSecond / offPerSecond,
      cpuOffMicros: cpuOff,
      cpuOnMicros: cpuOn,
      cpuRatio: cpuOn === null ? null : cpuOff / cpuOn,
      auditBudgetMicros,
      publishFloor,
      packedFloor,
      natsCpuMicrosPerMessage: natsCpu,
      note,
    };
  } finally {
    await nats?.stop();
    await simulator.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

interface ProxyRunOptions {
  dir: string;
  name: string;
  child: { script: string; execArgv: string[] };
  simulator: CarrierSimulator;
  window: number;
  messages: number;
  nats: BenchNatsServer | undefined;
  drainTimeoutMs: number;
}

async function measureProxy(o: ProxyRunOptions): Promise<AuditRun> {
  const file = join(o.dir, `${o.name}.yaml`);
  writeFileSync(file, proxyConfig(o));
  const bindsBefore = o.simulator.stats.bindsAccepted;
  const proxy = await ProxyProcess.start(o.child.script, o.child.execArgv, file);
  try {
    // The proxy binds to the carrier in the background; measure once both binds are up.
    await waitUntil(() => o.simulator.stats.bindsAccepted >= bindsBefore + 2, 15_000, 'the proxy to bind to the carrier');
    const before = await proxy.stats();
    const natsBefore = o.nats?.cpuMicros();
    const machineBefore = readMachineCpu();
    const run = await measureEsmeRun({ host: '127.0.0.1', port: proxy.port, systemId: 'bench', password: 'bench' }, { messages: o.messages, window: o.window });
    const machineAfter = readMachineCpu();
    const natsAfter = o.nats?.cpuMicros();
    const end = await proxy.stats();
    const cpuMicrosPerMessage = (end.cpuMicros - before.cpuMicros) / run.messages;
    const whole = machineBefore !== undefined && machineAfter !== undefined ? machineCpuBetween(machineBefore, machineAfter) : undefined;
    const machine = whole === undefined ? {} : { machine: { cpuMicrosPerMessage: whole.busyMicros / run.messages, busyShare: whole.busyShare } };
    if (o.nats === undefined) return { run, cpuMicrosPerMessage, ...machine };
    const natsCpu = natsBefore !== undefined && natsAfter !== undefined ? { natsCpuMicrosPerMessage: (natsAfter - natsBefore) / run.messages } : {};
    const atEnd = publisherStats(end);
    const started = performance.now();
    let stats = atEnd;
    // Drained means nothing waiting, nothing in flight, and nothing new published for QUIET_MS:
    // the ESME's answers to the last receipts may still be on their way into the outbox when its
    // run ends, and on a loaded machine one poll interval is no proof they are all in. The drain
    // time is until the last change seen, not until the quiet period is over.
    let lastPublished = stats.published;
    let lastChange = started;
    let empty = stats.depth === 0 && stats.inFlight === 0;
    while (!empty || performance.now() - lastChange < QUIET_MS) {
      if (performance.now() - started > o.drainTimeoutMs) break;
      await sleep(DRAIN_POLL_MS);
      stats = publisherStats(await proxy.stats());
      const nowEmpty = stats.depth === 0 && stats.inFlight === 0;
      if (stats.published !== lastPublished || nowEmpty !== empty) lastChange = performance.now();
      lastPublished = stats.published;
      empty = nowEmpty;
    }
    return {
      run,
      cpuMicrosPerMessage,
      ...machine,
      ...natsCpu,
      backlogAtEnd: atEnd.depth,
      drainMs: lastChange - started,
      backlogAfterDrain: stats.depth,
      published: stats.published,
      rejected: stats.rejected,
    };
  } finally {
    await proxy.stop();
  }
}

function proxyConfig(o: ProxyRunOptions): string {
  const nats =
    o.nats === undefined
      ? 'nats: { enabled: false }'
      : `nats: { enabled: true, servers: [${JSON.stringify(o.nats.url)}], stream: { name: ${STREAM} } }`;
  return `server: { listen: "127.0.0.1:0", window: ${o.window} }
admin: { listen: false }
store: { path: ${JSON.stringify(join(o.dir, `${o.name}-store`))} }
${nats}
log: { level: warn }
accounts:
  bench: { password: bench, allowed_ips: ["127.0.0.1"], window: ${o.window} }
carriers:
  sim: { host: 127.0.0.1, port: ${o.simulator.port}, system_id: ${CARRIER.systemId}, password: ${CARRIER.password}, sessions: 2, window: ${o.window} }
routes:
  - { name: all, prefix: [""], carriers: [{ carrier: sim, cost: 0.01 }] }
`;
}

interface ProxySample {
  stats: PublisherStats | null;
  cpuMicros: number;
}

function publisherStats(sample: ProxySample): PublisherStats {
  if (sample.stats === null) throw new Error('the benchmark proxy runs without a publisher');
  return sample.stats;
}

/** The benchmark proxy process and its IPC channel. */
class ProxyProcess {
  private readonly waiting: Array<(sample: ProxySample) => void> = [];

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {
    child.on('message', (reply: AuditProxyReply) => {
      if (reply.type === 'stats') this.waiting.shift()?.({ stats: reply.stats, cpuMicros: reply.cpuMicros });
    });
  }

  static async start(script: string, execArgv: string[], configFile: string): Promise<ProxyProcess> {
    const child = fork(script, [configFile], { execArgv, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error('the benchmark proxy did not start within 30 s')), 30_000);
      const onMessage = (reply: AuditProxyReply): void => {
        if (reply.type === 'ready') done(() => resolve(reply.port));
        else if (reply.type === 'error') fail(new Error(`the benchmark proxy failed: ${reply.message}`));
      };
      const onExit = (code: number | null): void => fail(new Error(`the benchmark proxy exited with ${code} before it started`));
      const done = (then: () => void): void => {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
        then();
      };
      const fail = (error: Error): void => {
        done(() => reject(error));
        if (child.exitCode === null) child.kill('SIGKILL');
      };
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
    return new ProxyProcess(child, port);
  }

  /** The publisher's counters (null with publishing off) and the process's CPU time so far. */
  stats(): Promise<ProxySample> {
    if (!this.child.connected) return Promise.reject(new Error('the benchmark proxy is gone'));
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.request({ type: 'stats' });
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.request({ type: 'stop' });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  }

  private request(message: AuditProxyRequest): void {
    if (this.child.connected) this.child.send(message);
  }
}

async function waitUntil(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Events the first run with publishing on published per message (binds and keepalives included). */
function eventsPerMessage(r: AuditBenchResult): number {
  const run = r.on[0];
  return run === undefined ? 0 : (run.published ?? 0) / run.run.messages;
}

/** Median of a whole-machine figure over runs; null when any run could not read the machine's CPU. */
function machineMedian(runs: AuditRun[], pick: (machine: NonNullable<AuditRun['machine']>) => number): number | null {
  if (runs.length === 0 || runs.some((run) => run.machine === undefined)) return null;
  return median(runs.map((run) => pick(run.machine!)));
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const TITLE = 'messages/s with receipts through the proxy with the NATS audit trail off and on, and the backlog it leaves';

export const auditScenario: BenchScenario = {
  name: 'audit',
  title: TITLE,
  async run({ quick }): Promise<BenchReport> {
    const r = await benchAudit(quick ? { messages: 500, window: 50, rounds: 1 } : {});
    const measuredOn = r.on.length > 0;
    const worst = (pick: (run: AuditRun) => number | undefined): number | null => (measuredOn ? Math.max(...r.on.map((run) => pick(run) ?? 0)) : null);
    const { cpuOffMicros: cpuOff, cpuOnMicros: cpuOn } = r;
    const metrics: BenchMetric[] = [
      { name: 'publishing off (with receipts)', value: r.offPerSecond, unit: 'msg/s' },
      { name: 'publishing on (with receipts)', value: r.onPerSecond, unit: 'msg/s', ...(measuredOn ? {} : { note: 'not measured' }) },
      { name: 'on / off', value: r.ratio, unit: 'ratio', note: `target >= ${TARGET_RATIO.toFixed(2)}` },
      { name: 'proxy CPU per message, publishing off', value: cpuOff, unit: 'us' },
      { name: 'proxy CPU per message, publishing on', value: cpuOn, unit: 'us' },
      {
        name: 'CPU off / on',
        value: r.cpuRatio,
        unit: 'ratio',
        note: 'the on / off ratio a proxy with a core to itself would reach',
      },
      {
        name: 'nats-server CPU per message',
        value: r.natsCpuMicrosPerMessage,
        unit: 'us',
        note: 'on the same cores as the proxy and the load',
      },
      { name: 'whole machine CPU per message, publishing off', value: machineMedian(r.off, (m) => m.cpuMicrosPerMessage), unit: 'us', note: 'proxy, load and everything else' },
      { name: 'whole machine CPU per message, publishing on', value: machineMedian(r.on, (m) => m.cpuMicrosPerMessage), unit: 'us' },
      { name: 'machine busy, publishing off', value: machineMedian(r.off, (m) => m.busyShare), unit: 'ratio', note: `share of all ${cpus().length} cores` },
      {
        name: 'proxy audit CPU per message, now',
        value: cpuOn === null ? null : cpuOn - cpuOff,
        unit: 'us',
        note: 'proxy CPU on minus off',
      },
      {
        name: 'proxy audit CPU per message the target allows',
        value: r.auditBudgetMicros,
        unit: 'us',
        note: `all cores over ${TARGET_RATIO} x the off rate, minus the off run's whole-machine CPU and nats-server's, per message`,
      },
      {
        name: 'bare publish of those events alone, per message',
        value: r.publishFloor === null ? null : r.publishFloor.clientMicrosPerEvent * eventsPerMessage(r),
        unit: 'us',
        note:
          r.publishFloor === null
            ? 'not measured'
            : `a NATS client publishing ready-made ${Math.round(r.publishFloor.payloadBytes)}-byte payloads, one JetStream message with Nats-Msg-Id each, nothing else: ${r.publishFloor.clientMicrosPerEvent.toFixed(1)} us per event`,
      },
      {
        name: 'nats-server CPU per event, bare publish',
        value: r.publishFloor?.serverMicrosPerEvent ?? null,
        unit: 'us',
        note: 'one event per JetStream message, as the audit contract has it',
      },
      {
        name: 'nats-server CPU per event, ten per message',
        value: r.packedFloor?.serverMicrosPerEvent ?? null,
        unit: 'us',
        note: `what packing events would save the server (client: ${r.packedFloor === null ? '-' : r.packedFloor.clientMicrosPerEvent.toFixed(1)} us per event); not what the proxy does`,
      },
      { name: 'outbox backlog when the run ended', value: worst((run) => run.backlogAtEnd), unit: 'events', note: 'largest of the runs' },
      { name: 'time to drain it', value: worst((run) => run.drainMs), unit: 'ms', note: `longest of the runs, polled every ${DRAIN_POLL_MS} ms` },
      { name: 'outbox backlog after the drain', value: worst((run) => run.backlogAfterDrain), unit: 'events', note: 'must be 0' },
      { name: 'events published per message', value: measuredOn ? eventsPerMessage(r) : null, unit: 'events' },
      { name: 'events rejected by NATS', value: worst((run) => run.rejected), unit: 'events' },
      { name: 'receipts missing', value: [...r.off, ...r.on].reduce((n, run) => n + run.run.missingReceipts, 0), unit: 'msg' },
      { name: 'refused', value: [...r.off, ...r.on].reduce((n, run) => n + run.run.refused, 0), unit: 'msg' },
    ];
    const runs = (list: AuditRun[]): string => list.map((run) => Math.round(run.run.messagesPerSecond)).join(', ');
    return {
      scenario: 'audit',
      title: TITLE,
      metrics,
      notes: [
        `${r.off[0]?.run.messages ?? 0} single-part submit_sm per run, ESME window ${r.window}, proxy with 2 carrier binds of window ${r.window}, receipts sent at once; runs alternate off/on, the figure is the median`,
        `runs with publishing off: ${runs(r.off)} msg/s; on: ${measuredOn ? runs(r.on) : '-'} msg/s`,
        'each run is a fresh proxy process (startRuntime, as smpp-proxy start) with its LMDB store on disk; ESME and simulator share the bench process; with publishing on, nats-server (JetStream, file storage) runs on the same machine',
        'the backlog is read from the proxy publisher itself over IPC: events in the outbox not yet acknowledged by JetStream',
        ...(r.note === undefined ? [] : [r.note]),
      ],
    };
  },
};
