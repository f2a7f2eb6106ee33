export * from './subject.js';
export * from './schema.js';
export type { PduFields, ReceiptSummary } from './pdu-fields.js';
export { EventIdGenerator } from './event-id.js';
export type { AuditOutbox, OutboxRecordInput, OutboxRecordStored } from './outbox-port.js';
export { AuditRecorder, type AuditRecorderOptions } from './recorder.js';
export {
  AuditStreamError,
  DEFAULT_STREAM_NAME,
  ensureStream,
  validateStreamOptions,
  type AuditStreamOptions,
  type EnsureStreamResult,
} from './stream.js';
export { OutboxPublisher, type OutboxPublisherOptions, type PublisherStats } from './publisher.js';
export { NatsTransport, type NatsTransportOptions, type TransportLog } from './nats-transport.js';
export {
  RefusalKind,
  type OutgoingEvent,
  type PublishTransport,
  type TransportListener,
  type TransportState,
} from './transport.js';
export { auditSettingsFromConfig, AuditCredentialsError, type AuditNatsSettings } from './nats-settings.js';
export { formatEventLine } from './format.js';
export { BillingAggregator, formatBillingTable, formatCost, type BillingLine, type BillingSummary } from './billing-totals.js';
export { benchPublish, type BenchPublishOptions, type BenchPublishResult } from './bench-publish.js';
