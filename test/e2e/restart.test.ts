import { afterEach, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/index.js';
import { makePdu, Status, type PduOf } from '../../src/smpp/index.js';
import type { CarrierSimulator } from '../../src/sim/carrier-sim.js';
import {
  account,
  cleanupAll,
  makeConfig,
  readReceiptView,
  receiptFor,
  remoteCarrier,
  startCarrier,
  startProxy,
  tempDir,
  TestEsme,
  waitFor,
} from './harness.js';

/**
 * The id map and the delivery queues live in the embedded store: a proxy stopped between a
 * submit and its receipt, and started again over the same directory, still delivers it.
 */
afterEach(cleanupAll);

async function setup(receiptDelayMs: number): Promise<{ sim: CarrierSimulator; config: Config }> {
  const sim = await startCarrier('alpha', { receiptDelayMs, messageIdFormat: 'hex-decimal', firstMessageNumber: 0xabc0001 });
  const config = makeConfig(
    {
      accounts: { acme: account() },
      carriers: { alpha: remoteCarrier(sim, 'alpha') },
      routes: [{ name: 'all', prefix: [''], carriers: [{ carrier: 'alpha', cost: 0.01 }] }],
    },
    await tempDir('smpp-proxy-e2e-'),
  );
  return { sim, config };
}

describe('restart', () => {
  it('delivers a receipt the carrier sends after the proxy restarted', async () => {
    const { sim, config } = await setup(3_000);
    const first = await startProxy(config, { durable: true });
    const esme = await TestEsme.bind(first.port, 'acme');
    const resp = await esme.submit();
    expect(resp.status).toBe(Status.ESME_ROK);
    const proxyId = resp.body.message_id!;
    await first.stop();
    // The receipt is still to come: it will reach the next proxy, which knows the id only from disk.
    expect(sim.stats.receiptsSent).toBe(0);

    const second = await startProxy(config, { durable: true });
    const again = await TestEsme.bind(second.port, 'acme');
    const delivery = await again.waitForDelivery(receiptFor(proxyId), 8_000);
    expect(readReceiptView(delivery)).toEqual({ tlvId: proxyId, textId: proxyId, stat: 'DELIVRD' });
  });

  it('delivers, after a restart, a receipt that was queued while the ESME was away', async () => {
    const { sim, config } = await setup(50);
    const first = await startProxy(config, { durable: true });
    const esme = await TestEsme.bind(first.port, 'acme', { bindType: 'transmitter' });
    const resp = await esme.submit();
    const proxyId = resp.body.message_id!;
    await waitFor(() => sim.stats.receiptsAcknowledged === 1, 'the proxy to take the receipt');
    await waitFor(() => first.proxy.storeHandle.queues.depth('acme') === 1, 'the receipt to be queued');
    await first.stop();

    const second = await startProxy(config, { durable: true });
    expect(second.proxy.storeHandle.queues.depth('acme')).toBe(1);
    const receiver = await TestEsme.bind(second.port, 'acme', { bindType: 'receiver' });
    const delivery = await receiver.waitForDelivery(receiptFor(proxyId));
    expect(readReceiptView(delivery)?.textId).toBe(proxyId);
    await waitFor(() => second.proxy.storeHandle.queues.depth('acme') === 0, 'the queue to drain');
  });

  it('answers query_sm for a message submitted before the restart, and hands out new ids after it', async () => {
    const { sim, config } = await setup(60_000);
    const first = await startProxy(config, { durable: true });
    const before = await TestEsme.bind(first.port, 'acme');
    const proxyId = (await before.submit()).body.message_id!;
    await first.stop();

    const second = await startProxy(config, { durable: true });
    const esme = await TestEsme.bind(second.port, 'acme');
    const pending = esme.session.request(makePdu('query_sm', { message_id: proxyId, source_addr_ton: 5, source_addr_npi: 0, source_addr: 'ACME' }));
    const resp = (await pending!) as PduOf<'query_sm_resp'>;
    expect(resp.status).toBe(Status.ESME_ROK);
    expect(resp.body.message_id).toBe(proxyId);
    const forwarded = sim.received.filter((r) => r.command === 'query_sm').at(-1)!.pdu as PduOf<'query_sm'>;
    expect(forwarded.body.message_id).toBe(sim.submits[0]!.messageId);
    const next = (await esme.submit()).body.message_id!;
    expect(next).not.toBe(proxyId);
  });
});
