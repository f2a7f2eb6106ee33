#!/usr/bin/env node
import { SCENARIOS } from './registry.js';
import { runBench } from './run.js';

runBench(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr }, SCENARIOS).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
