import { pino } from 'pino';
import { stringify } from 'yaml';
import { SmppProxy, type ProxyOptions } from '../../src/broker/proxy.js';
import { parseConfig, type Config } from '../../src/config/index.js';
import { CarrierSimulator } from '../../src/sim/carrier-sim.js';
import type { CarrierSimulatorOptions } from '../../src/sim/options.js';
import { createSandbox } from '../../src/sim/sandbox.js';
import { openMemoryStore } from '../../src/store/index.js';
import { track } from './cleanup.js';
import { waitFor } from './wait.js';

/**
 * The proxy in-process with simulated carriers on loopback, the way the end-to-end and
 * hardening suites run it. Each suite sets its own defaults (timers, bind limits) on top.
 */

export const silentLogger = pino({ level: 'silent' });

/** The password of every ESME account the helpers write. */
export const PASSWORD = 'secret';
/** The password every simulated carrier accepts and remoteCarrier() writes. */
export const CARRIER_PASSWORD = 'pw';

/** A YAML mapping of an account that may bind from loopback. */
export function loopbackAccount(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { password: PASSWORD, allowed_ips: ['127.0.0.0/8', '::1'], ...extra };
}

/** A started carrier simulator on a free loopback port that accepts `systemId` with CARRIER_PASSWORD only. */
export async function startCarrierSim(systemId: string, options: CarrierSimulatorOptions = {}): Promise<CarrierSimulator> {
  const sim = new CarrierSimulator({ ...options, accounts: [{ systemId, password: CARRIER_PASSWORD }] });
  await sim.start();
  track(() => sim.stop());
  return sim;
}

/** A circuit_breaker mapping that never opens within a test, for carriers a test fails on purpose. */
export const NO_BREAKER = { failures: 1000, cooldown: '1m' } as const;

/** The YAML mapping of a remote carrier at a simulator (or a port), with short timers for tests. */
export function remoteCarrier(
  target: CarrierSimulator | number,
  systemId: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    host: '127.0.0.1',
    port: typeof target === 'number' ? target : target.port,
    system_id: systemId,
    password: CARRIER_PASSWORD,
    reconnect: { initial: '50ms', max: '200ms' },
    response_timeout: '2s',
    ...extra,
  };
}

export interface TestConfigOptions {
  /** The proxy's system_id in bind responses. */
  systemId: string;
  /** The name config problems are reported against. */
  fileName: string;
  storePath: string;
}

/**
 * A config from the given sections (YAML mappings as objects), on the path a real file takes:
 * listening on a free loopback port, no admin listener, NATS off, logging silent.
 */
export function testConfig(sections: Record<string, unknown>, options: TestConfigOptions): Config {
  const { server, ...rest } = sections;
  const document = {
    server: { listen: '127.0.0.1:0', system_id: options.systemId, ...(server as object | undefined) },
    admin: { listen: false },
    store: { path: options.storePath },
    nats: { enabled: false },
    log: { level: 'silent' },
    ...rest,
  };
  return parseConfig(stringify(document), options.fileName);
}

export interface RunningProxy {
  proxy: SmppProxy;
  port: number;
  stop(): Promise<void>;
}

export interface StartProxyOptions extends Partial<ProxyOptions> {
  /** The carriers to wait for; all in the config by default. */
  waitForCarriers?: readonly string[];
  /** Open the durable store at config.store.path instead of a fresh in-memory one. */
  durable?: boolean;
  /** How long the carriers may take to bind. */
  boundTimeoutMs?: number;
}

/**
 * Starts the proxy (sandbox carriers through createSandbox) and waits until every carrier is
 * bound. The store is a fresh in-memory one unless the test passes a store or asks for the
 * durable one.
 */
export async function startProxy(config: Config, options: StartProxyOptions = {}): Promise<RunningProxy> {
  const { waitForCarriers, durable, boundTimeoutMs, ...proxyOptions } = options;
  let store = proxyOptions.store;
  if (store === undefined && durable !== true) {
    const memory = openMemoryStore();
    track(() => memory.close());
    store = memory;
  }
  const proxy = await SmppProxy.start(config, {
    logger: silentLogger,
    sandbox: (carrier) => createSandbox(carrier, silentLogger),
    ...proxyOptions,
    ...(store === undefined ? {} : { store }),
  });
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await proxy.stop(3_000);
  };
  track(stop);
  const port = proxy.addresses.smpp?.port;
  if (port === undefined) throw new Error('the proxy has no plain SMPP listener');
  await waitForBound(proxy, waitForCarriers ?? Object.keys(config.carriers), boundTimeoutMs);
  return { proxy, port, stop };
}

export async function waitForBound(proxy: SmppProxy, carriers: readonly string[], timeoutMs = 5_000): Promise<void> {
  await waitFor(() => carriers.every((name) => proxy.pools.get(name)?.health().bound === true), `carriers ${carriers.join(', ')} bound`, timeoutMs);
}

export async function waitForUnbound(proxy: SmppProxy, carrier: string, timeoutMs = 5_000): Promise<void> {
  await waitFor(() => proxy.pools.get(carrier)?.health().bound === false, `carrier ${carrier} unbound`, timeoutMs);
}
