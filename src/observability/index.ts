export { createLogger, type Logger, type LogOptions } from './logger.js';
export { createMetrics, type MetricsOptions, type ProxyMetrics } from './metrics.js';
export {
  ADMIN_PATHS,
  AdminErrorCodes,
  AdminServerError,
  startAdminServer,
  type AdminErrorCode,
  type AdminReloadResult,
  type AdminServer,
  type AdminServerOptions,
} from './admin.js';
export { attachEventLogs, type EventLogOptions } from './event-logs.js';
export { assessReadiness, readinessOf, readView, type Readiness, type ViewSnapshot } from './readiness.js';
export { buildStatusReport, type AccountReport, type CarrierReport, type NatsReport, type SessionReport, type StatusReport } from './status-report.js';
export { storeStatsOf, type RuntimeView, type StoreStats } from './view.js';
export { startObservability, type Observability, type ObservabilityOptions } from './setup.js';
export { OTHER, bindRefusalLabel, commandLabel, failoverReasonLabel, receiptStatLabel, statusLabel } from './labels.js';
