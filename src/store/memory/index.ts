import { Lifecycle } from '../lifecycle.js';
import { resolveStoreOptions } from '../options.js';
import type { Store, StoreOptions, SweepResult } from '../types.js';
import { MemoryMessageStore } from './messages.js';
import { MemoryOutbox } from './outbox.js';
import { MemoryDeliveryQueue } from './queues.js';

/**
 * The store's semantics without durability: for unit tests of the modules built on the store,
 * and for tools that need no persistence. Nothing survives close().
 */
export function openMemoryStore(options: StoreOptions = {}): Store {
  const resolved = resolveStoreOptions(options);
  const lifecycle = new Lifecycle();
  const messages = new MemoryMessageStore(lifecycle, resolved);
  const queues = new MemoryDeliveryQueue(lifecycle, resolved);
  const outbox = new MemoryOutbox(lifecycle, resolved);
  return {
    messages,
    queues,
    outbox,
    sizeBytes: () => messages.estimateBytes() + queues.estimateBytes() + outbox.bytes(),
    async sweep(limit?: number): Promise<SweepResult> {
      return { messages: await messages.sweepExpired(limit), queues: await queues.sweepExpired(limit) };
    },
    async close(): Promise<void> {
      lifecycle.close();
    },
  };
}
