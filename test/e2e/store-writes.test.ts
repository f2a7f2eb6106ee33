import { afterEach, describe, expect, it, vi } from 'vitest';
import type { DlrEvent } from '../../src/broker/events.js';
import { Status } from '../../src/smpp/index.js';
import { openMemoryStore } from '../../src/store/index.js';
import { account, cleanupAll, makeConfig, receiptFor, remoteCarrier, startCarrier, startProxy, TestEsme, track, waitFor } from './harness.js';

/**
 * What one message with its receipt costs the store when the ESME is bound and answers: the id
 * map written once at submit, nothing written on the way back (the outcome goes to the audit
 * trail as the dlr event).
 */
afterEach(cleanupAll);

describe('store work per message', () => {
  it('a receipt passed through writes nothing to the store; its outcome is in the dlr event', async () => {
    const carrier = await startCarrier('carrier', { receiptStatus: 'UNDELIV', receiptErr: 27 });
    const store = openMemoryStore();
    track(() => store.close());
    const update = vi.spyOn(store.messages, 'updateMessage');
    const put = vi.spyOn(store.messages, 'putMessage');
    const enqueue = vi.spyOn(store.queues, 'enqueue');
    const running = await startProxy(
      makeConfig({
        accounts: { acme: account() },
        carriers: { main: remoteCarrier(carrier, 'carrier') },
        routes: [{ name: 'all', prefix: [''], carriers: [{ carrier: 'main', cost: 0.01 }] }],
      }),
      { store },
    );
    const dlrs: DlrEvent[] = [];
    running.proxy.events.on('dlr', (e) => dlrs.push(e));
    const esme = await TestEsme.bind(running.port, 'acme');
    const resp = await esme.submit({ destination_addr: '447700900123', registered_delivery: 1 });
    expect(resp.status).toBe(Status.ESME_ROK);
    const proxyId = resp.body.message_id!;
    await esme.waitForDelivery(receiptFor(proxyId));
    await waitFor(() => carrier.stats.receiptsAcknowledged === 1, 'the carrier to get our answer');

    expect(put).toHaveBeenCalledTimes(1);
    // A new proxy id: the store is told there is no earlier record to look for.
    expect(put.mock.calls[0]![2]).toEqual({ fresh: true });
    expect(update).not.toHaveBeenCalled();
    expect(enqueue).not.toHaveBeenCalled();
    expect(dlrs).toEqual([expect.objectContaining({ proxyId, account: 'acme', carrier: 'main', stat: 'UNDELIV', err: '027' })]);
    expect((await store.messages.getByProxyId(proxyId))?.final).toBeUndefined();
  });
});
