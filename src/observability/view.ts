import type { PublisherStats } from '../audit/publisher.js';
import type { ProxyStatus } from '../broker/proxy.js';
import type { Store } from '../store/index.js';

export type { ProxyStatus, PublisherStats };

/** What /status, readiness and the scrape-time gauges report about the embedded store. */
export interface StoreStats {
  /** Bytes the store occupies (on disk for the durable store). */
  sizeBytes: number;
  /** Audit events not yet acknowledged by JetStream. */
  outboxDepth: number;
  outboxBytes: number;
  /** New submits are refused while this is true (the audit trail cannot take more). */
  outboxFull: boolean;
}

/**
 * How metrics, the admin server and the status report see the running process. Plain callbacks,
 * so this package never holds the proxy, the store or the publisher itself and can be created
 * before they exist (events from the very first binds are counted) and outlive them (health
 * checks keep answering during shutdown).
 */
export interface RuntimeView {
  /** The proxy's snapshot; undefined while it is not running (starting or stopped). */
  status(): ProxyStatus | undefined;
  /** undefined while the store is not open. */
  store(): StoreStats | undefined;
  /** undefined when publishing to NATS is switched off. */
  publisher(): PublisherStats | undefined;
}

export function storeStatsOf(store: Store): StoreStats {
  return {
    sizeBytes: store.sizeBytes(),
    outboxDepth: store.outbox.depth(),
    outboxBytes: store.outbox.bytes(),
    outboxFull: store.outbox.isFull(),
  };
}

/**
 * Calls a view callback, turning a throw into undefined plus the error: a snapshot taken while
 * something is closing must degrade a report, never fail the request or the scrape.
 */
export function safely<T>(read: () => T): { value: T | undefined; error: string | undefined } {
  try {
    return { value: read(), error: undefined };
  } catch (error) {
    return { value: undefined, error: error instanceof Error ? error.message : String(error) };
  }
}
