import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProxyEvents } from '../../src/broker/events.js';
import type { PublisherStats } from '../../src/audit/publisher.js';
import { createMetrics } from '../../src/observability/metrics.js';
import type { ProxyStatus } from '../../src/observability/view.js';
import { Status } from '../../src/smpp/index.js';
import {
  account,
  bindError,
  cleanupAll,
  makeConfig,
  NO_BREAKER,
  remoteCarrier,
  startCarrier,
  TestEsme,
  waitFor,
} from '../e2e/harness.js';
import { parseExposition, startObserved, sumOf, valueOf, type Observed, type Sample } from './helpers.js';

/**
 * Metrics after real traffic: an ESME binds to the proxy and submits to route "uk", whose
 * cheapest carrier (beta, a remote simulator) answers every submit with ESME_RMSGQFUL, so each
 * submit fails over to alpha (an in-process sandbox) which accepts it and sends a receipt.
 */
const DESTINATIONS = ['447700900101', '447700900102', '447700900103'];
const TEXT = 'metrics test body';
const ALLOWED_LABELS = new Set(['side', 'peer', 'direction', 'command', 'status', 'account', 'carrier', 'route', 'reason', 'stat', 'bind_type', 'event', 'role', 'le']);

let observed: Observed;
let before: Sample[];
let after: Sample[];
let messageIds: string[];

beforeAll(async () => {
  const beta = await startCarrier('beta', { failure: { status: Status.ESME_RMSGQFUL, everyNth: 1 } });
  const config = makeConfig({
    accounts: { acme: account() },
    carriers: {
      alpha: { simulator: { dlr_status: 'DELIVRD', dlr_delay: '50ms' } },
      // The breaker would skip beta after a few failures; these tests want every submit to fail over.
      beta: remoteCarrier(beta, 'beta', { circuit_breaker: NO_BREAKER }),
    },
    routes: [
      {
        name: 'uk',
        prefix: ['447'],
        carriers: [
          { carrier: 'beta', cost: 0.001 },
          { carrier: 'alpha', cost: 0.002 },
        ],
      },
    ],
  });
  observed = await startObserved(config);
  before = await observed.scrape();

  expect(await bindError(observed.running.port, 'acme', 'wrongpw')).toMatchObject({ code: 'BIND_FAILED' });
  const esme = await TestEsme.bind(observed.running.port, 'acme');
  messageIds = [];
  for (const destination of DESTINATIONS) {
    const response = await esme.submit({ destination_addr: destination, short_message: Buffer.from(TEXT) });
    expect(response.status).toBe(Status.ESME_ROK);
    const messageId = response.body.message_id;
    expect(messageId).toMatch(/\S{4,}/);
    messageIds.push(messageId!);
  }
  await esme.waitForDeliveries(DESTINATIONS.length);
  // A receipt passes through: its outcome is recorded (and the carrier answered) once the ESME's
  // deliver_sm_resp is back, just after the ESME has it. Scrape once every outcome is in, or
  // after the wait, so the assertions below show what was missing.
  await waitFor(() => observed.store.queues.depth('acme') === 0, 'the receipt queue to empty');
  await waitFor(
    async () => valueOf(await observed.scrape(), 'smpp_receipt_latency_seconds_count', { carrier: 'alpha', stat: 'DELIVRD' }) === DESTINATIONS.length,
    'every receipt outcome recorded',
  ).catch(() => undefined);
  after = await observed.scrape();
});

afterAll(cleanupAll);

describe('counters and histograms move with traffic', () => {
  it('counts PDUs by side, peer, direction, command and status', () => {
    const n = DESTINATIONS.length;
    const pdu = (labels: Record<string, string>) => valueOf(after, 'smpp_pdus_total', labels);
    expect(pdu({ side: 'esme', peer: 'acme', direction: 'in', command: 'submit_sm', status: 'ESME_ROK' })).toBe(n);
    expect(pdu({ side: 'esme', peer: 'acme', direction: 'out', command: 'submit_sm_resp', status: 'ESME_ROK' })).toBe(n);
    expect(pdu({ side: 'carrier', peer: 'beta', direction: 'out', command: 'submit_sm', status: 'ESME_ROK' })).toBe(n);
    expect(pdu({ side: 'carrier', peer: 'beta', direction: 'in', command: 'submit_sm_resp', status: 'ESME_RMSGQFUL' })).toBe(n);
    expect(pdu({ side: 'carrier', peer: 'alpha', direction: 'in', command: 'submit_sm_resp', status: 'ESME_ROK' })).toBe(n);
    expect(pdu({ side: 'carrier', peer: 'alpha', direction: 'in', command: 'deliver_sm', status: 'ESME_ROK' })).toBe(n);
    expect(pdu({ side: 'esme', peer: 'acme', direction: 'out', command: 'deliver_sm', status: 'ESME_ROK' })).toBe(n);
    expect(sumOf(before, 'smpp_pdus_total', { side: 'esme' })).toBe(0);
  });

  it('observes the ESME-facing submit latency and the carrier round trip', () => {
    const n = DESTINATIONS.length;
    expect(valueOf(after, 'smpp_submit_duration_seconds_count', { account: 'acme', status: 'ESME_ROK' })).toBe(n);
    expect(valueOf(after, 'smpp_submit_duration_seconds_sum', { account: 'acme', status: 'ESME_ROK' })).toBeGreaterThan(0);
    expect(valueOf(after, 'smpp_submit_duration_seconds_bucket', { account: 'acme', status: 'ESME_ROK', le: '+Inf' })).toBe(n);
    expect(valueOf(after, 'smpp_carrier_rtt_seconds_count', { carrier: 'alpha' })).toBe(n);
    expect(valueOf(after, 'smpp_carrier_rtt_seconds_sum', { carrier: 'alpha' })).toBeGreaterThan(0);
  });

  it('observes receipt latency per carrier and stat', () => {
    expect(valueOf(after, 'smpp_receipt_latency_seconds_count', { carrier: 'alpha', stat: 'DELIVRD' })).toBe(DESTINATIONS.length);
    // dlr_delay is 50 ms, so each receipt came at least that long after its submit (less a little clock granularity).
    expect(valueOf(after, 'smpp_receipt_latency_seconds_sum', { carrier: 'alpha', stat: 'DELIVRD' })).toBeGreaterThanOrEqual(0.04 * DESTINATIONS.length);
  });

  it('counts route decisions and failovers with the carrier status as the reason', () => {
    const n = DESTINATIONS.length;
    expect(valueOf(after, 'smpp_route_decisions_total', { route: 'uk', carrier: 'beta' })).toBe(n);
    expect(valueOf(after, 'smpp_route_decisions_total', { route: 'uk', carrier: 'alpha' })).toBe(n);
    expect(valueOf(after, 'smpp_failovers_total', { route: 'uk', carrier: 'beta', reason: 'ESME_RMSGQFUL' })).toBe(n);
    expect(sumOf(after, 'smpp_failovers_total', { carrier: 'alpha' })).toBe(0);
  });

  it('counts binds on both sides and refused binds by reason', () => {
    expect(valueOf(before, 'smpp_bind_events_total', { side: 'carrier', peer: 'alpha', event: 'up' })).toBeGreaterThanOrEqual(1);
    expect(valueOf(after, 'smpp_bind_events_total', { side: 'esme', peer: 'acme', bind_type: 'transceiver', event: 'up' })).toBe(1);
    expect(valueOf(after, 'smpp_bind_rejections_total', { reason: 'wrong_password' })).toBe(1);
  });
});

describe('gauges read at scrape time', () => {
  it('reports bound sessions per account and carrier, routes, queues and the store', () => {
    expect(valueOf(before, 'smpp_esme_binds', { account: 'acme' })).toBe(0);
    expect(valueOf(after, 'smpp_esme_binds', { account: 'acme' })).toBe(1);
    expect(valueOf(after, 'smpp_esme_window_size', { account: 'acme' })).toBe(10);
    expect(valueOf(after, 'smpp_carrier_binds', { carrier: 'alpha', role: 'sender' })).toBe(1);
    expect(valueOf(after, 'smpp_carrier_binds_configured', { carrier: 'beta' })).toBe(1);
    expect(valueOf(after, 'smpp_carrier_circuit_open', { carrier: 'beta' })).toBe(0);
    expect(valueOf(after, 'smpp_route_ready', { route: 'uk' })).toBe(1);
    expect(valueOf(after, 'smpp_queued_deliveries', { account: 'acme' })).toBe(0);
    expect(valueOf(after, 'smpp_ready')).toBe(1);
    expect(valueOf(after, 'smpp_accepting_binds')).toBe(1);
    expect(valueOf(after, 'smpp_store_size_bytes')).toBeGreaterThan(0);
    expect(valueOf(after, 'smpp_outbox_depth')).toBe(0);
    // NATS is off in this runtime: no NATS series rather than a misleading 0.
    expect(after.some((s) => s.name === 'smpp_nats_connected')).toBe(false);
  });

  it('follows an unbind on the next scrape', async () => {
    const esme = await TestEsme.bind(observed.running.port, 'acme');
    const bound = await observed.scrape();
    expect(valueOf(bound, 'smpp_esme_binds', { account: 'acme' })).toBe(2);
    await esme.close();
    await waitFor(() => observed.running.proxy.registry.count('acme') === 1, 'the unbind to be seen');
    const unbound = await observed.scrape();
    expect(valueOf(unbound, 'smpp_esme_binds', { account: 'acme' })).toBe(1);
    expect(valueOf(unbound, 'smpp_bind_events_total', { side: 'esme', peer: 'acme', bind_type: 'transceiver', event: 'down' })).toBe(1);
  });

  it('includes process metrics from the same registry', () => {
    expect(after.some((s) => s.name === 'process_cpu_user_seconds_total')).toBe(true);
    expect(after.some((s) => s.name === 'nodejs_eventloop_lag_seconds')).toBe(true);
  });
});

describe('labels stay low-cardinality', () => {
  it('uses only configured names and fixed vocabularies as label values', () => {
    for (const sample of after) {
      for (const [name, value] of Object.entries(sample.labels)) {
        if (!sample.name.startsWith('smpp_')) continue;
        expect(ALLOWED_LABELS.has(name), `${sample.name} has label ${name}`).toBe(true);
        for (const forbidden of [...DESTINATIONS, ...messageIds, TEXT, 'ACME', 'secret']) {
          expect(value.includes(forbidden), `${sample.name}{${name}="${value}"} holds ${forbidden}`).toBe(false);
        }
      }
    }
  });

  it('maps peer-controlled codes onto a bounded set, whatever a peer sends', async () => {
    const events = new ProxyEvents();
    const metrics = createMetrics({ events, status: () => undefined, store: () => undefined, publisher: () => undefined, processMetrics: false });
    try {
      for (let i = 0; i < 5_000; i++) {
        const garbage = (i * 2_654_435_761) >>> 0;
        events.emit('pdu', {
          side: 'carrier',
          peer: 'alpha',
          sessionId: 's1',
          direction: 'in',
          command: `0x${garbage.toString(16)}`,
          commandId: garbage,
          status: garbage ^ 0x5555,
          sequence: i,
          frame: Buffer.alloc(16),
          at: Date.now(),
        });
        events.emit('dlr', {
          proxyId: `p${i}`,
          account: 'acme',
          carrier: 'alpha',
          carrierMessageId: `c${i}`,
          stat: `X${garbage}`,
          submittedAt: 0,
          receivedAt: 1_000,
        });
        events.emit('failover', { account: 'acme', route: 'uk', fromCarrier: 'alpha', reason: `status 0x${garbage.toString(16)}` });
        events.emit('bind_rejected', { systemId: `sys${i}`, remote: `10.0.${i % 250}.1`, reason: `source address 10.0.${i % 250}.1 not allowed`, at: Date.now() });
      }
      const samples = parseExposition(await metrics.registry.metrics());
      const series = (name: string) => samples.filter((s) => s.name === name).length;
      // Vendor codes 0x400..0x4FF keep their hex, everything unknown is 'other': at most a few hundred series.
      expect(series('smpp_pdus_total')).toBeLessThanOrEqual(400);
      expect(series('smpp_receipt_latency_seconds_count')).toBe(1);
      expect(series('smpp_bind_rejections_total')).toBe(1);
      expect(series('smpp_failovers_total')).toBeLessThanOrEqual(300);
      expect(valueOf(samples, 'smpp_pdus_total', { command: 'other', status: 'other' })).toBeGreaterThan(4_000);
    } finally {
      metrics.close();
    }
  });
});

describe('NATS publisher and failing callbacks', () => {
  function publisherStats(overrides: Partial<PublisherStats>): PublisherStats {
    return {
      connected: true,
      streamReady: true,
      depth: 0,
      inFlight: 0,
      lagMs: 0,
      published: 0,
      duplicates: 0,
      resent: 0,
      rejected: 0,
      ackedThrough: 0,
      lastError: undefined,
      lastErrorAt: undefined,
      lastAckAt: undefined,
      ...overrides,
    };
  }

  it('exports connection state and lag, and turns running totals into counters', async () => {
    let stats = publisherStats({ published: 10, lagMs: 1_500, inFlight: 4 });
    const metrics = createMetrics({ events: new ProxyEvents(), status: () => undefined, store: () => undefined, publisher: () => stats, processMetrics: false });
    try {
      let samples = parseExposition(await metrics.registry.metrics());
      expect(valueOf(samples, 'smpp_nats_connected')).toBe(1);
      expect(valueOf(samples, 'smpp_publish_lag_seconds')).toBe(1.5);
      expect(valueOf(samples, 'smpp_publish_in_flight')).toBe(4);
      expect(valueOf(samples, 'smpp_audit_published_total')).toBe(10);
      stats = publisherStats({ connected: false, published: 25, resent: 2 });
      samples = parseExposition(await metrics.registry.metrics());
      expect(valueOf(samples, 'smpp_nats_connected')).toBe(0);
      expect(valueOf(samples, 'smpp_audit_published_total')).toBe(25);
      expect(valueOf(samples, 'smpp_audit_resent_total')).toBe(2);
      // A new publisher counts from zero again; the counter must not go down.
      stats = publisherStats({ published: 3 });
      samples = parseExposition(await metrics.registry.metrics());
      expect(valueOf(samples, 'smpp_audit_published_total')).toBe(28);
    } finally {
      metrics.close();
    }
  });

  it('still scrapes when a callback throws, and reports not ready', async () => {
    const metrics = createMetrics({
      events: new ProxyEvents(),
      status: (): ProxyStatus => {
        throw new Error('store closed');
      },
      store: () => undefined,
      publisher: () => undefined,
      processMetrics: false,
    });
    try {
      const samples = parseExposition(await metrics.registry.metrics());
      expect(valueOf(samples, 'smpp_ready')).toBe(0);
      expect(samples.some((s) => s.name === 'smpp_esme_binds')).toBe(false);
    } finally {
      metrics.close();
    }
  });

  it('stops counting after close()', async () => {
    const events = new ProxyEvents();
    const metrics = createMetrics({ events, status: () => undefined, store: () => undefined, publisher: () => undefined, processMetrics: false });
    events.emit('route', { account: 'acme', route: 'uk', carrier: 'alpha', attempt: 0 });
    metrics.close();
    events.emit('route', { account: 'acme', route: 'uk', carrier: 'alpha', attempt: 0 });
    expect(events.listenerCount('pdu')).toBe(0);
    const samples = parseExposition(await metrics.registry.metrics());
    expect(valueOf(samples, 'smpp_route_decisions_total', { route: 'uk', carrier: 'alpha' })).toBe(1);
  });
});
