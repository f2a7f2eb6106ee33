import { connectAndBind, type BindType, type IncomingRequest, type SmppSession } from '../../src/session/index.js';
import { CarrierSimulator } from '../../src/sim/carrier-sim.js';
import type { CarrierSimulatorOptions } from '../../src/sim/options.js';
import { TestEsme, type TestEsmeOptions } from '../../src/sim/test-esme.js';
import { track } from '../helpers/cleanup.js';

export { cleanupAllOrThrow as cleanupAll, track } from '../helpers/cleanup.js';
export { sleep as delay, eventually } from '../helpers/wait.js';

export const ACCOUNT = { systemId: 'acme', password: 'secret' } as const;

/** A started simulator on a free loopback port, accepting ACCOUNT only, receipts after 20 ms by default. */
export async function startSim(options: CarrierSimulatorOptions = {}): Promise<CarrierSimulator> {
  const sim = new CarrierSimulator({
    accounts: [ACCOUNT],
    receiptDelayMs: 20,
    receiptRetryMs: 50,
    firstMessageNumber: 0x1a2b3c4d,
    session: { enquireLinkIntervalMs: 0, unbindTimeoutMs: 500 },
    ...options,
  });
  await sim.start();
  track(() => sim.stop());
  return sim;
}

/** A raw session of ours bound to the simulator, answering deliver_sm with `deliverStatus`. */
export async function bindRaw(
  port: number,
  bindType: BindType = 'transceiver',
  onRequest: (request: IncomingRequest) => void = (r) => {
    if (r.command === 'deliver_sm') r.respond(0, { message_id: '' });
  },
): Promise<SmppSession> {
  const session = await connectAndBind({
    host: '127.0.0.1',
    port,
    bindType,
    bind: { system_id: ACCOUNT.systemId, password: ACCOUNT.password },
    session: { enquireLinkIntervalMs: 0, unbindTimeoutMs: 500 },
  });
  session.on('request', onRequest);
  track(() => session.close());
  return session;
}

export async function connectEsme(port: number, options: Partial<TestEsmeOptions> = {}): Promise<TestEsme> {
  const esme = await TestEsme.connect({
    host: '127.0.0.1',
    port,
    systemId: ACCOUNT.systemId,
    password: ACCOUNT.password,
    enquireLinkIntervalMs: 0,
    ...options,
  });
  track(() => esme.session.close());
  return esme;
}
