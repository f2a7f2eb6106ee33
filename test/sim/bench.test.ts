import { describe, expect, it } from 'vitest';
import { benchCodec, codecScenario, loadPeerPduClass, typicalSubmitSm } from '../../src/bench/codec.js';
import { benchDirect } from '../../src/bench/direct.js';
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
