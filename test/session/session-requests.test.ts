import { afterEach, describe, expect, it } from 'vitest';
import { Status, makePdu, encodePdu, type Pdu } from '../../src/smpp/index.js';
import { FakeTimers, MAX_SEQUENCE, SessionError, type IncomingRequest } from '../../src/session/index.js';
import {
  RawPeer,
  bindClient,
  bindPdu,
  cleanupAll,
  deliverSm,
  rejectionOf,
  respondWithId,
  startRawSmsc,
  startServer,
  submitSm,
} from './helpers.js';

afterEach(cleanupAll);

/** Collects the server side's incoming requests so a test can answer them when it chooses. */
function holdRequests(session: { on(event: 'request', fn: (req: IncomingRequest) => void): unknown }): IncomingRequest[] {
  const held: IncomingRequest[] = [];
  session.on('request', (req) => held.push(req));
  return held;
}

describe('requests and responses over a real socket', () => {
  it('binds, submits and receives the response the application gave', async () => {
    const { port, nextSession } = await startServer({}, (session) => {
      session.on('request', (req) => {
        if (req.command === 'submit_sm') req.respond(Status.ESME_ROK, { message_id: `id-${req.pdu.body.destination_addr}` });
      });
    });
    const client = await bindClient(port, 'transmitter');
    const server = await nextSession();
    expect(client.state).toBe('BOUND_TX');
    expect(server.state).toBe('BOUND_TX');
    expect(server.peerSystemId).toBe('acme');
    expect(client.peerSystemId).toBe('TESTSMSC');

    const response = await client.request(submitSm('hi', '4411'));
    expect(response?.command).toBe('submit_sm_resp');
    expect(response?.status).toBe(Status.ESME_ROK);
    expect(response?.body.message_id).toBe('id-4411');
  });

  it('resolves responses with an error status (the caller decides) and sends them header-only', async () => {
    const { port } = await startServer({}, (session) => {
      session.on('request', (req) => req.respond(Status.ESME_RTHROTTLED));
    });
    const client = await bindClient(port);
    const frames: Buffer[] = [];
    client.on('pdu_in', (info) => frames.push(Buffer.from(info.frame)));
    const response = await client.request(submitSm());
    expect(response?.status).toBe(Status.ESME_RTHROTTLED);
    expect(response?.body.message_id).toBeUndefined();
    expect(frames[0]?.length).toBe(16);
  });

  it('returns null when the window is full and emits drain once a response frees a slot', async () => {
    const { port, nextSession } = await startServer();
    const client = await bindClient(port, 'transceiver', { windowSize: 2 });
    const held = holdRequests(await nextSession());

    const first = client.request(submitSm('1'));
    const second = client.request(submitSm('2'));
    expect(first).not.toBeNull();
    expect(second).not.toBeNull();
    expect(client.canRequest).toBe(false);
    expect(client.request(submitSm('3'))).toBeNull();
    expect(client.pendingRequests).toBe(2);

    await expect.poll(() => held.length).toBe(2);
    const drained = new Promise<void>((resolve) => client.once('drain', resolve));
    respondWithId(held[0]!, 'a');
    await drained;
    expect(client.canRequest).toBe(true);
    const third = client.request(submitSm('3'));
    expect(third).not.toBeNull();
    respondWithId(held[1]!, 'b');
    await expect.poll(() => held.length).toBe(3);
    respondWithId(held[2]!, 'c');
    expect((await first)?.body.message_id).toBe('a');
    expect((await second)?.body.message_id).toBe('b');
    expect((await third)?.body.message_id).toBe('c');
  });

  it('rejects a request whose response never comes with RESPONSE_TIMEOUT and frees its slot', async () => {
    const timers = new FakeTimers();
    const { port, nextSession } = await startServer();
    const client = await bindClient(port, 'transceiver', { windowSize: 1, responseTimeoutMs: 500, timers });
    const held = holdRequests(await nextSession());
    const timeouts: number[] = [];
    client.on('response_timeout', (expired) => timeouts.push(expired.sequence));

    const pending = client.request(submitSm())!;
    const rejection = rejectionOf(pending);
    expect(client.request(submitSm())).toBeNull();
    await expect.poll(() => held.length).toBe(1);
    timers.advance(499);
    expect(client.pendingRequests).toBe(1);
    timers.advance(1);
    const error = await rejection;
    expect(error.code).toBe('RESPONSE_TIMEOUT');
    expect(timeouts).toEqual([error.sequence]);
    expect(client.pendingRequests).toBe(0);
    expect(client.canRequest).toBe(true);

    // The late answer matches nothing any more: reported, not fatal.
    const unexpected = new Promise<Pdu>((resolve) => client.once('unexpected_response', resolve));
    respondWithId(held[0]!, 'late');
    expect((await unexpected).sequence).toBe(error.sequence);
    expect(client.state).toBe('BOUND_TRX');
  });

  it('wraps sequence numbers from 0x7FFFFFFF to 1 and matches every response to its request', async () => {
    const seen: number[] = [];
    const { port } = await startServer({}, (session) => {
      session.on('request', (req) => {
        seen.push(req.pdu.sequence);
        respondWithId(req, `m${req.pdu.sequence}`);
      });
    });
    // The bind itself takes MAX_SEQUENCE - 1.
    const client = await bindClient(port, 'transceiver', { sequenceStart: MAX_SEQUENCE - 1 });
    const responses = await Promise.all([client.request(submitSm('a')), client.request(submitSm('b')), client.request(submitSm('c'))]);
    expect(seen).toEqual([MAX_SEQUENCE, 1, 2]);
    expect(responses.map((r) => r?.sequence)).toEqual([MAX_SEQUENCE, 1, 2]);
    expect(responses.map((r) => r?.body.message_id)).toEqual([`m${MAX_SEQUENCE}`, 'm1', 'm2']);
  });

  it('sends an already-encoded frame with its sequence number patched (the forwarding path)', async () => {
    const received: Buffer[] = [];
    const { port } = await startServer({}, (session) => {
      session.on('request', (req) => {
        received.push(Buffer.from(req.frame));
        respondWithId(req, 'raw');
      });
    });
    const client = await bindClient(port);
    const original = encodePdu({ ...submitSm('spliced'), sequence: 0x1234 });
    const response = await client.requestRaw(original);
    expect(response?.command).toBe('submit_sm_resp');
    const forwarded = received[0]!;
    expect(forwarded.readUInt32BE(12)).toBe(response!.sequence);
    expect(forwarded.subarray(16)).toEqual(original.subarray(16));
    expect(original.readUInt32BE(12)).toBe(0x1234);
    expect(() => client.requestRaw(original.subarray(0, 20))).toThrow(SessionError);
    expect(() => client.requestRaw(encodePdu(makePdu('submit_sm_resp', { message_id: 'x' })))).toThrow(SessionError);
  });

  it('rejects a request answered with generic_nack, carrying its status', async () => {
    const { port, nextSession } = await startServer();
    const client = await bindClient(port);
    const server = await nextSession();
    server.on('request', (req) => req.respondRaw(encodePdu(makePdu('generic_nack', {}, { status: Status.ESME_RSYSERR }))));
    const error = await rejectionOf(client.request(submitSm())!);
    expect(error.code).toBe('GENERIC_NACK');
    expect(error.status).toBe(Status.ESME_RSYSERR);
    expect(client.state).toBe('BOUND_TRX');
  });

  it('answers enquire_link itself, with the request sequence number', async () => {
    const { port } = await startServer();
    const peer = await RawPeer.connect(port);
    peer.send(bindPdu('bind_transceiver', 1));
    expect((await peer.responseTo(1)).status).toBe(Status.ESME_ROK);
    peer.send(makePdu('enquire_link', {}, { sequence: 77 }));
    const resp = await peer.responseTo(77);
    expect(resp.command).toBe('enquire_link_resp');
    expect(resp.status).toBe(Status.ESME_ROK);
  });

  it('sends enquire_link after a quiet interval and keeps the session while it is answered', async () => {
    const timers = new FakeTimers();
    const { port } = await startServer();
    const client = await bindClient(port, 'transceiver', { enquireLinkIntervalMs: 30_000, responseTimeoutMs: 5_000, timers });
    const answers: string[] = [];
    client.on('pdu_in', (info) => answers.push(info.command));
    timers.advance(29_999);
    expect(client.pendingRequests).toBe(0);
    timers.advance(1);
    expect(client.pendingRequests).toBe(1);
    await expect.poll(() => answers).toEqual(['enquire_link_resp']);
    timers.advance(30_000);
    await expect.poll(() => answers).toEqual(['enquire_link_resp', 'enquire_link_resp']);
    timers.advance(10_000);
    expect(client.isClosed).toBe(false);
  });

  it('closes with ENQUIRE_LINK_TIMEOUT when the keepalive goes unanswered', async () => {
    const timers = new FakeTimers();
    const silent = await startRawSmsc();
    const client = await bindClient(silent.port, 'transceiver', { enquireLinkIntervalMs: 30_000, responseTimeoutMs: 5_000, timers });
    const peer = await silent.nextPeer();
    timers.advance(30_000);
    await peer.waitFor(2);
    expect(peer.received[1]?.command).toBe('enquire_link');
    timers.advance(4_999);
    expect(client.isClosed).toBe(false);
    timers.advance(1);
    expect(client.closeReason?.code).toBe('ENQUIRE_LINK_TIMEOUT');
  });

  it('offers incoming requests with the raw frame, and respond() works exactly once', async () => {
    const { port, nextSession } = await startServer();
    const client = await bindClient(port, 'transceiver');
    const server = await nextSession();
    const incoming = new Promise<IncomingRequest>((resolve) => client.once('request', resolve));
    const delivery = server.request(deliverSm('MO text'))!;
    const req = await incoming;
    if (req.command !== 'deliver_sm') throw new Error(`unexpected ${req.command}`);
    expect(req.frame.readUInt32BE(4)).toBe(0x00000005);
    expect(req.frame.length).toBe(req.frame.readUInt32BE(0));
    expect(req.respond(Status.ESME_ROK, { message_id: '' })).toBe(true);
    expect(req.responded).toBe(true);
    expect(() => req.respond(Status.ESME_ROK)).toThrow(SessionError);
    expect((await delivery)?.command).toBe('deliver_sm_resp');
  });

  it('answers ESME_RSYSERR when a request listener throws, and keeps the session', async () => {
    const errors: unknown[] = [];
    const { port } = await startServer({}, (session) => {
      session.on('handler_error', (error) => errors.push(error));
      session.on('request', () => {
        throw new Error('application bug');
      });
    });
    const client = await bindClient(port);
    expect((await client.request(submitSm()))?.status).toBe(Status.ESME_RSYSERR);
    expect(errors).toHaveLength(1);
    expect((await client.request(submitSm()))?.status).toBe(Status.ESME_RSYSERR);
  });

  it('refuses to send commands the bind state does not allow, with a typed error', async () => {
    const { port } = await startServer();
    const receiver = await bindClient(port, 'receiver');
    expect(() => receiver.request(submitSm())).toThrow(expect.objectContaining({ code: 'INVALID_BIND_STATE' }));
    expect(() => receiver.request(makePdu('unbind', {}) as never)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
