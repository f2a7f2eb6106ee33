import { afterAll, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import { record } from './contract.js';
import { TempDirs } from './helpers.js';

const dirs = new TempDirs();
afterAll(() => dirs.removeAll());

const COUNT = 50_000;

function rate(count: number, ms: number): string {
  return `${Math.round((count / ms) * 1000).toLocaleString('en')}/s`;
}

// Sanity, not a benchmark: no assertion on time (a loaded CI machine must not fail it), but the
// rates are printed so a regression is visible, and every write is checked afterwards.
it('takes a burst of 50k message records and 50k outbox events, all durable and readable', async () => {
  const store = await openStore({ path: dirs.make('throughput') });
  try {
    let started = performance.now();
    const puts: Promise<void>[] = [];
    for (let i = 0; i < COUNT; i++) {
      const hex = i.toString(16).padStart(8, '0');
      puts.push(store.messages.putMessage(record(`P${i}`, { carrierMessageId: hex }), [hex, String(i)]));
    }
    const issuedMs = performance.now() - started;
    await Promise.all(puts);
    const putMs = performance.now() - started;

    started = performance.now();
    let found = 0;
    for (let i = 0; i < COUNT; i++) {
      if ((await store.messages.getByCarrierKey('alpha', i.toString(16).padStart(8, '0')))?.proxyId === `P${i}`) found++;
    }
    const getMs = performance.now() - started;
    expect(found).toBe(COUNT);
    expect(store.messages.count()).toBe(COUNT);

    started = performance.now();
    const appends: Promise<number[]>[] = [];
    for (let i = 0; i < COUNT; i++) {
      appends.push(store.outbox.append([{ id: `evt-${i}`, subject: 'smpp.pdu.esme.acme.in.submit_sm', payload: `{"n":${i}}` }]));
    }
    const appendIssuedMs = performance.now() - started;
    const seqs = (await Promise.all(appends)).flat();
    const appendMs = performance.now() - started;
    expect(seqs).toEqual(seqs.map((_, index) => index + 1));
    expect(store.outbox.depth()).toBe(COUNT);

    console.log(
      [
        `putMessage x${COUNT} (2 carrier keys each): ${putMs.toFixed(0)} ms, ${rate(COUNT, putMs)}` +
          ` (calls issued in ${issuedMs.toFixed(0)} ms)`,
        `getByCarrierKey x${COUNT}: ${getMs.toFixed(0)} ms, ${rate(COUNT, getMs)}`,
        `outbox append x${COUNT} (one event per call): ${appendMs.toFixed(0)} ms, ${rate(COUNT, appendMs)}` +
          ` (calls issued in ${appendIssuedMs.toFixed(0)} ms)`,
        `store size: ${(store.sizeBytes() / 1_048_576).toFixed(1)} MiB`,
      ].join('\n'),
    );
  } finally {
    await store.close();
  }
});
