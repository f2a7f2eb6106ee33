import type { QueuedDelivery } from './types.js';

/**
 * The copy of a queued item a caller gets: its own pdu buffer, so what the caller does with it
 * cannot reach the stored item, and proxyId only when the item has one.
 */
export function deliveryView(id: string, account: string, item: Omit<QueuedDelivery, 'id' | 'account'>): QueuedDelivery {
  const view: QueuedDelivery = {
    id,
    account,
    kind: item.kind,
    pdu: Buffer.from(item.pdu),
    createdAt: item.createdAt,
    expiresAt: item.expiresAt,
    attempts: item.attempts,
    notBefore: item.notBefore,
  };
  if (item.proxyId !== undefined) view.proxyId = item.proxyId;
  return view;
}
