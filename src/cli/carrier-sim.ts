import { parseArgs } from 'node:util';
import type { ListenAddress } from '../session/index.js';
import { statusName } from '../smpp/index.js';
import { ArgError, choiceArg, durationArg, integerArg, need, numberArg, statusArg } from '../sim/arg-values.js';
import { CarrierSimulator, type MoSpec } from '../sim/carrier-sim.js';
import { isSimError } from '../sim/errors.js';
import type { FailureSpec } from '../sim/failure-policy.js';
import { SIM_ID_FORMATS } from '../sim/message-ids.js';
import type { CarrierSimulatorOptions } from '../sim/options.js';
import { RECEIPT_STATS } from '../sim/receipt-pdu.js';
import { EXIT, type CliIo } from './check.js';

const USAGE = `usage: smpp-proxy carrier-sim [--port 2776] [--host 127.0.0.1] [--system-id ID --password PW]
                              [--dlr-status DELIVRD] [--dlr-delay 1s] [--dlr-err N]
                              [--fail-ratio R --fail-status S [--seed N]] [--fail-every N --fail-status S]
                              [--id-format hex|decimal|string|hex-decimal] [--throughput N]
                              [--response-delay D] [--silent]
                              [--mo-every D --mo-from NUMBER --mo-to NUMBER [--mo-text TEXT]] [--quiet]

A standalone carrier (SMSC) simulator, the same code the sandbox carriers of the YAML config run.
It answers submit_sm and data_sm with message ids, sends a delivery receipt after --dlr-delay
when registered_delivery asks for one, answers query_sm, cancel_sm and replace_sm, and can fail
or throttle submits, answer late or not at all, and send MO. It logs one line per bind, submit,
receipt and MO, and runs until SIGINT or SIGTERM.

  --port P            port to listen on; 0 picks a free one (default 2776)
  --system-id/--password
                      the only account allowed to bind (default: any system_id and password)
  --dlr-status S      stat of every receipt: ${RECEIPT_STATS.join(', ')} (default DELIVRD)
  --dlr-delay D       from submit to final state and receipt (default 1s)
  --dlr-err N         err: code in receipts (default 0)
  --fail-ratio R      share of submits (0..1) answered with --fail-status; --seed N makes it repeatable
  --fail-every N      answer every Nth submit with --fail-status instead
  --fail-status S     command_status for failed submits, by number or name (default 0x08 ESME_RSYSERR)
  --id-format F       message ids: hex, decimal, string, or hex-decimal (hex in the response, the
                      same number in decimal in the receipt) (default hex)
  --throughput N      submits per second before ESME_RTHROTTLED (default unlimited)
  --response-delay D  wait before answering each submit
  --silent            never answer submits
  --mo-every D        send an MO message this often to a bound receiver
  --quiet             log only start and stop

Exit status: 0 after a clean stop, 1 when it cannot listen, 2 bad usage.
`;

export interface CarrierSimRunOptions {
  /** Stops the simulator; SIGINT/SIGTERM do this when absent. */
  signal?: AbortSignal;
  /** Called once listening, with the address (the port chosen when --port 0). */
  onListening?: (address: ListenAddress, simulator: CarrierSimulator) => void;
}

interface MoSchedule {
  everyMs: number;
  mo: MoSpec;
}

interface Settings {
  simulator: CarrierSimulatorOptions;
  mo: MoSchedule | undefined;
  quiet: boolean;
}

/** `smpp-proxy carrier-sim`: `argv` holds the arguments after the command name. */
export async function run(argv: string[], io: CliIo, options: CarrierSimRunOptions = {}): Promise<number> {
  let settings: Settings | 'help';
  try {
    settings = readSettings(argv);
  } catch (error) {
    if (error instanceof ArgError || isSimError(error) || error instanceof TypeError) {
      io.stderr.write(`smpp-proxy carrier-sim: ${error.message}\n${USAGE}`);
      return EXIT.usage;
    }
    throw error;
  }
  if (settings === 'help') {
    io.stdout.write(USAGE);
    return EXIT.ok;
  }
  let simulator: CarrierSimulator;
  try {
    simulator = new CarrierSimulator(settings.simulator);
  } catch (error) {
    if (!isSimError(error)) throw error;
    io.stderr.write(`smpp-proxy carrier-sim: ${error.message}\n${USAGE}`);
    return EXIT.usage;
  }
  const log = (line: string): void => {
    io.stdout.write(`${new Date().toISOString()} ${line}\n`);
  };
  if (!settings.quiet) attachLogging(simulator, log);

  let address: ListenAddress;
  try {
    address = await simulator.start();
  } catch (error) {
    io.stderr.write(`smpp-proxy carrier-sim: cannot listen on ${settings.simulator.host}:${settings.simulator.port}: ${(error as Error).message}\n`);
    return EXIT.failed;
  }
  log(`carrier-sim listening on ${address.address}:${address.port} (${describeSettings(settings.simulator)})`);
  options.onListening?.(address, simulator);

  const stopMo = settings.mo === undefined ? () => undefined : scheduleMo(simulator, settings.mo, settings.quiet ? () => undefined : log);
  await waitForStop(options.signal);
  stopMo();
  log('stopping: unbinding sessions');
  await simulator.stop();
  const s = simulator.stats;
  log(
    `stopped: ${s.submitsReceived} submits (${s.accepted} accepted, ${s.failed} failed, ${s.throttled} throttled, ` +
      `${s.silenced} unanswered), ${s.receiptsAcknowledged} receipts delivered, ${s.moAcknowledged} MO delivered`,
  );
  return EXIT.ok;
}

function attachLogging(simulator: CarrierSimulator, log: (line: string) => void): void {
  simulator.on('bind', (b) => log(`bind ${b.systemId} ${b.bindType} from ${b.remoteAddress ?? '?'}: ${statusName(b.status)}`));
  simulator.on('session_closed', (c) => {
    if (c.systemId !== undefined) log(`session of ${c.systemId} closed: ${c.reason.code}`);
  });
  simulator.on('submit', (s) => {
    const body = s.pdu.body;
    const head = `${s.command} ${s.systemId} ${body.source_addr} -> ${body.destination_addr}`;
    if (s.outcome === 'silent') log(`${head}: not answered (silent)`);
    else if (s.messageId !== undefined) log(`${head}: accepted id=${s.messageId}${s.receiptId !== s.messageId ? ` (receipt id ${s.receiptId})` : ''}`);
    else log(`${head}: refused ${statusName(s.status ?? 0)} (${s.outcome})`);
  });
  simulator.on('receipt', (r) =>
    log(
      `receipt id=${r.receiptId} to ${r.systemId} stat=${r.stat} attempt ${r.attempt}: ` +
        (r.status === undefined ? 'no response' : statusName(r.status)),
    ),
  );
  simulator.on('receipt_dropped', (r) => log(`receipt for ${r.messageId} to ${r.systemId} dropped: ${r.reason}`));
  simulator.on('mo', (m) => {
    const head = `mo ${m.from} -> ${m.to}`;
    if (m.result.ok) log(`${head} to ${m.systemId}: delivered (${m.result.parts} part${m.result.parts === 1 ? '' : 's'})`);
    else if (m.result.reason === 'no_receiver') log(`${head}: not sent, no receiver bound`);
    else log(`${head} to ${m.systemId}: not delivered (${m.result.statuses.map((st) => (st === undefined ? 'no response' : statusName(st))).join(', ')})`);
  });
}

/** Sends an MO every everyMs, one at a time (a slow receiver delays the next rather than piling them up). */
function scheduleMo(simulator: CarrierSimulator, schedule: MoSchedule, log: (line: string) => void): () => void {
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    simulator
      .sendMo(schedule.mo)
      .catch((error: unknown) => log(`mo failed: ${(error as Error).message}`))
      .finally(() => {
        busy = false;
      });
  }, schedule.everyMs);
  return () => clearInterval(timer);
}

function waitForStop(signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal !== undefined) {
      if (signal.aborted) resolve();
      else signal.addEventListener('abort', () => resolve(), { once: true });
      return;
    }
    const on = (): void => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve();
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

function describeSettings(o: CarrierSimulatorOptions): string {
  const parts = [
    o.accounts !== undefined && o.accounts.length > 0 ? `system_id ${o.accounts[0]!.systemId}` : 'any bind accepted',
    `ids ${o.messageIdFormat ?? 'hex'}`,
    `receipts ${o.receiptStatus ?? 'DELIVRD'} after ${o.receiptDelayMs ?? 1000} ms`,
  ];
  if (o.failure) {
    const how = 'everyNth' in o.failure ? `every ${o.failure.everyNth}th submit` : `${Number((o.failure.ratio * 100).toPrecision(6))}% of submits`;
    parts.push(`failing ${how} with ${statusName(o.failure.status)}`);
  }
  if (o.throughput) parts.push(`throttling above ${o.throughput}/s`);
  if (o.responseDelayMs) parts.push(`answering after ${o.responseDelayMs} ms`);
  if (o.silent) parts.push('silent');
  return parts.join(', ');
}

function readSettings(argv: string[]): Settings | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'system-id': { type: 'string' },
      password: { type: 'string' },
      'dlr-status': { type: 'string' },
      'dlr-delay': { type: 'string' },
      'dlr-err': { type: 'string' },
      'fail-ratio': { type: 'string' },
      'fail-every': { type: 'string' },
      'fail-status': { type: 'string' },
      seed: { type: 'string' },
      'id-format': { type: 'string' },
      throughput: { type: 'string' },
      'response-delay': { type: 'string' },
      silent: { type: 'boolean' },
      'mo-every': { type: 'string' },
      'mo-from': { type: 'string' },
      'mo-to': { type: 'string' },
      'mo-text': { type: 'string' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help === true) return 'help';

  const systemId = values['system-id'];
  const password = values.password;
  if ((systemId === undefined) !== (password === undefined)) throw new ArgError('--system-id and --password go together');

  const simulator: CarrierSimulatorOptions = {
    host: values.host ?? '127.0.0.1',
    port: need(integerArg('port', values.port ?? '2776', 0, 65_535)),
    accounts: systemId === undefined ? [] : [{ systemId, password: password! }],
    messageIdFormat: need(choiceArg('id-format', values['id-format'] ?? 'hex', SIM_ID_FORMATS)),
    receiptStatus: need(choiceArg('dlr-status', values['dlr-status'] ?? 'DELIVRD', RECEIPT_STATS)),
    receiptDelayMs: need(durationArg('dlr-delay', values['dlr-delay'] ?? '1s')),
    receiptErr: need(integerArg('dlr-err', values['dlr-err'] ?? '0', 0, 999)),
    throughput: need(integerArg('throughput', values.throughput ?? '0', 0, 100_000_000)),
    responseDelayMs: need(durationArg('response-delay', values['response-delay'] ?? '0')),
    silent: values.silent === true,
    failure: readFailure(values['fail-ratio'], values['fail-every'], values['fail-status'], values.seed),
    recordLimit: 0,
  };
  return { simulator, mo: readMo(values), quiet: values.quiet === true };
}

function readFailure(ratio: string | undefined, every: string | undefined, status: string | undefined, seed: string | undefined): FailureSpec | null {
  if (ratio !== undefined && every !== undefined) throw new ArgError('--fail-ratio and --fail-every cannot be combined');
  if (ratio === undefined && every === undefined) {
    if (status !== undefined || seed !== undefined) throw new ArgError('--fail-status and --seed need --fail-ratio or --fail-every');
    return null;
  }
  const failStatus = need(statusArg('fail-status', status ?? '0x08'));
  if (every !== undefined) {
    if (seed !== undefined) throw new ArgError('--seed only applies to --fail-ratio');
    return { everyNth: need(integerArg('fail-every', every, 1, 1_000_000_000)), status: failStatus };
  }
  const spec: FailureSpec = { ratio: need(numberArg('fail-ratio', ratio!, 0, 1)), status: failStatus };
  if (seed !== undefined) spec.seed = need(integerArg('seed', seed, 0, 0xffff_ffff));
  return spec;
}

function readMo(values: Record<string, string | boolean | undefined>): MoSchedule | undefined {
  const every = values['mo-every'] as string | undefined;
  const from = values['mo-from'] as string | undefined;
  const to = values['mo-to'] as string | undefined;
  const text = values['mo-text'] as string | undefined;
  if (every === undefined) {
    if (from !== undefined || to !== undefined || text !== undefined) throw new ArgError('--mo-from, --mo-to and --mo-text need --mo-every');
    return undefined;
  }
  if (from === undefined || to === undefined) throw new ArgError('--mo-every needs --mo-from and --mo-to');
  // deliver_sm addresses are C-octet strings of at most 21 octets, NUL included.
  for (const [name, value] of [['mo-from', from], ['mo-to', to]] as const) {
    if (value.length === 0 || value.length > 20) throw new ArgError(`--${name} must be 1 to 20 characters, got ${JSON.stringify(value)}`);
  }
  const everyMs = need(durationArg('mo-every', every));
  if (everyMs < 10) throw new ArgError('--mo-every must be at least 10ms');
  return { everyMs, mo: { from, to, text: text ?? 'hello from carrier-sim' } };
}
