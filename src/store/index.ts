export type {
  Clock,
  DeadLetter,
  DeadLetterQuery,
  DeliveryItem,
  DeliveryKind,
  DeliveryQueue,
  DurableStoreOptions,
  FinalOutcome,
  MessagePatch,
  MessageRecord,
  MessageStore,
  MessageSweepResult,
  Outbox,
  OutboxEntry,
  OutboxEvent,
  PutMessageOptions,
  QueuedDelivery,
  QueueSweepResult,
  Store,
  StoreOptions,
  SweepResult,
} from './types.js';
export { DeliveryKinds, EXPIRED_REASON } from './types.js';
export { StoreError, StoreErrorCodes, isStoreError, type StoreErrorCode } from './errors.js';
export { STORE_DEFAULTS, systemClock } from './options.js';
export { MAX_BATCH_LIMIT, MAX_KEY_PART_CHARS } from './validate.js';
export { openStore } from './lmdb/open.js';
export { openMemoryStore } from './memory/index.js';
export { startSweeper, type Sweeper, type SweeperOptions, type SweepTimers } from './sweeper.js';
