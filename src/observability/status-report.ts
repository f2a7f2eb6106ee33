import { readinessOf, readView } from './readiness.js';
import type { RuntimeView, StoreStats } from './view.js';

/**
 * The body of GET /status, and what `smpp-proxy status` prints. Plain JSON (null rather than
 * missing fields) so other tools can rely on every key being present.
 */
export interface StatusReport {
  ready: boolean;
  reasons: string[];
  /** null while the proxy is not running. */
  accepting: boolean | null;
  /** Requests being worked on (submits waiting for a carrier, receipts being stored). */
  pendingWork: number;
  accounts: AccountReport[];
  carriers: CarrierReport[];
  routes: { name: string; ready: boolean }[];
  /** null while the store is not open. */
  store: StoreStats | null;
  nats: NatsReport;
  process: { pid: number; uptimeSeconds: number; rssBytes: number };
}

export interface AccountReport {
  name: string;
  binds: number;
  /** deliver_sm awaiting the ESME's response, over all its sessions. */
  windowUsed: number;
  /** Window over all its sessions. */
  window: number;
  /** Submits of this account waiting for a carrier. */
  submitting: number;
  /** Receipts and MO waiting in the durable queue for a receiver bind. */
  queued: number;
  sessions: SessionReport[];
}

export interface SessionReport {
  id: string;
  bindType: string;
  remote: string;
  tls: boolean;
  windowUsed: number;
  window: number;
  submitting: number;
}

export interface CarrierReport {
  name: string;
  kind: 'remote' | 'simulator';
  boundSenders: number;
  boundReceivers: number;
  /** Sending sessions the configuration asks for. */
  configuredSessions: number;
  inFlight: number;
  window: number;
  circuitOpen: boolean;
}

export type NatsReport =
  | { enabled: false }
  | {
      enabled: true;
      connected: boolean;
      streamReady: boolean;
      outboxDepth: number;
      inFlight: number;
      lagMs: number;
      published: number;
      duplicates: number;
      resent: number;
      rejected: number;
      lastError: string | null;
      lastErrorAt: string | null;
      lastAckAt: string | null;
    };

const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString());

export function buildStatusReport(view: RuntimeView): StatusReport {
  const snapshot = readView(view);
  const { status, store, publisher } = snapshot;
  const readiness = readinessOf(snapshot);
  const memory = process.memoryUsage();
  return {
    ready: readiness.ready,
    reasons: readiness.reasons,
    accepting: status?.accepting ?? null,
    pendingWork: status?.pendingWork ?? 0,
    accounts: (status?.accounts ?? []).map((a) => {
      const sessions = a.sessions.map((s) => ({
        id: s.id,
        bindType: s.bindType,
        remote: s.remote,
        tls: s.tls,
        windowUsed: s.pendingRequests,
        window: s.window,
        submitting: s.pendingResponses,
      }));
      return {
        name: a.name,
        binds: sessions.length,
        windowUsed: sum(sessions, (s) => s.windowUsed),
        window: sum(sessions, (s) => s.window),
        submitting: sum(sessions, (s) => s.submitting),
        queued: a.queued,
        sessions,
      };
    }),
    carriers: (status?.carriers ?? []).map((c) => ({
      name: c.name,
      kind: c.kind,
      boundSenders: c.boundSenders,
      boundReceivers: c.boundReceivers,
      configuredSessions: c.configuredSessions,
      inFlight: c.inFlight,
      window: c.window,
      circuitOpen: c.circuitOpen,
    })),
    routes: (status?.routes ?? []).map((r) => ({ name: r.name, ready: r.ready })),
    store: store ?? null,
    nats:
      publisher === undefined
        ? { enabled: false }
        : {
            enabled: true,
            connected: publisher.connected,
            streamReady: publisher.streamReady,
            outboxDepth: publisher.depth,
            inFlight: publisher.inFlight,
            lagMs: publisher.lagMs,
            published: publisher.published,
            duplicates: publisher.duplicates,
            resent: publisher.resent,
            rejected: publisher.rejected,
            lastError: publisher.lastError ?? null,
            lastErrorAt: iso(publisher.lastErrorAt),
            lastAckAt: iso(publisher.lastAckAt),
          },
    process: { pid: process.pid, uptimeSeconds: Math.round(process.uptime()), rssBytes: memory.rss },
  };
}

function sum<T>(items: readonly T[], value: (item: T) => number): number {
  let total = 0;
  for (const item of items) total += value(item);
  return total;
}
