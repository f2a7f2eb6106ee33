import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { benchAudit } from '../../src/bench/audit.js';
import { findNatsServer } from '../../src/bench/nats-server.js';
import { buildForChild } from '../store/child-build.js';
import { cleanupAll, tempDir } from './harness.js';

/**
 * The audit benchmark in short runs: both modes measured against the same simulator, every
 * receipt back, the outbox drained to zero, about ten events published per message, and a
 * missing nats-server reported as "not measured" rather than a crash.
 */

let proxyScript: string;

// The benchmark's proxy is a process of its own; transpiling the sources for it takes seconds.
beforeAll(async () => {
  const build = join(await tempDir('audit-bench-build-'), 'build');
  buildForChild(build, ['src']);
  proxyScript = join(build, 'src/bench/audit-proxy.js');
  return cleanupAll;
}, 90_000);

describe('audit benchmark', () => {
  it('measures publishing off and on in one run and drains the backlog to zero', { timeout: 90_000 }, async () => {
    expect(findNatsServer()).toBeDefined();
    const r = await benchAudit({ messages: 300, window: 20, rounds: 1, proxyScript, publishFloorEvents: 5_000 });
    expect(r.note).toBeUndefined();
    expect(r.off).toHaveLength(1);
    expect(r.on).toHaveLength(1);
    for (const run of [...r.off, ...r.on]) {
      expect(run.run).toMatchObject({ messages: 300, accepted: 300, receipts: 300, missingReceipts: 0, refused: 0 });
      expect(run.cpuMicrosPerMessage).toBeGreaterThan(0);
    }
    const on = r.on[0]!;
    expect(on.backlogAfterDrain).toBe(0);
    expect(on.rejected).toBe(0);
    // Ten PDU, billing and dlr events per message, plus the binds and keepalives of the run.
    expect(on.published).toBeGreaterThanOrEqual(300 * 10);
    expect(on.published).toBeLessThan(300 * 10 + 100);
    expect(r.ratio).toBeGreaterThan(0);
    expect(r.cpuRatio).toBeGreaterThan(0);
    // The whole machine and nats-server are read from /proc, which every Linux CI machine has.
    for (const run of [...r.off, ...r.on]) {
      expect(run.machine!.cpuMicrosPerMessage).toBeGreaterThan(0);
      expect(run.machine!.busyShare).toBeGreaterThan(0);
      expect(run.machine!.busyShare).toBeLessThanOrEqual(1);
    }
    expect(r.natsCpuMicrosPerMessage).toBeGreaterThanOrEqual(0);
    expect(typeof r.auditBudgetMicros).toBe('number');
    // The bare-publish floor used payloads the size of the events the run stored, and every one
    // of its events (plus the closing acknowledged publish) reached the stream.
    expect(r.publishFloor).toMatchObject({ events: 5_000, eventsPerMessage: 1, stored: 5_001 });
    expect(r.packedFloor).toMatchObject({ events: 5_000, eventsPerMessage: 10, stored: 501 });
    expect(r.publishFloor!.payloadBytes).toBeGreaterThan(100);
    expect(r.publishFloor!.clientMicrosPerEvent).toBeGreaterThan(0);
  });

  it('reports publishing on as not measured without a nats-server', { timeout: 60_000 }, async () => {
    const r = await benchAudit({ messages: 100, window: 20, rounds: 1, proxyScript, natsServer: null });
    expect(r.on).toEqual([]);
    expect(r.onPerSecond).toBeNull();
    expect(r.ratio).toBeNull();
    expect(r.note).toMatch(/not measured/);
    expect(r.publishFloor).toBeNull();
    expect(r.packedFloor).toBeNull();
    expect(r.auditBudgetMicros).toBeNull();
    expect(r.off[0]!.run.receipts).toBe(100);
  });
});
