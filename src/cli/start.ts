import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { credsAuthenticator, type ConnectionOptions } from '@nats-io/transport-node';
import { hostname } from 'node:os';
import { ConfigError, formatProblem, loadConfig, type Config } from '../config/index.js';
import { SmppProxy } from '../broker/proxy.js';
import { ProxyEvents } from '../broker/events.js';
import { createLogger, type Logger } from '../observability/logger.js';
import { openStore } from '../store/index.js';
import { AuditRecorder, OutboxPublisher, streamSubjects } from '../audit/index.js';
import { createSandbox } from '../sim/sandbox.js';
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
  const stopSignal = await waitForSignal();
  logger.info({ signal: stopSignal }, 'shutting down');
  await running.stop();
  logger.info('stopped');
  return 0;
}

export interface Runtime {
  proxy: SmppProxy;
  publisher: OutboxPublisher | undefined;
  stop(): Promise<void>;
}

/**
 * Everything `start` runs: the store, the audit recorder and NATS publisher (when enabled), the
 * sandbox carriers and the proxy. Tests and the benchmark use it to run the real thing in-process.
 */
export async function startRuntime(config: Config, logger: Logger): Promise<Runtime> {
  const store = await openStore({ path: config.store.path, idMapTtlMs: config.store.idMapTtl, outboxMaxEvents: config.nats.outboxMaxEvents });
  const events = new ProxyEvents();
  let publisher: OutboxPublisher | undefined;
  let recorder: AuditRecorder | undefined;
  if (config.nats.enabled) {
    publisher = new OutboxPublisher({
      outbox: store.outbox,
      servers: [...config.nats.servers],
      stream: {
        name: config.nats.stream.name,
        subjects: streamSubjects(config.nats.subjectPrefix),
        replicas: config.nats.stream.replicas,
        maxAgeMs: config.nats.stream.maxAge,
        maxBytes: -1,
        duplicateWindowMs: config.nats.stream.duplicateWindow,
        storage: 'file',
      },
      connection: natsConnectionOptions(config),
      logger,
    });
    recorder = new AuditRecorder({
      events,
      outbox: store.outbox,
      subjectPrefix: config.nats.subjectPrefix,
      instance: hostname(),
      onAppended: () => publisher?.wake(),
      logger,
    });
    recorder.start();
    publisher.start();
  }
  let proxy: SmppProxy;
  try {
    proxy = await SmppProxy.start(config, {
      logger,
      events,
      store,
      sandbox: (carrier) => createSandbox(carrier, logger),
      auditFull: () => store.outbox.isFull() || (recorder?.isFull() ?? false),
    });
  } catch (error) {
    await publisher?.stop().catch(() => undefined);
    await store.close();
    throw error;
  }
  logger.info(
    { smpp: proxy.addresses.smpp, tls: proxy.addresses.tls, carriers: [...proxy.pools.keys()], nats: config.nats.enabled },
    'smpp-proxy started',
  );
  return {
    proxy,
    publisher,
    async stop() {
      await proxy.stop();
      await recorder?.stop();
      await publisher?.stop();
      await store.close();
    },
  };
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

/** Credentials from the nats section: user/password, token, or a .creds file (JWT + nkey). */
function natsConnectionOptions(config: Config): Partial<ConnectionOptions> {
  const n = config.nats;
  const options: Partial<ConnectionOptions> = {};
  if (n.user !== undefined) options.user = n.user;
  if (n.password !== undefined) options.pass = n.password;
  if (n.token !== undefined) options.token = n.token;
  if (n.credentials !== undefined) options.authenticator = credsAuthenticator(readFileSync(n.credentials));
  return options;
}
