import { parseArgs } from 'node:util';
import { ConfigError, formatProblem, loadConfig, type Config } from '../config/index.js';

export interface CliIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

/** Exit codes shared by the configuration commands. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

const USAGE = `usage: smpp-proxy check -c FILE | --config FILE

Validates a configuration file without starting anything.
Exit status: 0 valid, 1 invalid (every problem is listed as file:line:col key: message), 2 bad usage.
`;

/** `smpp-proxy check`: `argv` holds the arguments after the command name. */
export async function run(argv: string[], io: CliIo): Promise<number> {
  let file: string | undefined;
  try {
    const { values } = parseArgs({ args: argv, options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: false });
    if (values.help) {
      io.stdout.write(USAGE);
      return EXIT.ok;
    }
    file = values.config;
  } catch (error) {
    io.stderr.write(`smpp-proxy check: ${(error as Error).message}\n${USAGE}`);
    return EXIT.usage;
  }
  if (file === undefined) {
    io.stderr.write(`smpp-proxy check: --config FILE is required\n${USAGE}`);
    return EXIT.usage;
  }
  const config = loadForCli(file, io);
  if (config === undefined) return EXIT.failed;
  io.stdout.write(`OK: ${file}: ${summarize(config)}\n`);
  return EXIT.ok;
}

/** Loads a configuration, printing every problem to stderr when it is invalid. */
export function loadForCli(file: string, io: CliIo): Config | undefined {
  try {
    return loadConfig(file);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const count = error.problems.length === 1 ? '1 problem' : `${error.problems.length} problems`;
    io.stderr.write(`${file}: invalid configuration, ${count}:\n`);
    for (const problem of error.problems) io.stderr.write(`${formatProblem(problem)}\n`);
    return undefined;
  }
}

function summarize(config: Config): string {
  const carriers = Object.values(config.carriers);
  const simulated = carriers.filter((c) => c.kind === 'simulator').length;
  const parts = [
    plural(Object.keys(config.accounts).length, 'account'),
    `${plural(carriers.length, 'carrier')}${simulated > 0 ? ` (${simulated} simulated)` : ''}`,
    plural(config.routes.length, 'route'),
    plural(config.senderRewrite.length, 'sender rewrite rule'),
    plural(config.moRoutes.length, 'MO route'),
  ];
  return parts.join(', ');
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
