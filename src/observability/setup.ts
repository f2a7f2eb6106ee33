import type { ProxyEvents } from '../broker/events.js';
import type { AdminConfig } from '../config/types.js';
import { startAdminServer, type AdminReloadResult, type AdminServer } from './admin.js';
import { attachEventLogs, type EventLogOptions } from './event-logs.js';
import type { Logger } from './logger.js';
import { createMetrics, type ProxyMetrics } from './metrics.js';
import type { RuntimeView } from './view.js';

export interface ObservabilityOptions extends RuntimeView {
  events: ProxyEvents;
  admin: AdminConfig;
  logger: Logger;
  reload(): Promise<AdminReloadResult>;
  eventLogs?: EventLogOptions;
}

export interface Observability {
  readonly metrics: ProxyMetrics;
  /** undefined when `admin.listen: false`. */
  readonly admin: AdminServer | undefined;
  /** Closes the admin listener and detaches from the events. */
  close(): Promise<void>;
}

/**
 * Event logs, metrics and the admin listener in one call. Start it before the proxy: the view
 * callbacks may answer undefined until the proxy runs (readiness then says why), and binds made
 * while the proxy starts are already counted and logged.
 */
export async function startObservability(options: ObservabilityOptions): Promise<Observability> {
  const { events, logger, admin: adminConfig, eventLogs, reload, ...view } = options;
  const detachLogs = attachEventLogs(events, logger, eventLogs);
  const metrics = createMetrics({ events, ...view });
  let admin: AdminServer | undefined;
  if (adminConfig.listen !== undefined) {
    try {
      admin = await startAdminServer({ ...view, listen: adminConfig.listen, token: adminConfig.token, registry: metrics.registry, reload, logger });
    } catch (error) {
      metrics.close();
      detachLogs();
      throw error;
    }
  }
  return {
    metrics,
    admin,
    async close() {
      await admin?.close();
      metrics.close();
      detachLogs();
    },
  };
}
