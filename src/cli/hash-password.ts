import { parseArgs } from 'node:util';
import { hashPassword, plainPasswordProblem } from '../config/password.js';
import type { CliIo } from './check.js';

const USAGE = `usage: smpp-proxy hash-password PASSWORD

Prints a password_hash value for an account in the config (scrypt), so the file need not
hold the plain password. SMPP passwords are at most 8 characters.
`;

export async function run(argv: string[], io: CliIo): Promise<number> {
  let positionals: string[];
  try {
    ({ positionals } = parseArgs({ args: argv, options: { help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true }));
  } catch (error) {
    io.stderr.write(`smpp-proxy hash-password: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (argv.includes('--help') || argv.includes('-h')) {
    io.stdout.write(USAGE);
    return 0;
  }
  const plain = positionals[0];
  if (plain === undefined || positionals.length !== 1) {
    io.stderr.write(USAGE);
    return 2;
  }
  const problem = plainPasswordProblem(plain);
  if (problem !== undefined) {
    io.stderr.write(`smpp-proxy hash-password: ${problem}\n`);
    return 1;
  }
  io.stdout.write(`${hashPassword(plain)}\n`);
  return 0;
}
