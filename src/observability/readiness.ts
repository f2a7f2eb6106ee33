import { safely, type ProxyStatus, type PublisherStats, type RuntimeView, type StoreStats } from './view.js';

/** One consistent reading of every view callback, taken once per request or scrape. */
export interface ViewSnapshot {
  status: ProxyStatus | undefined;
  store: StoreStats | undefined;
  publisher: PublisherStats | undefined;
  /** Why a callback failed, when one threw. */
  errors: { status?: string; store?: string; publisher?: string };
}

export function readView(view: RuntimeView): ViewSnapshot {
  const status = safely(() => view.status());
  const store = safely(() => view.store());
  const publisher = safely(() => view.publisher());
  const errors: ViewSnapshot['errors'] = {};
  if (status.error !== undefined) errors.status = status.error;
  if (store.error !== undefined) errors.store = store.error;
  if (publisher.error !== undefined) errors.publisher = publisher.error;
  return { status: status.value, store: store.value, publisher: publisher.value, errors };
}

export interface Readiness {
  ready: boolean;
  /** Empty when ready; otherwise every reason, so one probe result explains the whole state. */
  reasons: string[];
}

/**
 * Ready means the proxy can take traffic now: the configuration is loaded and the proxy runs,
 * the store is open, binds are accepted, and every route has at least one bound carrier (a route
 * without one could only answer ESME_RMSGQFUL). NATS is deliberately not a condition: while it
 * is away, events wait in the durable outbox and traffic continues.
 */
export function readinessOf(snapshot: ViewSnapshot): Readiness {
  const reasons: string[] = [];
  const { status, store, errors } = snapshot;
  if (errors.status !== undefined) reasons.push(`proxy status unavailable: ${errors.status}`);
  else if (status === undefined) reasons.push('proxy not running (starting, stopping, or no configuration loaded)');
  if (errors.store !== undefined) reasons.push(`store unavailable: ${errors.store}`);
  else if (store === undefined) reasons.push('store not open');
  if (status !== undefined) {
    if (!status.accepting) reasons.push('not accepting binds (shutting down)');
    for (const route of status.routes) {
      if (!route.ready) reasons.push(`route ${route.name} has no bound carrier`);
    }
  }
  return { ready: reasons.length === 0, reasons };
}

export function assessReadiness(view: RuntimeView): Readiness {
  return readinessOf(readView(view));
}
