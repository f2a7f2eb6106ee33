import { afterEach, describe, expect, it, vi } from 'vitest';
import { Status, encodePdu, makePdu, type Pdu } from '../../src/smpp/index.js';
import type { CloseReason, IncomingRequest, SmppSession } from '../../src/session/index.js';
import {
  RawPeer,
  bindClient,
  bindPdu,
  cleanupAll,
  delay,
  deliverSm,
  respondWithId,
  startServer,
  submitSm,
} from './helpers.js';

afterEach(cleanupAll);

function commandsIn(session: SmppSession): string[] {
  const seen: string[] = [];
  session.on('pdu_in', (info) => seen.push(info.command));
  return seen;
}

describe('write coalescing and backpressure', () => {
  it('sends the PDUs of one tick in a single socket write', async () => {
    const { port } = await startServer({ windowSize: 100 }, (session) => session.on('request', (req) => respondWithId(req, 'c')));
    const client = await bindClient(port, 'transceiver', { windowSize: 100 });
    const write = vi.spyOn(client.socket, 'write');
    const responses = Array.from({ length: 50 }, (_, i) => client.request(submitSm(`m${i}`)));
    expect(responses.every((r) => r !== null)).toBe(true);
    const resolved = await Promise.all(responses);
    expect(resolved.map((r) => r?.status)).toEqual(Array(50).fill(Status.ESME_ROK));
    expect(write).toHaveBeenCalledTimes(1);
    const expectedBytes = Array.from({ length: 50 }, (_, i) => encodePdu(submitSm(`m${i}`)).length).reduce((a, b) => a + b);
    expect((write.mock.calls[0]![0] as Buffer).length).toBe(expectedBytes);
  });

  it('refuses requests while the peer is not reading, pauses reading, and drains when it reads again', async () => {
    const { port, nextSession } = await startServer({ windowSize: 100_000, responseTimeoutMs: 0 });
    const peer = await RawPeer.connect(port);
    const server = await nextSession();
    peer.send(bindPdu('bind_receiver', 1));
    await peer.responseTo(1);
    peer.socket.pause();

    const payload = { tag: 0x0424, value: Buffer.alloc(32_768, 0x41) };
    const delivery = { ...deliverSm(''), tlvs: [payload] };
    const pending: Array<Promise<unknown>> = [];
    let refused = false;
    for (let tick = 0; tick < 2_000 && !refused; tick++) {
      for (let i = 0; i < 20; i++) {
        const response = server.request(delivery);
        if (response === null) {
          refused = true;
          break;
        }
        pending.push(response.catch(() => undefined));
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(refused).toBe(true);
    expect(server.pendingRequests).toBeLessThan(100_000);
    expect(server.canRequest).toBe(false);
    expect(server.socket.isPaused()).toBe(true);

    const drained = new Promise<void>((resolve) => server.once('drain', resolve));
    peer.socket.resume();
    await drained;
    expect(server.canRequest).toBe(true);
    expect(server.socket.isPaused()).toBe(false);
  });

  it('answers ESME_RTHROTTLED beyond maxInboundPending unanswered requests', async () => {
    const held: IncomingRequest[] = [];
    const { port } = await startServer({ maxInboundPending: 2 }, (session) => session.on('request', (req) => held.push(req)));
    const client = await bindClient(port);
    const first = client.request(submitSm('1'))!;
    const second = client.request(submitSm('2'))!;
    const third = client.request(submitSm('3'))!;
    expect((await third)?.status).toBe(Status.ESME_RTHROTTLED);
    expect(held).toHaveLength(2);
    for (const req of held) respondWithId(req, 'ok');
    expect((await first)?.status).toBe(Status.ESME_ROK);
    expect((await second)?.status).toBe(Status.ESME_ROK);
  });
});

describe('graceful unbind', () => {
  it('lets requests in flight finish before sending unbind, and refuses new ones meanwhile', async () => {
    const { port, nextSession } = await startServer({}, (session) =>
      session.on('request', (req) => setTimeout(() => respondWithId(req, `late-${req.pdu.sequence}`), 30)),
    );
    const client = await bindClient(port);
    const server = await nextSession();
    const serverSaw = commandsIn(server);
    const serverClosed = server.whenClosed();

    const inFlight = [client.request(submitSm('1'))!, client.request(submitSm('2'))!, client.request(submitSm('3'))!];
    const unbound = client.unbind();
    expect(client.request(submitSm('4'))).toBeNull();
    const responses = await Promise.all(inFlight);
    expect(responses.map((r) => r?.status)).toEqual([Status.ESME_ROK, Status.ESME_ROK, Status.ESME_ROK]);
    await unbound;
    expect(client.closeReason?.code).toBe('UNBOUND');
    expect((await serverClosed).code).toBe('PEER_UNBOUND');
    expect(serverSaw).toEqual(['submit_sm', 'submit_sm', 'submit_sm', 'unbind']);
    expect(client.unbind()).toBe(unbound);
  });

  it('answers a peer unbind only after the responses the application still owes', async () => {
    const { port } = await startServer({}, (session) =>
      session.on('request', (req) => setTimeout(() => respondWithId(req, 'owed'), 30)),
    );
    const peer = await RawPeer.connect(port);
    peer.send(bindPdu('bind_transceiver', 1));
    await peer.responseTo(1);
    peer.send(Buffer.concat([encodePdu({ ...submitSm(), sequence: 2 }), encodePdu(makePdu('unbind', {}, { sequence: 3 }))]));
    await peer.closed;
    expect(peer.received.map((p: Pdu) => [p.command, p.sequence, p.status])).toEqual([
      ['bind_transceiver_resp', 1, 0],
      ['submit_sm_resp', 2, 0],
      ['unbind_resp', 3, 0],
    ]);
  });

  it('answers a peer unbind after unbindTimeoutMs even if the application never responds', async () => {
    const held: IncomingRequest[] = [];
    const { port, nextSession } = await startServer({ unbindTimeoutMs: 40 }, (session) =>
      session.on('request', (req) => held.push(req)),
    );
    const peer = await RawPeer.connect(port);
    const server = await nextSession();
    peer.send(bindPdu('bind_transceiver', 1));
    await peer.responseTo(1);
    peer.send(Buffer.concat([encodePdu({ ...submitSm(), sequence: 2 }), encodePdu(makePdu('unbind', {}, { sequence: 3 }))]));
    expect((await peer.responseTo(3)).command).toBe('unbind_resp');
    await server.whenClosed();
    expect(held).toHaveLength(1);
    expect(respondWithId(held[0]!, 'too late')).toBe(false);
  });

  it('completes when both sides unbind at the same moment', async () => {
    const { port, nextSession } = await startServer();
    const client = await bindClient(port);
    const server = await nextSession();
    await Promise.all([client.unbind(), server.unbind()]);
    expect(client.isClosed).toBe(true);
    expect(server.isClosed).toBe(true);
  });

  it('closes when unbind_resp never comes, after unbindTimeoutMs', async () => {
    const { port, nextSession } = await startServer({ unbindTimeoutMs: 40 });
    const peer = await RawPeer.connect(port);
    const server = await nextSession();
    peer.send(bindPdu('bind_transceiver', 1));
    await peer.responseTo(1);
    await server.unbind();
    expect(server.closeReason?.code).toBe('UNBOUND');
    expect(peer.received.map((p) => p.command)).toContain('unbind');
  });

  it('server close() unbinds bound clients and releases the port', async () => {
    const { server, port } = await startServer();
    const client = await bindClient(port);
    const reasons: CloseReason[] = [];
    client.on('close', (reason) => reasons.push(reason));
    await server.close();
    await client.whenClosed();
    expect(reasons.map((r) => r.code)).toEqual(['PEER_UNBOUND']);
    expect(server.sessions.size).toBe(0);
  });

  it('close() rejects pending requests, answers late respond() with false and emits close once', async () => {
    const held: IncomingRequest[] = [];
    const { port, nextSession } = await startServer({}, (session) => session.on('request', (req) => held.push(req)));
    const client = await bindClient(port);
    const server = await nextSession();
    const closes: CloseReason[] = [];
    server.on('close', (reason) => closes.push(reason));
    const pending = client.request(submitSm())!;
    await expect.poll(() => held.length).toBe(1);
    const outbound = server.request(deliverSm())!;
    server.close('maintenance');
    server.close('again');
    await expect(outbound).rejects.toMatchObject({ code: 'SESSION_CLOSED' });
    await expect(pending).rejects.toMatchObject({ code: 'SESSION_CLOSED' });
    expect(respondWithId(held[0]!, 'x')).toBe(false);
    await delay(10);
    expect(closes).toEqual([{ code: 'LOCAL', message: 'maintenance' }]);
  });
});
