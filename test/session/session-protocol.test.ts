import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Status, encodePdu, makePdu, type SmppError } from '../../src/smpp/index.js';
import { FakeTimers, SmppSession, type CloseReason, type IncomingRequest } from '../../src/session/index.js';
import {
  RawPeer,
  acceptAcme,
  bindClient,
  bindPdu,
  cleanupAll,
  eventually,
  rejectionOf,
  respondWithId,
  startRawSmsc,
  startServer,
  submitSm,
  track,
} from './helpers.js';

afterEach(cleanupAll);

/** A bound server session fed by a raw peer. */
async function boundRawPeer(sessionOptions = {}) {
  const server = await startServer(sessionOptions, (session) => session.on('request', (req) => respondWithId(req, 'ok')));
  const peer = await RawPeer.connect(server.port);
  const session = await server.nextSession();
  const protocolErrors: SmppError[] = [];
  session.on('protocol_error', (error) => protocolErrors.push(error));
  peer.send(bindPdu('bind_transceiver', 1));
  expect((await peer.responseTo(1)).status).toBe(Status.ESME_ROK);
  return { peer, session, protocolErrors };
}

describe('hostile and broken input', () => {
  it('answers a bad command_length with generic_nack ESME_RINVCMDLEN, then closes', async () => {
    const { port, nextSession } = await startServer();
    const peer = await RawPeer.connect(port);
    const session = await nextSession();
    const closes: CloseReason[] = [];
    session.on('close', (reason) => closes.push(reason));
    // An HTTP client on the SMPP port: "GET " read as command_length is 1195725856.
    peer.send(Buffer.from('GET / HTTP/1.1\r\nHost: smpp\r\n\r\n'));
    await peer.closed;
    expect(peer.received.map((p) => [p.command, p.status])).toEqual([['generic_nack', Status.ESME_RINVCMDLEN]]);
    expect(closes.map((c) => c.code)).toEqual(['FRAMING_ERROR']);
  });

  it('keeps the small pre-bind cap: a large PDU before bind is fatal, the same size after bind is fine', async () => {
    const big = encodePdu({ ...submitSm('x'.repeat(200)), sequence: 5, tlvs: [{ tag: 0x1400, value: Buffer.alloc(400) }] });
    expect(big.length).toBeGreaterThan(512);

    const before = await startServer();
    const early = await RawPeer.connect(before.port);
    early.send(big);
    await early.closed;
    expect(early.received[0]?.command).toBe('generic_nack');
    expect(early.received[0]?.status).toBe(Status.ESME_RINVCMDLEN);

    const { peer } = await boundRawPeer();
    peer.send(big);
    const resp = await peer.responseTo(5);
    expect(resp.command).toBe('submit_sm_resp');
    expect(resp.status).toBe(Status.ESME_ROK);
  });

  it('answers one malformed PDU with its error status and carries on with the next', async () => {
    const { peer, session, protocolErrors } = await boundRawPeer();
    const bad = encodePdu({ ...submitSm('hello'), sequence: 10 });
    // sm_length sits just before the 5 message octets; claim more than the frame holds.
    bad[bad.length - 6] = 200;
    peer.send(Buffer.concat([bad, encodePdu({ ...submitSm('fine'), sequence: 11 })]));
    const badResp = await peer.responseTo(10);
    expect(badResp.command).toBe('submit_sm_resp');
    expect(badResp.status).toBe(Status.ESME_RINVMSGLEN);
    const goodResp = await peer.responseTo(11);
    expect(goodResp.status).toBe(Status.ESME_ROK);
    expect(protocolErrors.map((e) => e.code)).toEqual(['SM_LENGTH_MISMATCH']);
    expect(session.state).toBe('BOUND_TRX');
  });

  it('answers an unknown command with generic_nack ESME_RINVCMDID and carries on', async () => {
    const { peer, session } = await boundRawPeer();
    const unknown = Buffer.alloc(16);
    unknown.writeUInt32BE(16, 0);
    unknown.writeUInt32BE(0x00000099, 4);
    unknown.writeUInt32BE(42, 12);
    peer.send(unknown);
    const nack = await peer.responseTo(42);
    expect(nack.command).toBe('generic_nack');
    expect(nack.status).toBe(Status.ESME_RINVCMDID);
    peer.send(makePdu('enquire_link', {}, { sequence: 43 }));
    expect((await peer.responseTo(43)).command).toBe('enquire_link_resp');
    expect(session.isClosed).toBe(false);
  });

  it('closes a connection that leaves a PDU half-sent (slowloris)', async () => {
    const { peer, session } = await boundRawPeer({ partialPduTimeoutMs: 40 });
    peer.send(encodePdu({ ...submitSm(), sequence: 2 }).subarray(0, 10));
    const reason = await session.whenClosed();
    expect(reason.code).toBe('PARTIAL_PDU_TIMEOUT');
    await peer.closed;
  });

  it('measures the partial-PDU time from the last whole PDU, so a busy stream split at odd places survives', async () => {
    const timers = new FakeTimers();
    const { serverSocket, clientSocket } = await socketPair();
    const session = new SmppSession(serverSocket, {
      role: 'smsc',
      authenticate: acceptAcme,
      timers,
      partialPduTimeoutMs: 50,
      sessionInitTimeoutMs: 0,
    });
    track(() => session.close());
    const stream = Buffer.concat([1, 2, 3].map((sequence) => encodePdu(makePdu('enquire_link', {}, { sequence }))));
    let sent = 0;
    const sendUpTo = async (end: number): Promise<void> => {
      clientSocket.write(stream.subarray(sent, end));
      sent = end;
      await eventually(() => serverSocket.bytesRead === sent);
    };
    await sendUpTo(24); // one whole PDU and half of the next
    timers.advance(30);
    await sendUpTo(40); // second completes, third half there: the clock restarts
    timers.advance(30);
    expect(session.isClosed).toBe(false);
    timers.advance(20);
    expect(session.closeReason?.code).toBe('PARTIAL_PDU_TIMEOUT');
  });

  it('rejects every pending request and emits close once when the peer vanishes mid-PDU', async () => {
    const smsc = await startRawSmsc();
    const client = await bindClient(smsc.port, 'transceiver', { responseTimeoutMs: 10_000 });
    const peer = await smsc.nextPeer();
    const closes: CloseReason[] = [];
    client.on('close', (reason) => closes.push(reason));
    const pending = [client.request(submitSm('1'))!, client.request(submitSm('2'))!, client.request(submitSm('3'))!];
    const rejections = pending.map(rejectionOf);
    await peer.waitFor(4);
    const resp = encodePdu(makePdu('submit_sm_resp', { message_id: 'half' }, { sequence: peer.received[1]!.sequence }));
    peer.socket.write(resp.subarray(0, 9));
    await eventually(() => peer.socket.bytesWritten >= 9);
    peer.socket.destroy();
    const errors = await Promise.all(rejections);
    expect(errors.map((e) => e.code)).toEqual(['SESSION_CLOSED', 'SESSION_CLOSED', 'SESSION_CLOSED']);
    expect(client.pendingRequests).toBe(0);
    expect(client.request(submitSm())).toBeNull();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(closes).toHaveLength(1);
    expect(['PEER_CLOSED', 'SOCKET_ERROR']).toContain(closes[0]?.code);
  });

  it('fails a request whose response is malformed instead of leaving it to time out, and sends nothing back', async () => {
    const smsc = await startRawSmsc();
    const client = await bindClient(smsc.port, 'transceiver', { responseTimeoutMs: 10_000 });
    const peer = await smsc.nextPeer();
    const request = client.request(submitSm())!;
    const [, submit] = await peer.waitFor(2);
    const bad = encodePdu(makePdu('submit_sm_resp', { message_id: 'abc' }, { sequence: submit!.sequence }));
    bad[bad.length - 1] = 0x41; // message_id loses its NUL
    peer.send(bad);
    const error = await rejectionOf(request);
    expect(error.code).toBe('INVALID_RESPONSE');
    expect(client.state).toBe('BOUND_TRX');
    peer.send(makePdu('enquire_link', {}, { sequence: 900 }));
    await peer.responseTo(900);
    expect(peer.received.map((p) => p.command)).toEqual(['bind_transceiver', 'submit_sm', 'enquire_link_resp']);
  });

  it('fails a request answered with the wrong response command', async () => {
    const smsc = await startRawSmsc();
    const client = await bindClient(smsc.port);
    const peer = await smsc.nextPeer();
    const request = client.request(submitSm())!;
    const [, submit] = await peer.waitFor(2);
    peer.send(makePdu('query_sm_resp', { message_id: 'x', final_date: '', message_state: 1, error_code: 0 }, { sequence: submit!.sequence }));
    expect((await rejectionOf(request)).code).toBe('INVALID_RESPONSE');
  });

  it('lets an ESME-role session answer an outbind with bind_receiver and receive alert_notification', async () => {
    const { serverSocket, clientSocket } = await socketPair();
    // The SMSC dialled in (outbind reverses the TCP direction): we are the ESME on an accepted socket.
    const esme = new SmppSession(serverSocket, { role: 'esme', enquireLinkIntervalMs: 0 });
    track(() => esme.close());
    const smsc = RawPeer.wrap(clientSocket);
    const requests: IncomingRequest[] = [];
    esme.on('request', (req) => {
      requests.push(req);
      if (req.command === 'outbind') void esme.bind('receiver', { system_id: req.pdu.body.system_id, password: 'pw' });
    });
    smsc.send(makePdu('outbind', { system_id: 'acme', password: 'ob' }, { sequence: 1 }));
    const [bind] = await smsc.waitFor(1);
    expect(bind?.command).toBe('bind_receiver');
    smsc.send(makePdu('bind_receiver_resp', { system_id: 'SMSC' }, { sequence: bind!.sequence }));
    smsc.send(
      makePdu(
        'alert_notification',
        { source_addr_ton: 1, source_addr_npi: 1, source_addr: '4477', esme_addr_ton: 0, esme_addr_npi: 0, esme_addr: 'acme' },
        { sequence: 2 },
      ),
    );
    await expect.poll(() => requests.length).toBe(2);
    expect(esme.state).toBe('BOUND_RX');
    expect(requests.map((r) => r.command)).toEqual(['outbind', 'alert_notification']);
    // Neither has a response: respond() is a no-op that says nothing was sent.
    expect(requests[1]!.respond(Status.ESME_ROK)).toBe(false);
    expect(smsc.received).toHaveLength(1);
  });

  it('sends alert_notification with notify() only where the state table allows it', async () => {
    const { port, nextSession } = await startServer();
    const client = await bindClient(port, 'receiver');
    const server = await nextSession();
    const alert = makePdu('alert_notification', {
      source_addr_ton: 1,
      source_addr_npi: 1,
      source_addr: '4477',
      esme_addr_ton: 0,
      esme_addr_npi: 0,
      esme_addr: 'acme',
    });
    const received = new Promise<IncomingRequest>((resolve) => client.once('request', resolve));
    expect(server.notify(alert)).toBe(true);
    expect((await received).command).toBe('alert_notification');
    expect(() => client.notify(alert)).toThrow(expect.objectContaining({ code: 'INVALID_BIND_STATE' }));
  });

  it('survives socket errors on accepted connections without crashing', async () => {
    const { port, nextSession } = await startServer();
    const socket = connect({ port, host: '127.0.0.1' });
    socket.on('error', () => undefined);
    await once(socket, 'connect');
    const session = await nextSession();
    socket.resetAndDestroy();
    const reason = await session.whenClosed();
    expect(['PEER_CLOSED', 'SOCKET_ERROR']).toContain(reason.code);
  });
});

/** Two connected sockets on loopback, for driving a session directly. */
async function socketPair(): Promise<{ serverSocket: Socket; clientSocket: Socket }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const accepted = once(server, 'connection') as Promise<[Socket]>;
  const clientSocket = connect({ port: (server.address() as { port: number }).port, host: '127.0.0.1' });
  clientSocket.on('error', () => undefined);
  const [serverSocket] = await accepted;
  server.close();
  track(() => {
    clientSocket.destroy();
    serverSocket.destroy();
  });
  return { serverSocket, clientSocket };
}
