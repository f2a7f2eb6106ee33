#!/usr/bin/env node
import type { CliIo } from './check.js';

type CommandModule = { run(argv: string[], io: CliIo): Promise<number> };

/** Each command is its own module, loaded only when used, so `check` never opens a socket. */
const COMMANDS: Record<string, { summary: string; load: () => Promise<CommandModule> }> = {
  start: { summary: 'run the proxy (-c FILE)', load: () => import('./start.js') },
  check: { summary: 'validate a config file (-c FILE)', load: () => import('./check.js') },
  route: { summary: 'explain a routing decision without sending anything', load: () => import('./route.js') },
  send: { summary: 'test ESME: bind, submit, wait for receipts', load: () => import('./send.js') },
  'carrier-sim': { summary: 'standalone carrier (SMSC) simulator', load: () => import('./carrier-sim.js') },
  tail: { summary: 'print audit events from NATS live', load: () => import('./tail.js') },
  status: { summary: "print a running proxy's binds, windows, queues and NATS state", load: () => import('./status.js') },
  'billing-report': { summary: 'messages, parts and cost per account and carrier from NATS', load: () => import('./billing-report.js') },
  'hash-password': { summary: 'print an scrypt password_hash for the config', load: () => import('./hash-password.js') },
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `usage: smpp-proxy <command> [options]\n\ncommands:\n${lines.join('\n')}\n\nRun 'smpp-proxy <command> --help' for a command's options.\n`;
}

export async function main(argv: string[], io: CliIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? io.stderr : io.stdout).write(usage());
    return name === undefined ? 2 : 0;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (command === undefined) {
    io.stderr.write(`smpp-proxy: unknown command ${JSON.stringify(name)}\n${usage()}`);
    return 2;
  }
  const module = await command.load();
  return module.run(rest, io);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`smpp-proxy: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
