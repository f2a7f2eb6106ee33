import { afterEach, describe, expect, it } from 'vitest';
import { Status } from '../../src/smpp/index.js';
import { runLoad } from '../../src/sim/load.js';
import { buildSubmitPdus } from '../../src/sim/test-esme.js';
import { ACCOUNT, cleanupAll, connectEsme, eventually, startSim } from './helpers.js';

afterEach(cleanupAll);

const message = { from: 'ACME', to: '447700900123', text: 'hello' };

describe('TestEsme', () => {
  it('submits, and finds each receipt by its message id', async () => {
    const sim = await startSim();
    const esme = await connectEsme(sim.port);
    const result = await esme.submit(message);
    expect(result.ok).toBe(true);
    const id = result.parts[0]!.messageId!;
    const wait = await esme.waitForReceipts([id], 5_000);
    expect(wait.missing).toEqual([]);
    expect(wait.received[0]).toMatchObject({ messageId: id, stat: 'DELIVRD', state: 2, err: '000' });
    expect(esme.receiptFor(id.toLowerCase())).toBe(wait.received[0]);
  });

  it('matches a decimal receipt id to the hex id of the response', async () => {
    const sim = await startSim({ messageIdFormat: 'hex-decimal' });
    const esme = await connectEsme(sim.port);
    const id = (await esme.submit(message)).parts[0]!.messageId!;
    const wait = await esme.waitForReceipts([id], 5_000);
    expect(wait.missing).toEqual([]);
    expect(wait.received[0]!.messageId).toBe(String(Number.parseInt(id, 16)));
  });

  it('sends a long text as concatenated parts and reports each', async () => {
    const sim = await startSim();
    const esme = await connectEsme(sim.port);
    const result = await esme.submit({ ...message, text: 'z'.repeat(400), reference: 7 });
    expect(result.parts.map((p) => [p.part, p.of, p.status])).toEqual([
      [1, 3, 0],
      [2, 3, 0],
      [3, 3, 0],
    ]);
    const bodies = sim.submits.map((s) => (s.pdu.command === 'submit_sm' ? s.pdu.body : undefined)!);
    expect(bodies.map((b) => [...b.short_message.subarray(0, 6)])).toEqual([
      [5, 0, 3, 7, 3, 1],
      [5, 0, 3, 7, 3, 2],
      [5, 0, 3, 7, 3, 3],
    ]);
    expect(bodies.every((b) => b.esm_class === 0x40)).toBe(true);
  });

  it('reports refusals and missing responses instead of throwing', async () => {
    const sim = await startSim({ failure: { everyNth: 1, status: Status.ESME_RMSGQFUL } });
    // Long enough for a loaded machine to answer the refusal; the silent submit then waits it out.
    const esme = await connectEsme(sim.port, { responseTimeoutMs: 1_000 });
    expect(await esme.submit(message)).toMatchObject({ ok: false, parts: [{ status: Status.ESME_RMSGQFUL, messageId: undefined }] });
    sim.configure({ silent: true });
    const silent = await esme.submit(message);
    expect(silent.parts[0]).toMatchObject({ status: undefined, error: { code: 'RESPONSE_TIMEOUT' } });
  });

  it('receives MO and can refuse deliveries to exercise the sender', async () => {
    let refuse = true;
    const sim = await startSim({ receiptRetryMs: 20 });
    const esme = await connectEsme(sim.port, { deliverResponse: () => (refuse ? Status.ESME_RX_T_APPN : Status.ESME_ROK) });
    const id = (await esme.submit(message)).parts[0]!.messageId!;
    await eventually(() => sim.stats.receiptsSent >= 1);
    expect(esme.receipts).toHaveLength(0);
    refuse = false;
    expect((await esme.waitForReceipts([id], 5_000)).missing).toEqual([]);
    const mo = await sim.sendMo({ from: '447700900001', to: '88888', text: 'Привет' });
    expect(mo.ok).toBe(true);
    expect(esme.mos[0]).toMatchObject({ from: '447700900001', to: '88888', dataCoding: 8, text: 'Привет' });
  });

  it('stops waiting for receipts on timeout and reports the missing ids', async () => {
    const sim = await startSim({ receiptDelayMs: 60_000 });
    const esme = await connectEsme(sim.port);
    const id = (await esme.submit(message)).parts[0]!.messageId!;
    const wait = await esme.waitForReceipts([id], 50);
    expect(wait).toEqual({ received: [], missing: [id] });
  });

  it('builds submit PDUs with sensible address types', () => {
    const [alpha] = buildSubmitPdus({ from: 'ACME', to: '447700900123', text: 'x' });
    const [numeric] = buildSubmitPdus({ from: '447700900001', to: '447700900123', text: 'x', registeredDelivery: 0 });
    expect(alpha!.body).toMatchObject({ source_addr_ton: 5, source_addr_npi: 0, dest_addr_ton: 1, dest_addr_npi: 1, registered_delivery: 1 });
    expect(numeric!.body).toMatchObject({ source_addr_ton: 1, source_addr_npi: 1, registered_delivery: 0 });
  });
});

describe('runLoad', () => {
  it('sends N messages within the window and all their receipts come back', async () => {
    const sim = await startSim({ receiptDelayMs: 0 });
    const esme = await connectEsme(sim.port, { window: 8 });
    let peak = 0;
    sim.on('submit', () => {
      peak = Math.max(peak, esme.session.pendingRequests);
    });
    const load = await runLoad(esme, { count: 200, concurrency: 8, message: (i) => ({ ...message, text: `message ${i}` }) });
    expect(load.completed).toBe(true);
    expect(load.results).toHaveLength(200);
    expect(load.results.every((r) => r.ok)).toBe(true);
    expect(peak).toBeLessThanOrEqual(8);
    const ids = load.results.map((r) => r.parts[0]!.messageId!);
    expect(new Set(ids).size).toBe(200);
    expect((await esme.waitForReceipts(ids, 10_000)).missing).toEqual([]);
    expect(sim.stats).toMatchObject({ submitsReceived: 200, accepted: 200 });
  });

  it('paces to the requested rate', async () => {
    const sim = await startSim();
    const esme = await connectEsme(sim.port);
    const load = await runLoad(esme, { count: 6, rate: 50, concurrency: 4, message: () => message });
    // Five gaps of 20 ms: pacing must have held the run back at least that long.
    expect(load.elapsedMs).toBeGreaterThanOrEqual(90);
  });

  it('stops submitting when aborted and says so', async () => {
    const sim = await startSim();
    const esme = await connectEsme(sim.port);
    const abort = new AbortController();
    const load = await runLoad(esme, {
      count: 1000,
      rate: 100,
      concurrency: 1,
      signal: abort.signal,
      message: () => message,
      onResult: (index) => {
        if (index === 2) abort.abort();
      },
    });
    expect(load.completed).toBe(false);
    expect(load.results.length).toBeGreaterThanOrEqual(3);
    expect(load.results.length).toBeLessThan(10);
    expect(sim.stats.submitsReceived).toBe(load.results.length);
    expect(ACCOUNT.systemId).toBe(sim.sessions[0]!.systemId);
  });
});
