import type { TlsClientOptions } from '../session/index.js';
import { CarrierSimulator } from '../sim/carrier-sim.js';
import { runLoad } from '../sim/load.js';
import { TestEsme } from '../sim/test-esme.js';
import type { BenchReport, BenchScenario } from './report.js';

/** Any SMSC a test ESME can bind to: the carrier simulator directly, or the proxy in front of one. */
export interface EsmeRunTarget {
  host: string;
  port: number;
  systemId: string;
  password: string;
  tls?: boolean | TlsClientOptions;
}

export interface EsmeRunOptions {
  messages: number;
  /** submit_sm in flight at once. */
  window: number;
  /** Longest wait for the last receipts after the last response. Default 60 s. */
  receiptTimeoutMs?: number;
  text?: string;
  /** Default 447700900123. */
  destination?: string;
  /** Default BENCH. */
  sender?: string;
}

export interface EsmeRunResult {
  messages: number;
  accepted: number;
  refused: number;
  receipts: number;
  missingReceipts: number;
  /** From the first submit to the last submit_sm_resp. */
  submitSeconds: number;
  /** From the first submit to the last receipt (or the receipt timeout). */
  totalSeconds: number;
  /** Messages accepted and receipted, per second of totalSeconds: the end-to-end figure. */
  messagesPerSecond: number;
  /** Responses per second of submitSeconds. */
  submitsPerSecond: number;
}

/**
 * One measured run: a transceiver TestEsme submits `messages` single-part messages with
 * registered_delivery 1 through a window, then waits for every receipt. The same function
 * measures the direct run and the through-the-proxy run, so the two figures compare like for like.
 */
export async function measureEsmeRun(target: EsmeRunTarget, options: EsmeRunOptions): Promise<EsmeRunResult> {
  const esme = await TestEsme.connect({
    host: target.host,
    port: target.port,
    systemId: target.systemId,
    password: target.password,
    ...(target.tls === undefined ? {} : { tls: target.tls }),
    bindType: 'transceiver',
    window: options.window,
    responseTimeoutMs: 30_000,
    enquireLinkIntervalMs: 0,
  });
  try {
    const spec = { from: options.sender ?? 'BENCH', to: options.destination ?? '447700900123', text: options.text ?? 'Benchmark message with a receipt' };
    const start = performance.now();
    const load = await runLoad(esme, { count: options.messages, concurrency: options.window, message: () => spec });
    const submitSeconds = (performance.now() - start) / 1000;
    const ids = load.results.flatMap((r) => (r.ok ? [r.parts[0]!.messageId!] : []));
    const wait = await esme.waitForReceipts(ids, options.receiptTimeoutMs ?? 60_000);
    const totalSeconds = (performance.now() - start) / 1000;
    return {
      messages: load.results.length,
      accepted: ids.length,
      refused: load.results.length - ids.length,
      receipts: wait.received.length,
      missingReceipts: wait.missing.length,
      submitSeconds,
      totalSeconds,
      messagesPerSecond: wait.received.length / totalSeconds,
      submitsPerSecond: load.results.length / submitSeconds,
    };
  } finally {
    if (!esme.isClosed) await esme.close();
  }
}

export interface DirectBenchOptions {
  /** Default 20,000. */
  messages?: number;
  /** Default 100. */
  window?: number;
  /** Simulator's submit-to-receipt delay. Default 0, so the figure is the SMPP path's own cost. */
  receiptDelayMs?: number;
}

/** Messages per second with receipts from a TestEsme straight to a CarrierSimulator on loopback: the baseline for the proxy. */
export async function benchDirect(options: DirectBenchOptions = {}): Promise<EsmeRunResult & { window: number }> {
  const window = options.window ?? 100;
  const account = { systemId: 'bench', password: 'bench' };
  const simulator = new CarrierSimulator({
    accounts: [account],
    receiptDelayMs: options.receiptDelayMs ?? 0,
    recordLimit: 0,
    session: { windowSize: window, enquireLinkIntervalMs: 0 },
  });
  const address = await simulator.start();
  try {
    const result = await measureEsmeRun({ host: address.address, port: address.port, ...account }, { messages: options.messages ?? 20_000, window });
    return { ...result, window };
  } finally {
    await simulator.stop();
  }
}

const DIRECT_TITLE = 'messages/s with receipts, test ESME straight to the carrier simulator (the baseline for the proxy)';

export const directScenario: BenchScenario = {
  name: 'direct',
  title: DIRECT_TITLE,
  async run({ quick }): Promise<BenchReport> {
    const r = await benchDirect(quick ? { messages: 500, window: 50 } : {});
    return {
      scenario: 'direct',
      title: DIRECT_TITLE,
      metrics: [
        { name: 'end to end (with receipts)', value: r.messagesPerSecond, unit: 'msg/s' },
        { name: 'submits answered', value: r.submitsPerSecond, unit: 'msg/s' },
        { name: 'receipts missing', value: r.missingReceipts, unit: 'msg' },
      ],
      notes: [`${r.messages} single-part submit_sm, window ${r.window}, one transceiver bind, receipts sent at once, loopback, one process`],
    };
  },
};
