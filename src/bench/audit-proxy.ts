#!/usr/bin/env node
import { startRuntime, type Runtime } from '../cli/start.js';
import { loadConfig } from '../config/index.js';
import { createLogger } from '../observability/logger.js';
import type { PublisherStats } from '../audit/publisher.js';

/**
 * The proxy for the audit benchmark: exactly what `smpp-proxy start -c FILE` runs (startRuntime),
 * in a process of its own as in production, plus one thing `start` does not offer: the audit
 * publisher's counters and the process's CPU time on request over the IPC channel, so the
 * benchmark can watch the outbox drain and price each run in CPU per message.
 *
 * Messages from the parent: { type: 'stats' } and { type: 'stop' }. To the parent:
 * { type: 'ready', port }, { type: 'stats', stats }, { type: 'error', message }.
 */

export type AuditProxyRequest = { type: 'stats' } | { type: 'stop' };
export type AuditProxyReply =
  | { type: 'ready'; port: number }
  /** cpuMicros: the process's CPU time so far (user + system), to price a run per message. */
  | { type: 'stats'; stats: PublisherStats | null; cpuMicros: number }
  | { type: 'error'; message: string };

function send(reply: AuditProxyReply): void {
  process.send?.(reply);
}

async function main(): Promise<void> {
  const file = process.argv[2];
  if (file === undefined || process.send === undefined) {
    process.stderr.write('usage: audit-proxy CONFIG (spawned by the audit benchmark with an IPC channel)\n');
    process.exitCode = 2;
    return;
  }
  const config = loadConfig(file);
  const runtime: Runtime = await startRuntime(config, createLogger({ level: 'warn' }));
  const port = runtime.proxy.addresses.smpp?.port;
  if (port === undefined) throw new Error('the benchmark proxy needs a plain SMPP listener');
  let stopping = false;
  process.on('message', (message: AuditProxyRequest) => {
    if (message.type === 'stats') {
      const cpu = process.cpuUsage();
      send({ type: 'stats', stats: runtime.publisher?.stats ?? null, cpuMicros: cpu.user + cpu.system });
    } else if (message.type === 'stop' && !stopping) {
      stopping = true;
      void runtime.stop().then(
        () => process.disconnect(),
        (error: unknown) => {
          send({ type: 'error', message: error instanceof Error ? error.message : String(error) });
          process.exitCode = 1;
          process.disconnect();
        },
      );
    }
  });
  // The parent going away must not leave a proxy running.
  process.on('disconnect', () => {
    if (!stopping) void runtime.stop().finally(() => process.exit(1));
  });
  send({ type: 'ready', port });
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  send({ type: 'error', message });
  process.stderr.write(`audit-proxy: ${message}\n`);
  process.exitCode = 1;
  process.disconnect?.();
});
