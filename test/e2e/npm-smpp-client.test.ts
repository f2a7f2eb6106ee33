import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CarrierSimulator } from '../../src/sim/carrier-sim.js';
import { Status } from '../../src/smpp/index.js';
import { account, cleanupAll, makeConfig, remoteCarrier, startCarrier, startProxy, track, waitFor, type RunningProxy } from './harness.js';

/**
 * An ESME built on the npm `smpp` package, an implementation independent of ours: binds,
 * submits, and gets its receipt with the proxy's id.
 */

// The package ships no types; the little used here is described by hand.
interface PeerPdu {
  command: string;
  command_status: number;
  sequence_number: number;
  message_id?: string;
  esm_class?: number;
  receipted_message_id?: string;
  short_message?: { message?: string | Buffer } | string | Buffer;
  response(options?: object): PeerPdu;
  [field: string]: unknown;
}
interface PeerSession {
  on(event: 'connect' | 'close', listener: () => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
  on(event: 'deliver_sm', listener: (pdu: PeerPdu) => void): void;
  send(pdu: PeerPdu): boolean;
  bind_transceiver(options: object, callback: (pdu: PeerPdu) => void): void;
  submit_sm(options: object, callback: (pdu: PeerPdu) => void): void;
  unbind(options: object, callback: (pdu: PeerPdu) => void): void;
  close(): void;
}
const smpp = createRequire(import.meta.url)('smpp') as { connect(options: object, listener?: () => void): PeerSession };

let carrier: CarrierSimulator;
let running: RunningProxy;

beforeAll(async () => {
  carrier = await startCarrier('alpha', { messageIdFormat: 'hex-decimal', firstMessageNumber: 0x5eed0000 });
  const config = makeConfig({
    accounts: { acme: account() },
    carriers: { alpha: remoteCarrier(carrier, 'alpha') },
    routes: [{ name: 'all', prefix: [''], carriers: [{ carrier: 'alpha', cost: 0.01 }] }],
  });
  running = await startProxy(config);
});

afterAll(cleanupAll);

function connectPeer(port: number): Promise<PeerSession> {
  return new Promise((resolve, reject) => {
    const session = smpp.connect({ url: `smpp://127.0.0.1:${port}`, auto_enquire_link_period: 0 }, () => resolve(session));
    session.on('error', reject);
    track(
      () =>
        new Promise<void>((done) => {
          session.on('close', () => done());
          session.close();
          setTimeout(done, 500);
        }),
    );
  });
}

function call(session: PeerSession, method: 'bind_transceiver' | 'submit_sm' | 'unbind', options: object): Promise<PeerPdu> {
  return new Promise((resolve) => session[method](options, resolve));
}

function text(pdu: PeerPdu): string {
  const sm = pdu.short_message;
  if (sm === undefined) return '';
  if (typeof sm === 'string') return sm;
  if (Buffer.isBuffer(sm)) return sm.toString('latin1');
  const message = sm.message;
  return Buffer.isBuffer(message) ? message.toString('latin1') : (message ?? '');
}

describe('the npm smpp package as ESME', () => {
  it('binds, submits, and receives the receipt with the proxy id in TLV and text', async () => {
    const session = await connectPeer(running.port);
    const deliveries: PeerPdu[] = [];
    session.on('deliver_sm', (pdu) => {
      deliveries.push(pdu);
      session.send(pdu.response());
    });
    const bound = await call(session, 'bind_transceiver', { system_id: 'acme', password: 'secret' });
    expect(bound.command_status).toBe(Status.ESME_ROK);

    const resp = await call(session, 'submit_sm', {
      source_addr: 'ACME',
      destination_addr: '447700900123',
      short_message: 'hello from the npm client',
      registered_delivery: 1,
    });
    expect(resp.command_status).toBe(Status.ESME_ROK);
    const proxyId = resp.message_id!;
    expect(proxyId).toMatch(/^[0-9A-Z]{1,64}$/);
    expect(proxyId).not.toBe(carrier.submits.at(-1)!.messageId);
    expect(carrier.submits.at(-1)!.pdu.body.destination_addr).toBe('447700900123');

    await waitFor(() => deliveries.length > 0, 'the receipt');
    const receipt = deliveries[0]!;
    expect((receipt.esm_class ?? 0) & 0x3c).toBe(0x04);
    expect(receipt.receipted_message_id).toBe(proxyId);
    expect(text(receipt)).toMatch(new RegExp(`^id:${proxyId} .*stat:DELIVRD`));

    // The proxy saw our deliver_sm_resp: nothing is left to deliver.
    await waitFor(() => running.proxy.storeHandle.queues.depth('acme') === 0, 'the queue to drain');
    const unbound = await call(session, 'unbind', {});
    expect(unbound.command).toBe('unbind_resp');
  });

  it('is refused with ESME_RBINDFAIL on a wrong password', async () => {
    const session = await connectPeer(running.port);
    const bound = await call(session, 'bind_transceiver', { system_id: 'acme', password: 'nope' });
    expect(bound.command_status).toBe(Status.ESME_RBINDFAIL);
  });
});
