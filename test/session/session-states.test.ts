import { afterEach, describe, expect, it } from 'vitest';
import { Status, encodePdu as encode, makePdu, type Pdu } from '../../src/smpp/index.js';
import { FakeTimers, type CloseReason, type StateViolation } from '../../src/session/index.js';
import { cancelSmPdu, dataSmPdu, querySmPdu, replaceSmPdu, submitMultiPdu } from '../helpers/pdus.js';
import { RawPeer, bindPdu, cleanupAll, deliverSm, respondWithId, startServer, submitSm } from './helpers.js';

afterEach(cleanupAll);

const MESSAGE_ID = 'abc';
const ADDR = { source_addr_ton: 0, source_addr_npi: 0, source_addr: 'ACME' };

/** One of every request an ESME might send, none allowed before bind. */
function esmeRequests(): Pdu[] {
  return [
    submitSm(),
    dataSmPdu({ ...ADDR, destination_addr: '4477', registered_delivery: 0 }),
    querySmPdu(MESSAGE_ID, ADDR),
    cancelSmPdu(MESSAGE_ID, { ...ADDR, destination_addr: '4477' }),
    replaceSmPdu(MESSAGE_ID, { ...ADDR, registered_delivery: 0, short_message: Buffer.from('new') }),
    submitMultiPdu([{ dest_flag: 1, dest_addr_ton: 1, dest_addr_npi: 1, destination_addr: '4477' }], {
      ...ADDR,
      registered_delivery: 0,
      short_message: Buffer.from('multi'),
    }),
    makePdu('enquire_link', {}),
    makePdu('unbind', {}),
  ];
}

/** Requests only an SMSC may originate, which a server session must refuse from its ESME in any state. */
function smscRequests(): Pdu[] {
  return [
    deliverSm(),
    makePdu('alert_notification', { ...ADDR, esme_addr_ton: 1, esme_addr_npi: 1, esme_addr: '4477' }),
    makePdu('outbind', { system_id: 'X', password: 'Y' }),
  ];
}

function numbered(pdus: Pdu[], first: number): Pdu[] {
  return pdus.map((pdu, i) => ({ ...pdu, sequence: first + i }));
}

function expectedResponse(command: string): string {
  return command === 'alert_notification' || command === 'outbind' ? 'generic_nack' : `${command}_resp`;
}

describe('bind state enforcement (server side)', () => {
  it('answers every request sent before bind with ESME_RINVBNDSTS in the right response', async () => {
    const { port, nextSession } = await startServer();
    const peer = await RawPeer.connect(port);
    const server = await nextSession();
    const violations: StateViolation[] = [];
    server.on('state_violation', (v) => violations.push(v));

    const requests = numbered([...esmeRequests(), ...smscRequests()], 100);
    for (const request of requests) peer.send(request);
    for (const request of requests) {
      const resp = await peer.responseTo(request.sequence);
      expect(resp.command, request.command).toBe(expectedResponse(request.command));
      expect(resp.status, request.command).toBe(Status.ESME_RINVBNDSTS);
    }
    expect(violations.map((v) => v.command)).toEqual(requests.map((r) => r.command));
    expect(violations.every((v) => v.state === 'OPEN')).toBe(true);
    expect(server.state).toBe('OPEN');
  });

  it('after a receiver bind refuses submissions and SMSC-only commands, but serves enquire_link', async () => {
    const { port } = await startServer();
    const peer = await RawPeer.connect(port);
    peer.send(bindPdu('bind_receiver', 1));
    expect((await peer.responseTo(1)).status).toBe(Status.ESME_ROK);

    const refused = numbered([...esmeRequests().filter((p) => p.command !== 'enquire_link' && p.command !== 'unbind'), ...smscRequests()], 10);
    for (const request of refused) peer.send(request);
    for (const request of refused) {
      const resp = await peer.responseTo(request.sequence);
      expect(resp.command, request.command).toBe(expectedResponse(request.command));
      expect(resp.status, request.command).toBe(Status.ESME_RINVBNDSTS);
    }
    peer.send(makePdu('enquire_link', {}, { sequence: 50 }));
    expect((await peer.responseTo(50)).status).toBe(Status.ESME_ROK);
  });

  it('answers a second bind with ESME_RALYBND and stays bound as before', async () => {
    const { port, nextSession } = await startServer();
    const peer = await RawPeer.connect(port);
    const server = await nextSession();
    peer.send(bindPdu('bind_transmitter', 1));
    const first = await peer.responseTo(1);
    expect(first.command).toBe('bind_transmitter_resp');
    expect(first.status).toBe(Status.ESME_ROK);
    expect((first.body as { system_id?: string }).system_id).toBe('TESTSMSC');

    for (const [i, command] of (['bind_transmitter', 'bind_receiver', 'bind_transceiver'] as const).entries()) {
      peer.send(bindPdu(command, 2 + i));
      const again = await peer.responseTo(2 + i);
      expect(again.command).toBe(`${command}_resp`);
      expect(again.status).toBe(Status.ESME_RALYBND);
    }
    expect(server.state).toBe('BOUND_TX');
  });

  it('refuses a bad password with ESME_RBINDFAIL and lets a corrected bind through', async () => {
    const { port, nextSession } = await startServer();
    const peer = await RawPeer.connect(port);
    const server = await nextSession();
    peer.send(bindPdu('bind_transceiver', 1, 'wrong'));
    const refused = await peer.responseTo(1);
    expect(refused.status).toBe(Status.ESME_RBINDFAIL);
    expect(server.state).toBe('OPEN');
    peer.send(bindPdu('bind_transceiver', 2));
    expect((await peer.responseTo(2)).status).toBe(Status.ESME_ROK);
    expect(server.state).toBe('BOUND_TRX');
  });

  it('refuses the bind with ESME_RBINDFAIL when the authenticator throws', async () => {
    const errors: unknown[] = [];
    const { port } = await startServer(
      {
        authenticate: async () => {
          throw new Error('directory down');
        },
      },
      (session) => session.on('auth_error', (error) => errors.push(error)),
    );
    const peer = await RawPeer.connect(port);
    peer.send(bindPdu('bind_transmitter', 1));
    expect((await peer.responseTo(1)).status).toBe(Status.ESME_RBINDFAIL);
    expect(errors).toHaveLength(1);
  });

  it('holds PDUs sent behind a bind until the bind is decided', async () => {
    let release!: () => void;
    const { port } = await startServer(
      {
        authenticate: () =>
          new Promise((resolve) => {
            release = () => resolve({ status: Status.ESME_ROK });
          }),
      },
      (session) => session.on('request', (req) => respondWithId(req, 'queued')),
    );
    const peer = await RawPeer.connect(port);
    // Not what the specification asks of an ESME, but it must not be answered from the OPEN state.
    peer.send(Buffer.concat([encode(bindPdu('bind_transmitter', 1)), encode({ ...submitSm(), sequence: 2 })]));
    await expect.poll(() => typeof release).toBe('function');
    expect(peer.received).toHaveLength(0);
    release();
    expect((await peer.responseTo(1)).status).toBe(Status.ESME_ROK);
    expect((await peer.responseTo(2)).status).toBe(Status.ESME_ROK);
  });

  it('closes a connection that does not bind within the session-init timeout', async () => {
    const { port, nextSession } = await startServer({ sessionInitTimeoutMs: 40 });
    const peer = await RawPeer.connect(port);
    const server = await nextSession();
    const reasons: CloseReason[] = [];
    server.on('close', (reason) => reasons.push(reason));
    await peer.closed;
    expect(reasons.map((r) => r.code)).toEqual(['SESSION_INIT_TIMEOUT']);
    expect(server.state).toBe('CLOSED');
  });

  it('unbinds a bound session after the inactivity timeout', async () => {
    const timers = new FakeTimers();
    const { port, nextSession } = await startServer({ inactivityTimeoutMs: 60_000, sessionInitTimeoutMs: 0, timers });
    const peer = await RawPeer.connect(port);
    const server = await nextSession();
    timers.advance(50_000);
    peer.send(bindPdu('bind_transceiver', 1));
    await peer.responseTo(1);
    // The bind counted as activity: the timeout runs from it, not from the connection.
    timers.advance(59_999);
    expect(server.state).toBe('BOUND_TRX');
    timers.advance(1);
    const pdus = await peer.waitFor(2);
    const unbind = pdus[1]!;
    expect(unbind.command).toBe('unbind');
    peer.send(makePdu('unbind_resp', {}, { sequence: unbind.sequence }));
    const reason = await server.whenClosed();
    expect(reason.code).toBe('INACTIVITY_TIMEOUT');
  });
});
