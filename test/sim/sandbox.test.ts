import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig, type SimulatorCarrierConfig } from '../../src/config/index.js';
import { createLogger } from '../../src/observability/logger.js';
import { connectAndBind } from '../../src/session/index.js';
import { Status } from '../../src/smpp/index.js';
import { createSandbox } from '../../src/sim/sandbox.js';
import { behaviourFromConfig, simulatorFromConfig } from '../../src/sim/from-config.js';
import { submitSmPdu } from '../../src/sim/pdus.js';
import { cleanupAll, track } from './helpers.js';

afterEach(cleanupAll);

function carrierFromYaml(simulator: string): SimulatorCarrierConfig {
  const config = parseConfig(
    `accounts:
  acme:
    password: pw
    allowed_ips: ["127.0.0.1"]
carriers:
  beta_sandbox_carrier_long_name:
    simulator: ${simulator}
routes:
  - name: all
    prefix: [""]
    carriers: [{ carrier: beta_sandbox_carrier_long_name, cost: 1 }]
`,
    'sandbox.yaml',
  );
  const carrier = config.carriers['beta_sandbox_carrier_long_name']!;
  if (carrier.kind !== 'simulator') throw new Error('expected a simulator carrier');
  return carrier;
}

describe('sandbox carriers from the YAML simulator section', () => {
  it('maps every simulator key onto the simulator behaviour', () => {
    const carrier = carrierFromYaml('{ dlr_status: UNDELIV, dlr_delay: 250ms, fail_ratio: 0.2, fail_status: ESME_RTHROTTLED, message_id_format: decimal, throughput: 40 }');
    expect(behaviourFromConfig(carrier.simulator, 3)).toEqual({
      receiptStatus: 'UNDELIV',
      receiptDelayMs: 250,
      throughput: 40,
      failure: { ratio: 0.2, status: Status.ESME_RTHROTTLED, seed: 3 },
    });
    const sim = simulatorFromConfig(carrier.simulator);
    expect(sim.currentBehaviour).toMatchObject({ receiptStatus: 'UNDELIV', receiptDelayMs: 250, throughput: 40 });
    expect(behaviourFromConfig(carrierFromYaml('{}').simulator).failure).toBeNull();
  });

  it('starts on loopback with its own credentials and behaves as configured', async () => {
    const carrier = carrierFromYaml('{ fail_ratio: 1, fail_status: 0x45, message_id_format: decimal }');
    const lines = new PassThrough();
    const logged: string[] = [];
    lines.on('data', (chunk: Buffer) => logged.push(chunk.toString()));
    const sandbox = await createSandbox(carrier, createLogger({ level: 'debug', destination: lines }));
    track(() => sandbox.stop());
    const { endpoint } = sandbox;
    expect(endpoint).toMatchObject({ host: '127.0.0.1', tls: undefined, systemId: 'beta_sandbox_ca', systemType: '' });
    expect(endpoint.port).toBeGreaterThan(0);
    expect(endpoint.password).toMatch(/^[\w-]{8}$/);

    await expect(
      connectAndBind({ host: endpoint.host, port: endpoint.port, bindType: 'transceiver', bind: { system_id: endpoint.systemId, password: 'guess' }, session: { enquireLinkIntervalMs: 0 } }),
    ).rejects.toMatchObject({ code: 'BIND_FAILED' });
    const session = await connectAndBind({
      host: endpoint.host,
      port: endpoint.port,
      bindType: 'transceiver',
      bind: { system_id: endpoint.systemId, password: endpoint.password },
      session: { enquireLinkIntervalMs: 0 },
    });
    track(() => session.close());
    expect((await session.request(submitSmPdu()))!.status).toBe(Status.ESME_RSUBMITFAIL);
    expect(sandbox.simulator.submits).toEqual([]); // a sandbox keeps no records
    await sandbox.stop();
    expect((await session.whenClosed()).code).toBe('PEER_UNBOUND');
    const text = logged.join('');
    expect(text).toContain('sandbox carrier listening');
    expect(text).toContain('sandbox carrier submit');
    expect(text).not.toContain(endpoint.password);
  });
});
