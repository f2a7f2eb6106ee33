import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ProxyEvents } from '../../src/broker/events.js';
import { AdminServerError } from '../../src/observability/admin.js';
import { createLogger } from '../../src/observability/logger.js';
import { startObservability, type ObservabilityOptions } from '../../src/observability/setup.js';
import { parseExposition, valueOf } from './helpers.js';

function options(events: ProxyEvents, listen: { host: string; port: number } | undefined, lines: string[] = []): ObservabilityOptions {
  const stream = new PassThrough();
  stream.on('data', (c: Buffer) => lines.push(...c.toString().split('\n').filter(Boolean)));
  return {
    events,
    admin: { listen, token: undefined },
    logger: createLogger({ destination: stream }),
    status: () => undefined,
    store: () => undefined,
    publisher: () => undefined,
    reload: async () => ({ ok: true }),
  };
}

const listenerTotal = (events: ProxyEvents): number => events.eventNames().reduce((n, name) => n + events.listenerCount(name), 0);

describe('startObservability', () => {
  it('wires logs, metrics and the admin listener together, and undoes it on close', async () => {
    const events = new ProxyEvents();
    const lines: string[] = [];
    const o = await startObservability(options(events, { host: '127.0.0.1', port: 0 }, lines));
    try {
      events.emit('route', { account: 'acme', route: 'uk', carrier: 'alpha', attempt: 0 });
      events.emit('failover', { account: 'acme', route: 'uk', fromCarrier: 'alpha', reason: 'timeout' });
      const scraped = parseExposition(await (await fetch(`${o.admin!.url}/metrics`)).text());
      expect(valueOf(scraped, 'smpp_route_decisions_total', { route: 'uk', carrier: 'alpha' })).toBe(1);
      expect(valueOf(scraped, 'smpp_failovers_total', { route: 'uk', carrier: 'alpha', reason: 'timeout' })).toBe(1);
      expect(lines.some((l) => (JSON.parse(l) as { msg: string }).msg === 'failover')).toBe(true);
      expect((await fetch(`${o.admin!.url}/readyz`)).status).toBe(503);
    } finally {
      await o.close();
    }
    expect(listenerTotal(events)).toBe(0);
    await expect(fetch(`${o.admin!.url}/healthz`)).rejects.toThrow();
  });

  it('runs without an admin listener when admin.listen is off', async () => {
    const events = new ProxyEvents();
    const o = await startObservability(options(events, undefined));
    expect(o.admin).toBeUndefined();
    expect(listenerTotal(events)).toBeGreaterThan(0);
    await o.close();
    expect(listenerTotal(events)).toBe(0);
  });

  it('detaches again when the admin listener cannot start', async () => {
    const events = new ProxyEvents();
    const first = await startObservability(options(new ProxyEvents(), { host: '127.0.0.1', port: 0 }));
    try {
      await expect(startObservability(options(events, first.admin!.address))).rejects.toBeInstanceOf(AdminServerError);
      expect(listenerTotal(events)).toBe(0);
    } finally {
      await first.close();
    }
  });
});
