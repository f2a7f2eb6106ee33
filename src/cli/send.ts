import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { isSessionError, type BindType, type TlsClientOptions } from '../session/index.js';
import { SmppError, Status, encodePdu, messageStateName, statusName } from '../smpp/index.js';
import { ArgError, choiceArg, durationArg, integerArg, need, type ArgValue } from '../sim/arg-values.js';
import { isSimError } from '../sim/errors.js';
import { runLoad } from '../sim/load.js';
import type { TextCoding } from '../sim/message-text.js';
import { TestEsme, buildSubmitPdus, type EsmeReceipt, type MessageResult, type MessageSpec } from '../sim/test-esme.js';
import { EXIT, type CliIo } from './check.js';

const USAGE = `usage: smpp-proxy send --system-id ID --password PW --from SENDER --to NUMBER --text TEXT
                       [--host 127.0.0.1] [--port 2775] [--bind transceiver|transmitter]
                       [--count N] [--rate R] [--window W] [--dc 0|8]
                       [--tls [--ca FILE] [--insecure]] [--no-wait] [--timeout 30s] [--quiet]

A test ESME: binds, submits the text (split into concatenated parts when long) --count times,
prints each message id, waits for the delivery receipts on a transceiver bind and prints them,
then a summary: messages sent and accepted, errors by command_status, receipts by stat, msg/s.

  --count N      messages to send (default 1)
  --rate R       messages per second (default: as fast as the window allows)
  --window W     submit_sm awaiting a response at once (default 10)
  --dc 0|8       data_coding: 0 GSM default alphabet, 8 UCS-2 (default: 0 when the text fits)
  --bind TYPE    transceiver (default; receipts come back on it) or transmitter (no waiting)
  --no-wait      ask for no receipts and do not wait for any
  --timeout D    longest wait for each response and for the receipts after the last submit (default 30s)
  --tls          connect with TLS; --ca FILE trusts that CA, --insecure skips certificate checks
  --quiet        print only the summary

Exit status: 0 every message accepted (and every receipt arrived, when waiting), 1 otherwise, 2 bad usage.
`;

interface SendSettings {
  host: string;
  port: number;
  systemId: string;
  password: string;
  bindType: BindType;
  tls: TlsClientOptions | undefined;
  count: number;
  rate: number;
  window: number;
  timeoutMs: number;
  wait: boolean;
  quiet: boolean;
  message: MessageSpec;
}

export interface SendRunOptions {
  /** Stops sending and waiting (the summary is still printed); SIGINT/SIGTERM do this when absent. */
  signal?: AbortSignal;
}

/** `smpp-proxy send`: `argv` holds the arguments after the command name. */
export async function run(argv: string[], io: CliIo, options: SendRunOptions = {}): Promise<number> {
  const parsed = parseSettings(argv);
  if (parsed === 'help') {
    io.stdout.write(USAGE);
    return EXIT.ok;
  }
  if (!parsed.ok) {
    io.stderr.write(`smpp-proxy send: ${parsed.message}\n${USAGE}`);
    return EXIT.usage;
  }
  const settings = parsed.value;
  const stop = new AbortController();
  const detach = options.signal === undefined ? onProcessSignals(() => stop.abort()) : linkSignal(options.signal, stop);
  try {
    return await send(settings, io, stop.signal);
  } finally {
    detach();
  }
}

async function send(s: SendSettings, io: CliIo, signal: AbortSignal): Promise<number> {
  const out = (line: string): void => {
    if (!s.quiet) io.stdout.write(`${line}\n`);
  };
  let esme: TestEsme;
  try {
    esme = await TestEsme.connect({
      host: s.host,
      port: s.port,
      systemId: s.systemId,
      password: s.password,
      bindType: s.bindType,
      window: s.window,
      responseTimeoutMs: s.timeoutMs,
      connectTimeoutMs: Math.min(s.timeoutMs, 10_000),
      ...(s.tls === undefined ? {} : { tls: s.tls }),
      signal,
    });
  } catch (error) {
    io.stderr.write(`smpp-proxy send: cannot bind to ${s.host}:${s.port} as ${s.systemId}: ${describe(error)}\n`);
    return EXIT.failed;
  }
  out(`bound to ${s.host}:${s.port} as ${s.systemId} (${s.bindType})`);
  esme.on('receipt', (r) => out(`receipt id=${r.messageId} stat=${r.stat ?? '?'}${r.err === undefined ? '' : ` err=${r.err}`}${stateText(r)}`));
  esme.on('mo', (mo) => out(`mo from=${mo.from} to=${mo.to} text=${JSON.stringify(mo.text)}`));

  const load = await runLoad(esme, {
    count: s.count,
    rate: s.rate,
    concurrency: s.window,
    signal,
    message: () => s.message,
    onResult: (index, result) => {
      for (const part of result.parts) out(`${messageLabel(index, part.part, part.of)}: ${partText(part)}`);
    },
  });
  const submitSeconds = load.elapsedMs / 1000;
  const acceptedIds = load.results.flatMap((r) => r.parts.flatMap((p) => (p.messageId === undefined ? [] : [p.messageId])));

  let receipts: EsmeReceipt[] = [];
  let missing: string[] = [];
  const waiting = s.wait && s.bindType !== 'transmitter' && acceptedIds.length > 0;
  if (waiting && !esme.isClosed) {
    ({ received: receipts, missing } = await esme.waitForReceipts(acceptedIds, s.timeoutMs, signal));
  } else if (waiting) {
    missing = acceptedIds;
  }
  await closeQuietly(esme);

  const summary = summarize(load.results, submitSeconds, waiting ? { receipts, expected: acceptedIds.length } : undefined);
  io.stdout.write(`${summary.line}\n`);
  if (waiting && missing.length > 0) {
    io.stdout.write(`no receipt within ${s.timeoutMs / 1000} s for ${missing.length} message id${missing.length === 1 ? '' : 's'}\n`);
  }
  if (!load.completed) io.stdout.write(`stopped after ${load.results.length} of ${s.count} messages\n`);
  return summary.allAccepted && load.completed && missing.length === 0 ? EXIT.ok : EXIT.failed;
}

function messageLabel(index: number, part: number, of: number): string {
  return of === 1 ? `message ${index + 1}` : `message ${index + 1} part ${part}/${of}`;
}

function partText(part: MessageResult['parts'][number]): string {
  if (part.status === Status.ESME_ROK) return `accepted id=${part.messageId ?? ''}`;
  if (part.status !== undefined) return `refused ${statusName(part.status)} (0x${part.status.toString(16).padStart(8, '0')})`;
  return `no response: ${part.error?.message ?? 'unknown error'}`;
}

function stateText(receipt: EsmeReceipt): string {
  if (receipt.state === undefined) return '';
  return ` state=${messageStateName(receipt.state) ?? receipt.state}`;
}

interface Summary {
  line: string;
  allAccepted: boolean;
}

/** One line: messages sent and accepted, errors by status, receipts by stat, messages per second. */
export function summarize(results: readonly MessageResult[], seconds: number, receipts?: { receipts: readonly EsmeReceipt[]; expected: number }): Summary {
  const parts = results.reduce((n, r) => n + r.parts.length, 0);
  const accepted = results.filter((r) => r.ok).length;
  const errors = new Map<string, number>();
  for (const result of results) {
    for (const part of result.parts) {
      if (part.status === Status.ESME_ROK) continue;
      const key = part.status !== undefined ? statusName(part.status) : (part.error?.code ?? 'NO_RESPONSE');
      errors.set(key, (errors.get(key) ?? 0) + 1);
    }
  }
  const errorCount = [...errors.values()].reduce((a, b) => a + b, 0);
  const sent = parts === results.length ? `sent ${results.length}` : `sent ${results.length} (${parts} parts)`;
  const segments = [sent, `accepted ${accepted}`, `errors ${errorCount}${errors.size > 0 ? ` (${tally(errors)})` : ''}`];
  if (receipts !== undefined) {
    const stats = new Map<string, number>();
    for (const r of receipts.receipts) stats.set(r.stat ?? 'no stat', (stats.get(r.stat ?? 'no stat') ?? 0) + 1);
    segments.push(`receipts ${receipts.receipts.length}/${receipts.expected}${stats.size > 0 ? ` (${tally(stats)})` : ''}`);
  }
  const rate = seconds > 0 ? results.length / seconds : 0;
  segments.push(`${rate.toFixed(1)} msg/s`);
  return { line: `summary: ${segments.join(', ')}`, allAccepted: accepted === results.length };
}

function tally(counts: Map<string, number>): string {
  return [...counts.entries()].map(([k, n]) => `${k} ${n}`).join(', ');
}

async function closeQuietly(esme: TestEsme): Promise<void> {
  if (esme.isClosed) return;
  await esme.close();
}

function describe(error: unknown): string {
  if (isSessionError(error)) return error.message;
  return error instanceof Error ? error.message : String(error);
}

// ---------------------------------------------------------------------------------------------
// arguments

function parseSettings(argv: string[]): ArgValue<SendSettings> | 'help' {
  try {
    return readSettings(argv);
  } catch (error) {
    if (error instanceof ArgError || isSimError(error) || error instanceof SmppError) return { ok: false, message: error.message };
    // parseArgs reports unknown or malformed options with a plain TypeError.
    if (error instanceof TypeError) return { ok: false, message: error.message };
    throw error;
  }
}

function readSettings(argv: string[]): ArgValue<SendSettings> | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      'system-id': { type: 'string' },
      password: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      text: { type: 'string' },
      count: { type: 'string' },
      rate: { type: 'string' },
      window: { type: 'string' },
      dc: { type: 'string' },
      bind: { type: 'string' },
      tls: { type: 'boolean' },
      ca: { type: 'string' },
      insecure: { type: 'boolean' },
      'no-wait': { type: 'boolean' },
      timeout: { type: 'string' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help === true) return 'help';
  const missing = (['system-id', 'password', 'from', 'to', 'text'] as const).filter((k) => values[k] === undefined);
  if (missing.length > 0) throw new ArgError(`missing ${missing.map((k) => `--${k}`).join(', ')}`);

  const timeoutMs = need(durationArg('timeout', values.timeout ?? '30s'));
  if (timeoutMs === 0) throw new ArgError('--timeout must be more than 0');
  if (values.tls !== true && (values.ca !== undefined || values.insecure === true)) {
    throw new ArgError('--ca and --insecure only apply with --tls');
  }
  const wait = values['no-wait'] !== true;
  const dataCoding = values.dc === undefined ? undefined : (Number(need(choiceArg('dc', values.dc, ['0', '8'] as const))) as TextCoding);
  const message: MessageSpec = {
    from: values.from!,
    to: values.to!,
    text: values.text!,
    registeredDelivery: wait ? 1 : 0,
    ...(dataCoding === undefined ? {} : { dataCoding }),
  };
  // Built once up front so an unsendable text or address is a usage error, not N failed submits.
  buildSubmitPdus(message).forEach((pdu) => encodePdu(pdu));
  return {
    ok: true,
    value: {
      host: values.host ?? '127.0.0.1',
      port: need(integerArg('port', values.port ?? '2775', 1, 65_535)),
      systemId: values['system-id']!,
      password: values.password!,
      bindType: need(choiceArg('bind', values.bind ?? 'transceiver', ['transceiver', 'transmitter'] as const)),
      tls: values.tls === true ? tlsOptions(values.ca, values.insecure === true) : undefined,
      count: need(integerArg('count', values.count ?? '1', 1, 1_000_000)),
      rate: need(integerArg('rate', values.rate ?? '0', 0, 10_000_000)),
      window: need(integerArg('window', values.window ?? '10', 1, 10_000)),
      timeoutMs,
      wait,
      quiet: values.quiet === true,
      message,
    },
  };
}

function tlsOptions(caFile: string | undefined, insecure: boolean): TlsClientOptions {
  const tls: TlsClientOptions = { rejectUnauthorized: !insecure };
  if (caFile !== undefined) {
    try {
      tls.ca = readFileSync(caFile);
    } catch (error) {
      throw new ArgError(`--ca: cannot read ${caFile}: ${(error as Error).message}`);
    }
  }
  return tls;
}

function onProcessSignals(handler: () => void): () => void {
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

function linkSignal(signal: AbortSignal, controller: AbortController): () => void {
  const abort = (): void => controller.abort();
  if (signal.aborted) abort();
  else signal.addEventListener('abort', abort, { once: true });
  return () => signal.removeEventListener('abort', abort);
}
