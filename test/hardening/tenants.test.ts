import { afterEach, describe, expect, it } from 'vitest';
import { Status, isReceipt, receiptedMessageIdOf } from '../../src/smpp/index.js';
import { Esme, account, cleanupAll, makeConfig, remoteCarrier, startCarrier, startProxy, waitFor } from './harness.js';

afterEach(cleanupAll);

const SUBMITS_EACH = 5_000;
const MO_EACH = 500;
const TENANTS = { acme: '447700900', globex: '447700901' } as const;
type Tenant = keyof typeof TENANTS;

describe('tenants', () => {
  it('two accounts exchanging 10k receipts and 1k MO over one carrier: every delivery reaches its owner, none the other', async () => {
    const carrier = await startCarrier('carrier', { receiptDelayMs: 10, recordLimit: 0 });
    const { proxy, port } = await startProxy(
      makeConfig({
        accounts: { acme: account({ window: 100 }), globex: account({ window: 100 }) },
        carriers: { main: remoteCarrier(carrier, 'carrier', { window: 200 }) },
        routes: [{ name: 'all', prefix: [''], carriers: [{ carrier: 'main', cost: 0.01 }] }],
        mo_routes: (Object.keys(TENANTS) as Tenant[]).map((name) => ({ prefix: [TENANTS[name]], account: name })),
      }),
    );
    const esmes = { acme: await Esme.bind(port, 'acme', { window: 100 }), globex: await Esme.bind(port, 'globex', { window: 100 }) };
    const ids: Record<Tenant, Set<string>> = { acme: new Set(), globex: new Set() };

    // Both tenants submit at once, to the same destinations, through the same carrier.
    await Promise.all(
      (Object.keys(esmes) as Tenant[]).map(async (tenant) => {
        const esme = esmes[tenant];
        const inFlight = new Set<Promise<void>>();
        for (let i = 0; i < SUBMITS_EACH; i++) {
          while (inFlight.size >= 100) await Promise.race(inFlight);
          const task = esme.submit({ destination_addr: `4477009${String(i).padStart(5, '0')}` }).then((resp) => {
            expect(resp.status).toBe(Status.ESME_ROK);
            ids[tenant].add(resp.body.message_id ?? '');
          });
          const tracked = task.finally(() => inFlight.delete(tracked));
          inFlight.add(tracked);
        }
        await Promise.all(inFlight);
      }),
    );
    expect(ids.acme.size).toBe(SUBMITS_EACH);
    expect(ids.globex.size).toBe(SUBMITS_EACH);

    // MO to each tenant's numbers, interleaved.
    const moResults = [];
    for (let i = 0; i < MO_EACH; i += 50) {
      moResults.push(
        ...(await Promise.all(
          Array.from({ length: 50 }, (_, j) =>
            (Object.keys(TENANTS) as Tenant[]).map((tenant) =>
              carrier.sendMo({ systemId: 'carrier', from: `4479${String(i + j).padStart(8, '0')}`, to: `${TENANTS[tenant]}${i + j}`, text: `for ${tenant} #${i + j}` }),
            ),
          ).flat(),
        )),
      );
    }
    expect(moResults.every((r) => r.ok)).toBe(true);

    for (const tenant of Object.keys(esmes) as Tenant[]) {
      await esmes[tenant].waitForDeliveries(SUBMITS_EACH + MO_EACH, 30_000);
    }
    await waitFor(() => proxy.pendingWork === 0, 'deliveries settled');

    const wrong: string[] = [];
    for (const tenant of Object.keys(esmes) as Tenant[]) {
      const other: Tenant = tenant === 'acme' ? 'globex' : 'acme';
      const receipts = new Set<string>();
      let mo = 0;
      for (const pdu of esmes[tenant].deliveries) {
        if (isReceipt(pdu.body.esm_class)) {
          const id = receiptedMessageIdOf(pdu.tlvs) ?? '';
          if (!ids[tenant].has(id)) wrong.push(`${tenant} got receipt ${id}${ids[other].has(id) ? ` of ${other}` : ''}`);
          receipts.add(id);
        } else {
          mo++;
          const text = pdu.body.short_message.toString('latin1');
          if (!pdu.body.destination_addr.startsWith(TENANTS[tenant]) || !text.startsWith(`for ${tenant} `)) {
            wrong.push(`${tenant} got MO to ${pdu.body.destination_addr}: ${text}`);
          }
        }
      }
      expect(receipts.size, `${tenant} receipts`).toBe(SUBMITS_EACH);
      expect(mo, `${tenant} MO`).toBe(MO_EACH);
    }
    expect(wrong).toEqual([]);
  }, 60_000);
});
