import { availableParallelism, cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { renderTable, type BenchReport, type BenchScenario } from './report.js';

export interface BenchIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

const USAGE = `usage: npm run bench -- [--only NAME[,NAME...]] [--json] [--quick] [--list]

Runs the benchmark scenarios and prints a table (or, with --json, one JSON document).
  --only   run only these scenarios
  --quick  short runs for a smoke test; the figures are rough
  --list   print the scenario names and exit
`;

/** The JSON document --json prints. */
export interface BenchOutput {
  date: string;
  node: string;
  platform: string;
  cpu: string;
  cores: number;
  quick: boolean;
  results: BenchReport[];
  errors: { scenario: string; message: string }[];
}

/** Runs the selected scenarios one after another; exit status 0, 1 when one failed, 2 on bad usage. */
export async function runBench(argv: string[], io: BenchIo, scenarios: readonly BenchScenario[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { only: { type: 'string' }, json: { type: 'boolean' }, quick: { type: 'boolean' }, list: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    io.stderr.write(`bench: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help === true) {
    io.stdout.write(USAGE);
    return 0;
  }
  if (values.list === true) {
    for (const s of scenarios) io.stdout.write(`${s.name.padEnd(12)} ${s.title}\n`);
    return 0;
  }
  const names = values.only === undefined ? scenarios.map((s) => s.name) : values.only.split(',').map((n) => n.trim()).filter(Boolean);
  const unknown = names.filter((n) => !scenarios.some((s) => s.name === n));
  if (unknown.length > 0) {
    io.stderr.write(`bench: unknown scenario ${unknown.join(', ')}; known: ${scenarios.map((s) => s.name).join(', ')}\n`);
    return 2;
  }
  const quick = values.quick === true;
  const results: BenchReport[] = [];
  const errors: BenchOutput['errors'] = [];
  for (const scenario of scenarios.filter((s) => names.includes(s.name))) {
    if (values.json !== true) io.stderr.write(`running ${scenario.name}: ${scenario.title}\n`);
    try {
      results.push(await scenario.run({ quick }));
    } catch (error) {
      errors.push({ scenario: scenario.name, message: error instanceof Error ? error.message : String(error) });
    }
  }
  if (values.json === true) {
    const output: BenchOutput = {
      date: new Date().toISOString(),
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
      cpu: cpus()[0]?.model ?? 'unknown',
      cores: availableParallelism(),
      quick,
      results,
      errors,
    };
    io.stdout.write(`${JSON.stringify(output, null, 2)}\n`);
  } else {
    io.stdout.write(renderTable(results));
    for (const e of errors) io.stderr.write(`bench: ${e.scenario} failed: ${e.message}\n`);
  }
  return errors.length > 0 ? 1 : 0;
}
