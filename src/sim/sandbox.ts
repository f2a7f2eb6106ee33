import { randomBytes } from 'node:crypto';
import type { SimulatorCarrierConfig } from '../config/types.js';
import type { Logger } from '../observability/logger.js';
import { statusName } from '../smpp/index.js';
import type { CarrierSimulator } from './carrier-sim.js';
import { simulatorFromConfig } from './from-config.js';

/** How the proxy reaches a sandbox carrier: the same fields as a remote carrier's endpoint. */
export interface SandboxEndpoint {
  host: string;
  port: number;
  tls: undefined;
  systemId: string;
  password: string;
  systemType: string;
}

export interface Sandbox {
  endpoint: SandboxEndpoint;
  simulator: CarrierSimulator;
  stop(): Promise<void>;
}

export interface SandboxOptions {
  /** Default 127.0.0.1: a sandbox carrier is for this process, not for the network. */
  host?: string;
  /** Default 0 (a free port). */
  port?: number;
}

/**
 * Starts the in-process simulator behind a `simulator:` carrier. It listens on loopback with a
 * random password known only to this process, so nothing else on the machine binds to it by
 * accident, and it keeps no records (a long-running proxy must not grow with its traffic).
 */
export async function createSandbox(carrier: SimulatorCarrierConfig, logger: Logger, options: SandboxOptions = {}): Promise<Sandbox> {
  // system_id is at most 15 characters; carrier names are longer at times but only need to be recognisable.
  const systemId = carrier.name.slice(0, 15);
  const password = randomBytes(6).toString('base64url').slice(0, 8);
  const log = logger.child({ carrier: carrier.name, sandbox: true });
  const simulator = simulatorFromConfig(carrier.simulator, {
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    accounts: [{ systemId, password }],
    recordLimit: 0,
  });
  simulator.on('bind', (b) => log.info({ systemId: b.systemId, bindType: b.bindType, status: statusName(b.status) }, 'sandbox carrier bind'));
  simulator.on('receipt_dropped', (r) => log.warn({ messageId: r.messageId, reason: r.reason }, 'sandbox carrier dropped a receipt'));
  if (log.isLevelEnabled('debug')) {
    simulator.on('submit', (s) =>
      log.debug({ command: s.command, outcome: s.outcome, status: s.status === undefined ? undefined : statusName(s.status), messageId: s.messageId }, 'sandbox carrier submit'),
    );
    simulator.on('receipt', (r) =>
      log.debug({ messageId: r.messageId, stat: r.stat, status: r.status === undefined ? 'no response' : statusName(r.status) }, 'sandbox carrier receipt'),
    );
  }
  const address = await simulator.start();
  log.info({ port: address.port }, 'sandbox carrier listening');
  return {
    endpoint: { host: address.address, port: address.port, tls: undefined, systemId, password, systemType: '' },
    simulator,
    stop: () => simulator.stop(),
  };
}
