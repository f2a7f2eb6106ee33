import { parseArgs } from 'node:util';
import { hostname } from 'node:os';
import { ConfigError, formatProblem, loadConfig, type Config } from '../config/index.js';
import { SmppProxy, type ReloadSummary } from '../broker/proxy.js';
import { ProxyEvents } from '../broker/events.js';
import { createLogger, type Logger } from '../observability/logger.js';
import { openStore } from '../store/index.js';
import { AuditRecorder, OutboxPublisher, auditSettingsFromConfig } from '../audit/index.js';
import { WorkerTransport } from '../audit/worker-transport.js';
import { createSandbox } from '../sim/sandbox.js';
import { startObservability, storeStatsOf } from '../observability/index.js';
import type { CliIo } from './check.js';

const USAGE = `usage: smpp-proxy start -c FILE | --config FILE [--log-level LEVEL] [--pretty]

Runs the proxy until SIGTERM or SIGINT, then shuts down gracefully (exit 0).
`;

/** `smpp-proxy start`: runs until a signal, then stops gracefully. */
export async function run(argv: string[], io: CliIo): Promise<number> {
  let values: { config?: string; 'log-level'?: string; pretty?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        config: { type: 'string', short: 'c' },
        'log-level': { type: 'string' },
        pretty: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (error) {
    io.stderr.write(`smpp-proxy start: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    io.stdout.write(USAGE);
    return 0;
  }
  if (values.config === undefined) {
    io.stderr.write(`smpp-proxy start: --config FILE is required\n${USAGE}`);
    return 2;
  }
  let config: Config;
  try {
    config = loadConfig(values.config);
  } catch (error) {
    if (error instanceof ConfigError) {
      for (const p of error.problems) io.stderr.write(`${formatProblem(p)}\n`);
      return 1;
    }
    io.stderr.write(`smpp-proxy start: ${(error as Error).message}\n`);
    return 1;
  }
  const logger = createLogger({ level: values['log-level'] ?? config.log.level, pretty: values.pretty ?? config.log.pretty });
  const running = await startRuntime(config, logger);
  // SIGHUP reloads the file; a bad file is logged and the running config stays.
  const onHup = (): void => void running.reload();
  process.on('SIGHUP', onHup);
  const stopSignal = await waitForSignal();
  process.off('SIGHUP', onHup);
  logger.info({ signal: stopSignal }, 'shutting down');
  await running.stop();
  logger.info('stopped');
  return 0;
}

export type ReloadResult = { ok: true; summary: ReloadSummary } | { ok: false; problems: string[] };

export interface Runtime {
  proxy: SmppProxy;
  publisher: OutboxPublisher | undefined;
  /** Re-reads the config file and applies it; an invalid file changes nothing. */
  reload(): Promise<ReloadResult>;
  stop(): Promise<void>;
}

/**
 * Everything `start` runs: the store, the audit recorder and NATS publisher (when enabled), the
 * sandbox carriers and the proxy. Tests and the benchmark use it to run the real thing in-process.
 */
export async function startRuntime(config: Config, logger: Logger): Promise<Runtime> {
  // Read before the store opens, so an unreadable credentials file fails start cleanly.
  const natsSettings = config.nats.enabled ? await auditSettingsFromConfig(config.nats) : undefined;
  const store = await openStore({ path: config.store.path, idMapTtlMs: config.store.idMapTtl, outboxMaxEvents: config.nats.outboxMaxEvents });
  const events = new ProxyEvents();
  let publisher: OutboxPublisher | undefined;
  let recorder: AuditRecorder | undefined;
  if (natsSettings !== undefined) {
    const nats = natsSettings;
    // The NATS client runs on a thread of its own: see WorkerTransport for why.
    const { authenticator: _built, ...plainConnection } = nats.connection;
    publisher = new OutboxPublisher({
      outbox: store.outbox,
      servers: nats.servers,
      stream: nats.stream,
      transport: new WorkerTransport(
        {
          servers: nats.servers,
          stream: nats.stream,
          connection: plainConnection,
          ...(nats.credentials !== undefined ? { credentials: nats.credentials } : {}),
          name: 'smpp-proxy-audit',
        },
        { log: logger },
      ),
      handOff: true,
      logger,
    });
    recorder = new AuditRecorder({
      events,
      outbox: store.outbox,
      subjectPrefix: nats.subjectPrefix,
      instance: hostname(),
      onAppended: (records, seqs) => publisher?.offer(records, seqs),
      logger,
    });
    recorder.start();
    publisher.start();
  }
  // Metrics, event logs and the admin listener come up before the proxy, so its first carrier
  // binds are counted and logged; their views report "not started" until the proxy exists.
  let proxy: SmppProxy | undefined;
  let storeOpen = true;
  let runtime: Runtime | undefined;
  const observability = await startObservability({
    events,
    admin: config.admin,
    logger,
    status: () => proxy?.status(),
    store: () => (storeOpen ? storeStatsOf(store) : undefined),
    publisher: () => publisher?.stats,
    reload: async () => {
      if (runtime === undefined) return { ok: false, problems: ['the proxy is still starting'] };
      return runtime.reload();
    },
  }).catch(async (error: unknown) => {
    await publisher?.stop().catch(() => undefined);
    await store.close();
    throw error;
  });
  try {
    proxy = await SmppProxy.start(config, {
      logger,
      events,
      store,
      sandbox: (carrier) => createSandbox(carrier, logger),
      auditFull: () => store.outbox.isFull() || (recorder?.isFull() ?? false),
      ...(recorder ? { auditBarrier: () => recorder!.flush() } : {}),
    });
  } catch (error) {
    await observability.close();
    await publisher?.stop().catch(() => undefined);
    await store.close();
    throw error;
  }
  const running = proxy;
  logger.info(
    { smpp: proxy.addresses.smpp, tls: proxy.addresses.tls, carriers: [...proxy.pools.keys()], nats: config.nats.enabled },
    'smpp-proxy started',
  );
  let reloading: Promise<ReloadResult> | undefined;
  const reload = async (): Promise<ReloadResult> => {
    let next: Config;
    try {
      next = loadConfig(running.config.file);
    } catch (error) {
      const problems = error instanceof ConfigError ? error.problems.map(formatProblem) : [(error as Error).message];
      logger.error({ file: running.config.file, problems }, 'configuration reload refused: the running configuration stays');
      return { ok: false, problems };
    }
    const summary = await running.reload(next);
    if (summary.restartNeeded.length > 0) {
      logger.warn({ sections: summary.restartNeeded }, 'changed sections apply only after a restart');
    }
    return { ok: true, summary };
  };
  runtime = {
    proxy: running,
    publisher,
    // One reload at a time: a second request waits for the first and then reads the file again.
    reload: () => {
      const run = (reloading ?? Promise.resolve()).catch(() => undefined).then(reload);
      reloading = run;
      return run;
    },
    /**
     * Graceful stop: the proxy drains (no new binds, ESMEs unbound after their in-flight submits,
     * carriers unbound), the recorder stores the last events, the publisher sends what NATS takes
     * within its flush time, the store closes. The admin listener goes last, so /healthz answers
     * throughout.
     */
    async stop() {
      await running.stop();
      await recorder?.stop();
      await publisher?.stop({ flushTimeoutMs: 5_000 });
      storeOpen = false;
      await store.close();
      await observability.close();
    },
  };
  return runtime;
}

function waitForSignal(): Promise<string> {
  return new Promise((resolve) => {
    const on = (signal: string): void => {
      process.off('SIGTERM', on);
      process.off('SIGINT', on);
      resolve(signal);
    };
    process.on('SIGTERM', on);
    process.on('SIGINT', on);
  });
}
