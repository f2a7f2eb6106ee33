import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type {
  BindEvent,
  BindRejectedEvent,
  DlrEvent,
  FailoverEvent,
  PduEvent,
  ProxyEvents,
  RouteEvent,
  SubmitEvent,
} from '../broker/events.js';
import { FastCounter, FastHistogram } from './accumulators.js';
import { listenSafely } from './guard.js';
import { bindRefusalLabel, commandLabel, failoverReasonLabel, receiptStatLabel, statusLabel } from './labels.js';
import { readinessOf, readView, type ViewSnapshot } from './readiness.js';
import type { PublisherStats, RuntimeView } from './view.js';

export interface MetricsOptions extends RuntimeView {
  events: ProxyEvents;
  /** Process metrics (CPU, memory, event loop lag, GC) on the same registry. Default true. */
  processMetrics?: boolean;
}

export interface ProxyMetrics {
  /** A registry of its own, never prom-client's global one, so two proxies in one process (tests) do not collide. */
  readonly registry: Registry;
  /** Stops listening to the events; the registry keeps its last values. */
  close(): void;
}

/** From 1 ms to 30 s: an ESME-facing answer is normally tens of milliseconds, a stuck carrier takes its response timeout. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Receipts arrive seconds to days after the submit. */
const RECEIPT_BUCKETS = [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600, 86400];

/**
 * Prometheus metrics of the proxy. Traffic is counted from the event bus: per PDU the handler
 * builds a key from the raw fields and bumps a plain number in a Map (see accumulators.ts), and
 * prom-client sees the totals when scraped. Gauges (binds, windows, queues, outbox, NATS) are
 * read from the view callbacks when scraped, never maintained on the hot path.
 */
export function createMetrics(options: MetricsOptions): ProxyMetrics {
  // The view is read once at the start of every scrape and sets every gauge, so all gauges of one
  // scrape come from the same moment and status() is not called once per gauge.
  const registry = new ScrapeRegistry(() => applySnapshot(readView(options)));
  const registers = [registry];
  const { events } = options;

  // ---- traffic, from events ------------------------------------------------------------------

  const pdus = new FastCounter({
    name: 'smpp_pdus_total',
    help: 'SMPP PDUs by side (esme: customer binds, carrier: upstream binds), peer (account or carrier name), direction, command and command_status.',
    labelNames: ['side', 'peer', 'direction', 'command', 'status'],
    registers,
  });
  const submitDuration = new FastHistogram({
    name: 'smpp_submit_duration_seconds',
    help: 'From reading an ESME submit_sm/data_sm to writing its response, by account and the status the ESME got.',
    labelNames: ['account', 'status'],
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const carrierRtt = new FastHistogram({
    name: 'smpp_carrier_rtt_seconds',
    help: 'Round trip of a submit at the carrier that answered it (request written to response read).',
    labelNames: ['carrier'],
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const receiptLatency = new FastHistogram({
    name: 'smpp_receipt_latency_seconds',
    help: 'From accepting a submit to receiving its delivery receipt, by carrier and receipt stat.',
    labelNames: ['carrier', 'stat'],
    buckets: RECEIPT_BUCKETS,
    registers,
  });
  const routeDecisions = new FastCounter({
    name: 'smpp_route_decisions_total',
    help: 'Submits sent to a carrier, by route and carrier (a failed-over submit counts once per carrier tried).',
    labelNames: ['route', 'carrier'],
    registers,
  });
  const failovers = new FastCounter({
    name: 'smpp_failovers_total',
    help: 'Submits moved on from a carrier to the next candidate, by route, the carrier left and why.',
    labelNames: ['route', 'carrier', 'reason'],
    registers,
  });
  // Bind events are rare: prom-client's own counters are fast enough for them.
  const binds = new Counter({
    name: 'smpp_bind_events_total',
    help: 'Sessions bound (event=up) and ended (event=down), by side, peer and bind type.',
    labelNames: ['side', 'peer', 'bind_type', 'event'] as const,
    registers,
  });
  const bindRejections = new Counter({
    name: 'smpp_bind_rejections_total',
    help: 'ESME binds refused, by reason.',
    labelNames: ['reason'] as const,
    registers,
  });

  // Raw codes go into the keys; the label functions run once per new key (see SeriesIndex).
  const onPdu = (e: PduEvent): void => {
    pdus.series(`${e.side}|${e.peer}|${e.direction}|${e.commandId}|${e.status}`, () => [
      e.side,
      e.peer,
      e.direction,
      commandLabel(e.commandId),
      statusLabel(e.status),
    ]).value++;
  };
  const onSubmit = (e: SubmitEvent): void => {
    submitDuration.series(`${e.account}|${e.status}`, () => [e.account, statusLabel(e.status)]).observe(e.latencyMs / 1000);
    if (e.carrier !== undefined && e.carrierRttMs !== undefined) {
      const carrier = e.carrier;
      carrierRtt.series(carrier, () => [carrier]).observe(e.carrierRttMs / 1000);
    }
  };
  const onDlr = (e: DlrEvent): void => {
    receiptLatency.series(`${e.carrier}|${e.stat}`, () => [e.carrier, receiptStatLabel(e.stat)]).observe(Math.max(0, e.receivedAt - e.submittedAt) / 1000);
  };
  const onRoute = (e: RouteEvent): void => {
    routeDecisions.series(`${e.route}|${e.carrier}`, () => [e.route, e.carrier]).value++;
  };
  const onFailover = (e: FailoverEvent): void => {
    failovers.series(`${e.route}|${e.fromCarrier}|${e.reason}`, () => [e.route, e.fromCarrier, failoverReasonLabel(e.reason)]).value++;
  };
  const onBind = (e: BindEvent): void => binds.labels(e.side, e.peer, e.bindType, e.up ? 'up' : 'down').inc();
  const onBindRejected = (e: BindRejectedEvent): void => bindRejections.labels(bindRefusalLabel(e.reason)).inc();

  const detach = listenSafely(events, {
    pdu: onPdu,
    submit: onSubmit,
    dlr: onDlr,
    route: onRoute,
    failover: onFailover,
    bind: onBind,
    bind_rejected: onBindRejected,
  });

  // ---- state, read when scraped --------------------------------------------------------------

  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[] = []): Gauge<L> =>
    new Gauge<L>({ name, help, labelNames, registers });
  // Store and NATS gauges have no labels, and prom-client shows 0 for an unlabelled gauge with no
  // value. 'NATS disconnected' and 'NATS switched off' must not look alike, so these groups are
  // only in the registry while their source answers.
  const storeGroup = new OptionalGroup(registry);
  const natsGroup = new OptionalGroup(registry);

  const g = {
    ready: gauge('smpp_ready', '1 when /readyz answers 200: proxy running, store open, accepting binds, every route with a bound carrier.'),
    accepting: gauge('smpp_accepting_binds', '1 while ESME binds are accepted (0 during shutdown).'),
    pendingWork: gauge('smpp_pending_work', 'Requests being worked on: submits waiting for a carrier, receipts being stored.'),
    esmeBinds: gauge('smpp_esme_binds', 'Bound ESME sessions by account.', ['account']),
    esmeWindowUsed: gauge('smpp_esme_window_used', 'deliver_sm sent to the account and awaiting its response, over all its sessions.', ['account']),
    esmeWindowSize: gauge('smpp_esme_window_size', 'deliver_sm window of the account over all its bound sessions.', ['account']),
    esmeSubmitting: gauge('smpp_esme_submits_in_progress', 'Submits of the account waiting for a carrier.', ['account']),
    queued: gauge('smpp_queued_deliveries', 'Receipts and MO messages waiting in the durable queue for the account to bind a receiver.', ['account']),
    carrierBinds: gauge('smpp_carrier_binds', 'Bound carrier sessions by role (sender: transceiver/transmitter, receiver).', ['carrier', 'role']),
    carrierConfigured: gauge('smpp_carrier_binds_configured', 'Sending sessions the configuration asks for.', ['carrier']),
    carrierInFlight: gauge('smpp_carrier_in_flight', 'Submits sent to the carrier and awaiting its response.', ['carrier']),
    carrierWindow: gauge('smpp_carrier_window_size', 'Outstanding submits the carrier allows over all sending sessions.', ['carrier']),
    circuitOpen: gauge('smpp_carrier_circuit_open', '1 while the carrier circuit breaker is open (the carrier is skipped).', ['carrier']),
    routeReady: gauge('smpp_route_ready', '1 when at least one carrier of the route is bound.', ['route']),
    storeSize: storeGroup.gauge('smpp_store_size_bytes', 'Bytes the embedded store occupies.'),
    outboxDepth: storeGroup.gauge('smpp_outbox_depth', 'Audit events in the durable outbox not yet acknowledged by JetStream.'),
    outboxBytes: storeGroup.gauge('smpp_outbox_bytes', 'Bytes of the audit events waiting in the outbox.'),
    outboxFull: storeGroup.gauge('smpp_outbox_full', '1 while the outbox is at its limit and new submits are refused with ESME_RMSGQFUL.'),
    natsConnected: natsGroup.gauge('smpp_nats_connected', '1 while the audit publisher is connected to NATS (absent when NATS is off).'),
    natsStreamReady: natsGroup.gauge('smpp_nats_stream_ready', '1 once the JetStream stream is checked or created on the current connection.'),
    publishLag: natsGroup.gauge('smpp_publish_lag_seconds', 'Age of the oldest audit event not yet acknowledged by JetStream.'),
    publishInFlight: natsGroup.gauge('smpp_publish_in_flight', 'Audit events sent to JetStream and awaiting acknowledgement.'),
  };
  const publisherCounters = {
    published: new Counter({ name: 'smpp_audit_published_total', help: 'Audit events JetStream acknowledged as stored.', registers }),
    duplicates: new Counter({ name: 'smpp_audit_duplicates_total', help: 'Resent audit events JetStream dropped as duplicates.', registers }),
    resent: new Counter({ name: 'smpp_audit_resent_total', help: 'Audit events sent again after a timeout, error or reconnect.', registers }),
    rejected: new Counter({ name: 'smpp_audit_rejected_total', help: 'Audit events refused for good by JetStream (too large) and skipped.', registers }),
  };
  const lastPublisher = { published: 0, duplicates: 0, resent: 0, rejected: 0 };

  function applySnapshot(snapshot: ViewSnapshot): void {
    for (const metric of Object.values(g)) metric.reset();
    const { status, store, publisher } = snapshot;
    g.ready.set(readinessOf(snapshot).ready ? 1 : 0);
    if (status !== undefined) {
      g.accepting.set(status.accepting ? 1 : 0);
      g.pendingWork.set(status.pendingWork);
      for (const a of status.accounts) {
        let windowUsed = 0;
        let window = 0;
        let submitting = 0;
        for (const s of a.sessions) {
          windowUsed += s.pendingRequests;
          window += s.window;
          submitting += s.pendingResponses;
        }
        g.esmeBinds.labels(a.name).set(a.sessions.length);
        g.esmeWindowUsed.labels(a.name).set(windowUsed);
        g.esmeWindowSize.labels(a.name).set(window);
        g.esmeSubmitting.labels(a.name).set(submitting);
        g.queued.labels(a.name).set(a.queued);
      }
      for (const c of status.carriers) {
        g.carrierBinds.labels(c.name, 'sender').set(c.boundSenders);
        g.carrierBinds.labels(c.name, 'receiver').set(c.boundReceivers);
        g.carrierConfigured.labels(c.name).set(c.configuredSessions);
        g.carrierInFlight.labels(c.name).set(c.inFlight);
        g.carrierWindow.labels(c.name).set(c.window);
        g.circuitOpen.labels(c.name).set(c.circuitOpen ? 1 : 0);
      }
      for (const r of status.routes) g.routeReady.labels(r.name).set(r.ready ? 1 : 0);
    }
    storeGroup.show(store !== undefined);
    natsGroup.show(publisher !== undefined);
    if (store !== undefined) {
      g.storeSize.set(store.sizeBytes);
      g.outboxDepth.set(store.outboxDepth);
      g.outboxBytes.set(store.outboxBytes);
      g.outboxFull.set(store.outboxFull ? 1 : 0);
    }
    if (publisher !== undefined) {
      g.natsConnected.set(publisher.connected ? 1 : 0);
      g.natsStreamReady.set(publisher.streamReady ? 1 : 0);
      g.publishLag.set(publisher.lagMs / 1000);
      g.publishInFlight.set(publisher.inFlight);
      advanceCounters(publisher, lastPublisher, publisherCounters);
    }
  }

  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });

  let closed = false;
  return {
    registry,
    close() {
      if (closed) return;
      closed = true;
      detach();
    },
  };
}

/** Metrics registered only while their source exists. */
class OptionalGroup {
  private readonly metrics: { name: string; metric: Gauge }[] = [];
  private shown = false;

  constructor(private readonly registry: Registry) {}

  /** An unlabelled gauge, in the registry only while show(true). */
  gauge(name: string, help: string): Gauge {
    const metric = new Gauge({ name, help, registers: [] });
    this.metrics.push({ name, metric });
    return metric;
  }

  show(on: boolean): void {
    if (on === this.shown) return;
    this.shown = on;
    for (const { name, metric } of this.metrics) {
      if (on) this.registry.registerMetric(metric);
      else this.registry.removeSingleMetric(name);
    }
  }
}

/** A registry that brings the scrape-time gauges up to date before each full scrape. */
class ScrapeRegistry extends Registry {
  constructor(private readonly beforeScrape: () => void) {
    super();
  }

  override async metrics(): Promise<string> {
    this.refresh();
    return super.metrics();
  }

  override async getMetricsAsJSON(): ReturnType<Registry['getMetricsAsJSON']> {
    this.refresh();
    return super.getMetricsAsJSON();
  }

  private refresh(): void {
    try {
      this.beforeScrape();
    } catch {
      // Gauges keep their previous values; the traffic counters are unaffected.
    }
  }
}

type PublisherCounts = Pick<PublisherStats, 'published' | 'duplicates' | 'resent' | 'rejected'>;

/**
 * The publisher keeps running totals; Prometheus counters may only go up, so each scrape adds the
 * growth since the previous one. A total that went down means a new publisher started from zero.
 */
function advanceCounters(stats: PublisherCounts, last: PublisherCounts, counters: Record<keyof PublisherCounts, Counter>): void {
  for (const key of Object.keys(last) as (keyof PublisherCounts)[]) {
    const now = stats[key];
    const growth = now >= last[key] ? now - last[key] : now;
    if (growth > 0) counters[key].inc(growth);
    last[key] = now;
  }
}
