import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Status } from '../../src/smpp/index.js';
import { account, bindError, cleanupAll, makeConfig, receiptFor, startProxy, TestEsme, waitFor, type RunningProxy } from './harness.js';

/**
 * Who may bind and how much they may send. Every refusal is ESME_RBINDFAIL, whatever the reason,
 * so a client cannot tell an unknown account from a wrong password. The carrier here is an
 * in-process sandbox, the kind config/proxy.yaml uses.
 */
const BIND_FAILED = { code: 'BIND_FAILED', status: Status.ESME_RBINDFAIL };

function sandboxConfig(server: Record<string, unknown>) {
  return makeConfig({
    server,
    accounts: {
      acme: account({ max_binds: 2 }),
      remote: account({ allowed_ips: ['10.0.0.0/8'] }),
      sender: account({ bind_types: ['transmitter'] }),
      slow: account({ throughput: 2 }),
    },
    carriers: { sandbox: { simulator: { dlr_status: 'DELIVRD', dlr_delay: '50ms' } } },
    routes: [{ name: 'all', prefix: [''], carriers: [{ carrier: 'sandbox', cost: 0.01 }] }],
  });
}

describe('binds', () => {
  let running: RunningProxy;

  beforeAll(async () => {
    // No lockout here: this suite fails binds on purpose, all from 127.0.0.1.
    running = await startProxy(sandboxConfig({ bind_lockout: { failures: 0 } }), { bindRefusalFloorMs: 0 });
  });
  afterAll(cleanupAll);

  it('binds with the right credentials and gets a receipt back through the sandbox carrier', async () => {
    const esme = await TestEsme.bind(running.port, 'acme');
    const resp = await esme.submit();
    expect(resp.status).toBe(Status.ESME_ROK);
    await esme.waitForDelivery(receiptFor(resp.body.message_id!));
    await esme.close();
  });

  it('refuses a wrong password and an unknown account alike', async () => {
    expect(await bindError(running.port, 'acme', 'wrong')).toEqual(BIND_FAILED);
    expect(await bindError(running.port, 'acme', '')).toEqual(BIND_FAILED);
    expect(await bindError(running.port, 'nobody', 'secret')).toEqual(BIND_FAILED);
    // Case matters in system_id.
    expect(await bindError(running.port, 'ACME', 'secret')).toEqual(BIND_FAILED);
  });

  it('refuses a source address outside allowed_ips even with the right password', async () => {
    expect(await bindError(running.port, 'remote', 'secret')).toEqual(BIND_FAILED);
  });

  it('refuses bind types the account may not use', async () => {
    expect(await bindError(running.port, 'sender', 'secret', 'transceiver')).toEqual(BIND_FAILED);
    expect(await bindError(running.port, 'sender', 'secret', 'receiver')).toEqual(BIND_FAILED);
    expect(await bindError(running.port, 'sender', 'secret', 'transmitter')).toBeUndefined();
  });

  it('refuses a bind over max_binds, and accepts it again once a bind ends', async () => {
    const first = await TestEsme.bind(running.port, 'acme');
    const second = await TestEsme.bind(running.port, 'acme', { bindType: 'receiver' });
    expect(await bindError(running.port, 'acme', 'secret')).toEqual(BIND_FAILED);
    await second.close();
    await waitFor(() => running.proxy.registry.count('acme') === 1, 'the proxy to see the unbind');
    expect(first.session.isClosed).toBe(false);
    const third = await TestEsme.bind(running.port, 'acme');
    expect(third.session.isClosed).toBe(false);
    expect((await third.submit()).status).toBe(Status.ESME_ROK);
  });

  it('answers ESME_RTHROTTLED above the account throughput, and throttled submits never reach a carrier', async () => {
    const esme = await TestEsme.bind(running.port, 'slow');
    let routed = 0;
    const onRoute = (e: { account: string }): void => {
      if (e.account === 'slow') routed++;
    };
    running.proxy.events.on('route', onRoute);
    const statuses = await Promise.all(Array.from({ length: 12 }, () => esme.submit().then((r) => r.status)));
    const ok = statuses.filter((s) => s === Status.ESME_ROK).length;
    const throttled = statuses.filter((s) => s === Status.ESME_RTHROTTLED).length;
    expect(ok + throttled).toBe(12);
    // A bucket of 2 per second: two at once, plus whatever refilled while the burst was read.
    expect(ok).toBeGreaterThanOrEqual(2);
    expect(throttled).toBeGreaterThanOrEqual(6);
    running.proxy.events.off('route', onRoute);
    expect(routed).toBe(ok);
  });
});

describe('failed-bind lockout', () => {
  let running: RunningProxy;

  beforeAll(async () => {
    running = await startProxy(sandboxConfig({ bind_lockout: { failures: 2, window: '1m', duration: '1m' } }), { bindRefusalFloorMs: 0 });
  });
  afterAll(cleanupAll);

  it('refuses even the right password from a client that failed too often', async () => {
    expect(await bindError(running.port, 'acme', 'secret')).toBeUndefined();
    expect(await bindError(running.port, 'acme', 'guess1')).toEqual(BIND_FAILED);
    expect(await bindError(running.port, 'acme', 'guess2')).toEqual(BIND_FAILED);
    expect(await bindError(running.port, 'acme', 'secret')).toEqual(BIND_FAILED);
    expect(running.proxy.lockedOutClients).toBe(1);
  });
});
