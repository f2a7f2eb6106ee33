import { parseArgs } from 'node:util';
import { explainRoute, type ExplainedCandidate, type RouteExplanation } from '../routing/index.js';
import { statusName } from '../smpp/status.js';
import { EXIT, loadForCli, type CliIo } from './check.js';

const USAGE = `usage: smpp-proxy route -c FILE --account NAME --to NUMBER --from SENDER [--ton N] [--npi N] [--json]

Explains how the proxy would route one submit_sm, without sending anything: the account and
sender checks, the matched route and prefix, the carriers in the order they would be tried with
their cost, and the sender each carrier would see after sender_rewrite.
This runs offline, so carrier health is unknown: every carrier is treated as bound.
Exit status: 0 the message would be accepted, 1 it would be rejected (or the config is invalid), 2 bad usage.
`;

/** `smpp-proxy route`: `argv` holds the arguments after the command name. */
export async function run(argv: string[], io: CliIo): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        config: { type: 'string', short: 'c' },
        account: { type: 'string' },
        to: { type: 'string' },
        from: { type: 'string' },
        ton: { type: 'string' },
        npi: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    return usage(io, (error as Error).message);
  }
  if (values.help) {
    io.stdout.write(USAGE);
    return EXIT.ok;
  }
  const missing = (['config', 'account', 'to', 'from'] as const).filter((key) => values[key] === undefined);
  if (missing.length > 0) return usage(io, `missing ${missing.map((key) => `--${key}`).join(', ')}`);
  const ton = byteOption(values.ton, 'ton');
  const npi = byteOption(values.npi, 'npi');
  if (typeof ton === 'string') return usage(io, ton);
  if (typeof npi === 'string') return usage(io, npi);

  const config = loadForCli(values.config as string, io);
  if (config === undefined) return EXIT.failed;
  const explanation = explainRoute(config, {
    account: values.account as string,
    to: values.to as string,
    from: values.from as string,
    ton: ton ?? 0,
    npi: npi ?? 0,
  });
  io.stdout.write(values.json ? `${JSON.stringify(toJson(explanation), (_key, value: unknown) => (value === undefined ? null : value), 2)}\n` : render(explanation));
  return explanation.ok ? EXIT.ok : EXIT.failed;
}

function usage(io: CliIo, message: string): number {
  io.stderr.write(`smpp-proxy route: ${message}\n${USAGE}`);
  return EXIT.usage;
}

/** undefined when absent, the number when valid, an error message otherwise. */
function byteOption(text: string | undefined, name: string): number | string | undefined {
  if (text === undefined) return undefined;
  if (!/^\d{1,3}$/.test(text) || Number(text) > 255) return `--${name} must be an integer from 0 to 255, got ${JSON.stringify(text)}`;
  return Number(text);
}

function toJson(explanation: RouteExplanation): RouteExplanation & { statusName: string } {
  return { ...explanation, statusName: statusName(explanation.status) };
}

function render(e: RouteExplanation): string {
  const lines: string[] = [];
  const row = (label: string, value: string) => lines.push(`${label.padEnd(10)} ${value}`);
  row('account', e.input.account);
  row('from', `${e.input.from} (ton ${e.input.ton}, npi ${e.input.npi})`);
  row('to', e.destination === undefined || e.destination === e.input.to ? e.input.to : `${e.input.to} (matched as ${e.destination})`);
  if (e.route) row('route', `${e.route.name} (prefix ${JSON.stringify(e.route.prefix)}${e.route.prefix === '' ? ', catch-all' : ''})`);
  if (e.candidates.length > 0) {
    lines.push(`carriers   in failover order${e.healthKnown ? '' : ' (offline: health unknown, every carrier treated as bound)'}:`);
    const width = Math.max(...e.candidates.map((c) => c.carrier.length));
    for (const candidate of e.candidates) lines.push(`  ${renderCandidate(candidate, width)}`);
  }
  if (e.ok) {
    const first = e.candidates.find((c) => c.attempt === 1);
    row('result', `accepted: submit_sm goes to ${first?.carrier ?? '?'} first`);
  } else {
    row('result', `rejected with ${statusName(e.status)} (0x${e.status.toString(16).toUpperCase().padStart(2, '0')}): ${e.message}`);
  }
  return `${lines.join('\n')}\n`;
}

function renderCandidate(c: ExplainedCandidate, width: number): string {
  const position = c.attempt === undefined ? '-.' : `${c.attempt}.`;
  const health = c.health === 'unknown' ? 'unknown health (offline explanation)' : c.health.replace('_', ' ');
  const skipped = c.skipped === undefined ? '' : ` [skipped: ${c.skipped.replace('_', ' ')}]`;
  const s = c.sender;
  const sender = s.rule === undefined ? `sender ${s.sender}` : `sender ${s.sender} ton ${s.ton} npi ${s.npi} (sender_rewrite[${s.rule}])`;
  return `${position} ${c.carrier.padEnd(width)}  cost ${String(c.cost).padEnd(8)} ${health}${skipped}  ${sender}`;
}
