import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startRuntime, type Runtime } from '../../src/cli/start.js';
import { loadConfig } from '../../src/config/index.js';
import { createLogger } from '../../src/observability/logger.js';
import { CarrierSimulator } from '../../src/sim/carrier-sim.js';
import { TestEsme } from '../../src/sim/test-esme.js';
import { Writable } from 'node:stream';

const silent = createLogger({ destination: new Writable({ write: (_c, _e, cb) => cb() }) });

interface World {
  dir: string;
  file: string;
  sims: Record<'a' | 'b', CarrierSimulator>;
  runtime?: Runtime;
  esmes: TestEsme[];
}

let world: World | undefined;

afterEach(async () => {
  if (!world) return;
  for (const e of world.esmes) await e.close().catch(() => undefined);
  await world.runtime?.stop();
  await Promise.all(Object.values(world.sims).map((s) => s.stop()));
  rmSync(world.dir, { recursive: true, force: true });
  world = undefined;
});

function yaml(sims: World['sims'], dir: string, opts: { ukCarrier: 'a' | 'b'; acmePassword?: string; extraAccount?: boolean; broken?: boolean }): string {
  return `
server: { listen: "127.0.0.1:0", system_id: PROXY }
admin: { listen: false }
store: { path: ${JSON.stringify(join(dir, 'store'))} }
nats: { enabled: false }
log: { level: silent }
accounts:
  acme: { password: ${JSON.stringify(opts.acmePassword ?? 'pw1')}, allowed_ips: ["127.0.0.1", "::1"] }
${opts.extraAccount ? '  zeta: { password: "pw2", allowed_ips: ["127.0.0.1"] }\n' : ''}carriers:
  a: { host: 127.0.0.1, port: ${sims.a.port}, system_id: ca, password: pa, reconnect: { initial: 50ms, max: 200ms } }
  b: { host: 127.0.0.1, port: ${sims.b.port}, system_id: cb, password: pb, reconnect: { initial: 50ms, max: 200ms } }
routes:
  - name: uk
    prefix: ["44"]
    carriers: [{ carrier: ${opts.ukCarrier}, cost: ${opts.broken ? '"cheap"' : '0.01'} }]
`;
}

async function setUp(): Promise<World> {
  const dir = mkdtempSync(join(tmpdir(), 'smpp-reload-'));
  const sims = {
    a: new CarrierSimulator({ accounts: [{ systemId: 'ca', password: 'pa' }], receiptDelayMs: 20 }),
    b: new CarrierSimulator({ accounts: [{ systemId: 'cb', password: 'pb' }], receiptDelayMs: 20 }),
  };
  await sims.a.start();
  await sims.b.start();
  const file = join(dir, 'proxy.yaml');
  writeFileSync(file, yaml(sims, dir, { ukCarrier: 'a' }));
  world = { dir, file, sims, esmes: [] };
  world.runtime = await startRuntime(loadConfig(file), silent);
  await waitFor(() => world!.runtime!.proxy.pools.get('a')!.boundSenders === 1 && world!.runtime!.proxy.pools.get('b')!.boundSenders === 1);
  return world;
}

async function esme(w: World, password = 'pw1', systemId = 'acme'): Promise<TestEsme> {
  const port = w.runtime!.proxy.addresses.smpp!.port;
  const e = await TestEsme.connect({ host: '127.0.0.1', port, systemId, password, enquireLinkIntervalMs: 0 });
  w.esmes.push(e);
  return e;
}

async function waitFor(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('hot reload', () => {
  it('applies new routes without touching binds of unchanged accounts and carriers', async () => {
    const w = await setUp();
    const customer = await esme(w);
    const first = await customer.submit({ from: 'ACME', to: '447700900001', text: 'one' });
    expect(first.parts[0]!.status).toBe(0);
    expect(w.sims.a.submits).toHaveLength(1);
    const carrierSessionsBefore = w.sims.a.sessions.map((s) => s.sessionId).sort();

    writeFileSync(w.file, yaml(w.sims, w.dir, { ukCarrier: 'b', extraAccount: true }));
    const result = await w.runtime!.reload();
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(result.summary.accounts).toEqual({ added: ['zeta'], removed: [], changed: [] });
      expect(result.summary.carriers).toEqual({ added: [], removed: [], changed: [] });
    }

    const second = await customer.submit({ from: 'ACME', to: '447700900002', text: 'two' });
    expect(second.parts[0]!.status).toBe(0);
    expect(w.sims.b.submits).toHaveLength(1);
    expect(w.sims.a.submits).toHaveLength(1);
    expect(customer.isClosed).toBe(false);
    expect(w.sims.a.sessions.map((s) => s.sessionId).sort()).toEqual(carrierSessionsBefore);
    // The account added by the reload can bind at once.
    const zeta = await esme(w, 'pw2', 'zeta');
    expect(zeta.isClosed).toBe(false);
  });

  it('unbinds the ESMEs of a changed account, which then bind under the new terms', async () => {
    const w = await setUp();
    const customer = await esme(w);
    writeFileSync(w.file, yaml(w.sims, w.dir, { ukCarrier: 'a', acmePassword: 'newpw' }));
    const result = await w.runtime!.reload();
    expect(result.ok && result.summary.accounts.changed).toEqual(['acme']);
    await waitFor(() => customer.isClosed);
    await expect(esme(w, 'pw1')).rejects.toMatchObject({ status: 0x0d });
    const again = await esme(w, 'newpw');
    expect((await again.submit({ from: 'ACME', to: '447700900003', text: 'x' })).parts[0]!.status).toBe(0);
  });

  it('keeps the running configuration when the new file is invalid', async () => {
    const w = await setUp();
    const customer = await esme(w);
    const before = w.runtime!.proxy.config;
    writeFileSync(w.file, yaml(w.sims, w.dir, { ukCarrier: 'b', broken: true }));
    const result = await w.runtime!.reload();
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems.join('\n')).toMatch(/proxy\.yaml:\d+:\d+ routes\[0\]\.carriers\[0\]\.cost/);
    expect(w.runtime!.proxy.config).toBe(before);
    const sent = await customer.submit({ from: 'ACME', to: '447700900004', text: 'still a' });
    expect(sent.parts[0]!.status).toBe(0);
    expect(w.sims.a.submits).toHaveLength(1);
    expect(w.sims.b.submits).toHaveLength(0);
  });
});
