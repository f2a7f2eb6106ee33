import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { ProxyEvents, type PduEvent } from '../../src/broker/events.js';
import { SmppProxy } from '../../src/broker/proxy.js';
import { parseConfig } from '../../src/config/index.js';
import { createLogger } from '../../src/observability/logger.js';
import { connectAndBind } from '../../src/session/index.js';
import { CarrierSimulator } from '../../src/sim/carrier-sim.js';
import { openMemoryStore } from '../../src/store/index.js';

const silent = createLogger({ destination: new Writable({ write: (_c, _e, cb) => cb() }) });
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

async function start(): Promise<{ proxy: SmppProxy; events: PduEvent[] }> {
  const sim = new CarrierSimulator({ accounts: [{ systemId: 'c', password: 'p' }] });
  await sim.start();
  cleanups.push(() => sim.stop());
  const config = parseConfig(
    `server: { listen: "127.0.0.1:0" }
admin: { listen: false }
nats: { enabled: false }
accounts:
  acme: { password: pw, allowed_ips: ["127.0.0.1"] }
carriers:
  c: { host: 127.0.0.1, port: ${sim.port}, system_id: c, password: p }
routes: [{ name: all, prefix: [""], carriers: [{ carrier: c, cost: 0.01 }] }]
`,
    'pdu-events.yaml',
  );
  const bus = new ProxyEvents();
  const events: PduEvent[] = [];
  bus.on('pdu', (e) => events.push(e));
  const proxy = await SmppProxy.start(config, { logger: silent, events: bus, store: openMemoryStore() });
  cleanups.push(() => proxy.stop(2_000));
  return { proxy, events };
}

describe('PDU events', () => {
  it('record both sides of every bind under the peer name, and no PDU of a refused bind', async () => {
    const { proxy, events } = await start();
    const port = proxy.addresses.smpp!.port;
    await expect(
      connectAndBind({ host: '127.0.0.1', port, bindType: 'transceiver', bind: { system_id: 'acme', password: 'wrong' } }),
    ).rejects.toMatchObject({ status: 0x0d });
    const session = await connectAndBind({ host: '127.0.0.1', port, bindType: 'transceiver', bind: { system_id: 'acme', password: 'pw' } });
    cleanups.push(() => session.unbind());
    const esme = events.filter((e) => e.side === 'esme').map((e) => `${e.peer} ${e.direction} ${e.command} ${e.status}`);
    expect(esme).toEqual(['acme in bind_transceiver 0', 'acme out bind_transceiver_resp 0']);
    for (let i = 0; i < 500 && proxy.pools.get('c')!.boundSenders === 0; i++) await new Promise((r) => setTimeout(r, 10));
    const carrier = events.filter((e) => e.side === 'carrier').map((e) => `${e.peer} ${e.direction} ${e.command}`);
    expect(carrier.slice(0, 2)).toEqual(['c out bind_transceiver', 'c in bind_transceiver_resp']);
  });
});
