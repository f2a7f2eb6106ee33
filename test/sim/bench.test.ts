import { describe, expect, it } from 'vitest';
import { benchCodec, codecScenario, loadPeerPduClass, typicalSubmitSm } from '../../src/bench/codec.js';
import { benchDirect } from '../../src/bench/direct.js';
import { cpuBudgetPerMessage, machineCpuBetween, readMachineCpu } from '../../src/bench/machine-cpu.js';
import { median, opsPerSecond } from '../../src/bench/measure.js';
import { renderTable, type BenchScenario } from '../../src/bench/report.js';
import { runBench, type BenchOutput } from '../../src/bench/run.js';
import { decodePdu } from '../../src/smpp/index.js';
import { captureIo } from '../helpers/capture-io.js';

const QUICK = { rounds: 3, roundMs: 30, warmupMs: 30 };

describe('benchmark building blocks', () => {
  it('measures and takes medians', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    let n = 0;
    expect(opsPerSecond(() => n++, 10)).toBeGreaterThan(0);
    expect(n).toBeGreaterThan(0);
  });

  it('renders a table with a row per metric and the notes', () => {
    const table = renderTable([
      { scenario: 's', title: 'title', metrics: [{ name: 'rate', value: 12345.6, unit: 'x/s' }, { name: 'none', value: null, unit: 'x', note: 'n/a' }, { name: 'count', value: 0, unit: 'msg' }], notes: ['a note'] },
    ]);
    expect(table).toContain('12,346');
    expect(table).toMatch(/none\s+-\s+x\s+n\/a/);
    expect(table).toMatch(/count\s+0\s+msg/);
    expect(table).toContain('  - a note');
  });
});

describe('whole-machine CPU', () => {
  const stat = (user: number, idle: number, iowait: number, guest: number): string =>
    `cpu  ${user} 0 100 ${idle} ${iowait} 0 10 0 ${guest} 0\ncpu0 1 2 3 4 5 6 7 8 9 10\nintr 1 2\n`;

  it('reads busy and total time from the aggregate line of /proc/stat, guest time counted once', () => {
    // user 1000 + system 100 + softirq 10 busy; idle 5000 and iowait 40 not; guest 500 is inside user.
    expect(readMachineCpu(() => stat(1000, 5000, 40, 500))).toEqual({ busyMicros: 1110 * 10_000, totalMicros: 6150 * 10_000 });
    expect(readMachineCpu(() => 'intr 1 2\n')).toBeUndefined();
    expect(readMachineCpu(() => 'cpu  a b c d\n')).toBeUndefined();
    expect(
      readMachineCpu(() => {
        throw new Error('no /proc here');
      }),
    ).toBeUndefined();
  });

  it('reads the real machine where there is a /proc', () => {
    const first = readMachineCpu();
    if (first === undefined) return;
    let spin = 0;
    const end = Date.now() + 50;
    while (Date.now() < end) spin++;
    const second = readMachineCpu()!;
    expect(spin).toBeGreaterThan(0);
    const between = machineCpuBetween(first, second);
    expect(between.busyMicros).toBeGreaterThanOrEqual(0);
    expect(between.busyShare).toBeGreaterThanOrEqual(0);
    expect(between.busyShare).toBeLessThanOrEqual(1);
  });

  it('prices the busy share and per-message budget between readings', () => {
    const before = { busyMicros: 1_000_000, totalMicros: 4_000_000 };
    const after = { busyMicros: 2_500_000, totalMicros: 6_000_000 };
    expect(machineCpuBetween(before, after)).toEqual({ busyMicros: 1_500_000, busyShare: 0.75 });
    expect(machineCpuBetween(before, before)).toEqual({ busyMicros: 0, busyShare: 0 });
    // 2 cores, 5,000 msg/s off, target 0.8: 4,000 msg/s may cost 500 us each; 212 are the off
    // run's own and 100 nats-server's, which leaves 188.
    expect(cpuBudgetPerMessage({ cores: 2, offPerSecond: 5_000, targetRatio: 0.8, machineMicrosOff: 212, otherMicros: 100 })).toBeCloseTo(188, 6);
    expect(cpuBudgetPerMessage({ cores: 1, offPerSecond: 5_000, targetRatio: 0.8, machineMicrosOff: 212, otherMicros: 100 })).toBeCloseTo(-62, 6);
  });
});

describe('codec scenario', () => {
  it('decodes and re-encodes a typical submit_sm exactly, with both codecs, in one run', async () => {
    expect(decodePdu(typicalSubmitSm()).ok).toBe(true);
    expect(typeof (await loadPeerPduClass())).toBe('function');
    const result = await benchCodec(QUICK);
    expect(result.exact).toEqual({ ours: true, theirs: true });
    expect(result.ours.rounds).toHaveLength(3);
    expect(result.theirs?.rounds).toHaveLength(3);
    expect(result.ratio).toBeCloseTo(result.ours.median / result.theirs!.median);
    expect(result.theirsUnavailable).toBeUndefined();
  });
});

describe('direct scenario', () => {
  it('sends every message and gets every receipt back', async () => {
    const result = await benchDirect({ messages: 300, window: 20 });
    expect(result).toMatchObject({ messages: 300, accepted: 300, refused: 0, receipts: 300, missingReceipts: 0, window: 20 });
    expect(result.messagesPerSecond).toBeGreaterThan(0);
  });
});

describe('bench runner', () => {
  const fake = (name: string, fail = false): BenchScenario => ({
    name,
    title: `${name} title`,
    run: async ({ quick }) => {
      if (fail) throw new Error(`${name} broke`);
      return { scenario: name, title: `${name} title`, metrics: [{ name: 'quick', value: quick ? 1 : 0, unit: 'flag' }], notes: [] };
    },
  });

  it('runs the selected scenarios and prints JSON', async () => {
    const { io, text } = captureIo();
    expect(await runBench(['--only', 'b', '--json', '--quick'], io, [fake('a'), fake('b')])).toBe(0);
    const output = JSON.parse(text.stdout) as BenchOutput;
    expect(output.results.map((r) => r.scenario)).toEqual(['b']);
    expect(output.results[0]!.metrics[0]!.value).toBe(1);
    expect(output).toMatchObject({ quick: true, errors: [], node: process.version });
  });

  it('prints a table, reports a failing scenario and exits 1', async () => {
    const { io, text } = captureIo();
    expect(await runBench([], io, [fake('a'), fake('b', true)])).toBe(1);
    expect(text.stdout).toMatch(/a\s+quick\s+0\s+flag/);
    expect(text.stderr).toContain('bench: b failed: b broke');
  });

  it('refuses unknown scenarios and lists the known ones', async () => {
    const bad = captureIo();
    expect(await runBench(['--only', 'nope'], bad.io, [fake('a')])).toBe(2);
    expect(bad.text.stderr).toContain('unknown scenario nope; known: a');
    const list = captureIo();
    expect(await runBench(['--list'], list.io, [fake('a'), codecScenario])).toBe(0);
    expect(list.text.stdout).toContain('codec');
  });
});
