import { readFileSync } from 'node:fs';

/**
 * The whole machine's CPU time from /proc/stat, so a benchmark can tell whether a run kept every
 * core busy (then its throughput was bounded by CPU, and anything added must come out of it) or
 * left some idle (then added work may run in the gaps).
 */
export interface MachineCpu {
  /** Time the cores spent on anything but idle and I/O wait, summed over cores (microseconds). */
  busyMicros: number;
  /** All time the cores accounted for, summed over cores (microseconds). */
  totalMicros: number;
}

/** Linux reports /proc CPU times in USER_HZ ticks, which is 100 on every architecture Node runs on. */
export const MICROS_PER_TICK = 10_000;

/** The aggregate `cpu` line of /proc/stat; undefined where there is none (not Linux). */
export function readMachineCpu(stat: () => string = () => readFileSync('/proc/stat', 'utf8')): MachineCpu | undefined {
  let text: string;
  try {
    text = stat();
  } catch {
    return undefined;
  }
  const line = text.split('\n').find((l) => l.startsWith('cpu '));
  if (line === undefined) return undefined;
  // user nice system idle iowait irq softirq steal [guest guest_nice]: guest time is already
  // counted in user and nice, so only the first eight fields are summed.
  const ticks = line.trim().split(/\s+/).slice(1, 9).map(Number);
  if (ticks.length < 4 || ticks.some((t) => !Number.isFinite(t))) return undefined;
  const idle = ticks[3]! + (ticks[4] ?? 0);
  const total = ticks.reduce((sum, t) => sum + t, 0);
  return { busyMicros: (total - idle) * MICROS_PER_TICK, totalMicros: total * MICROS_PER_TICK };
}

/** What the machine did between two readings: busy time, and the share of all cores it was busy. */
export function machineCpuBetween(before: MachineCpu, after: MachineCpu): { busyMicros: number; busyShare: number } {
  const busyMicros = after.busyMicros - before.busyMicros;
  const totalMicros = after.totalMicros - before.totalMicros;
  return { busyMicros, busyShare: totalMicros > 0 ? busyMicros / totalMicros : 0 };
}

/**
 * CPU time per message (microseconds) left for work added to a run, if the run with it is to keep
 * `targetRatio` of the throughput it had without: all cores for a second, over the messages the
 * target rate asks for in that second, minus what each message already cost the whole machine
 * without the added work (`machineMicrosOff`) and minus another process's share of the added work
 * (`otherMicros`, e.g. the server the work feeds). Negative when even that leaves nothing.
 */
export function cpuBudgetPerMessage(o: { cores: number; offPerSecond: number; targetRatio: number; machineMicrosOff: number; otherMicros: number }): number {
  return (o.cores * 1_000_000) / (o.targetRatio * o.offPerSecond) - o.machineMicrosOff - o.otherMicros;
}
