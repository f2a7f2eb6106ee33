import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { connectAndBind, type IncomingRequest, type SmppSession } from '../../src/session/index.js';
import { submitSmPdu } from '../../src/sim/pdus.js';
import { Status, TlvTag, integerTlv, messageStateOf, receiptedMessageIdOf, type PduOf } from '../../src/smpp/index.js';
import { cleanupAll, eventually, track } from '../sim/helpers.js';
import { nextPdu, peer, type PeerMessage, type PeerPdu, type PeerSession } from './peer.js';

afterEach(cleanupAll);

/** The peer as an SMSC: accepts acme/secret, keeps every PDU, answers submit_sm with `submitStatus`. */
async function startPeerServer(submitStatus: number = Status.ESME_ROK) {
  const received: PeerPdu[] = [];
  const sessions: PeerSession[] = [];
  let count = 0;
  const server = peer.createServer({}, (session) => {
    sessions.push(session);
    session.on('error', () => undefined);
    session.on('pdu', (pdu: PeerPdu) => received.push(pdu));
    session.on('bind_transceiver', (pdu: PeerPdu) => {
      const ok = pdu['system_id'] === 'acme' && pdu['password'] === 'secret';
      session.send(pdu.response(ok ? { system_id: 'THEIRS' } : { command_status: Status.ESME_RBINDFAIL }));
    });
    session.on('submit_sm', (pdu: PeerPdu) => {
      count++;
      session.send(pdu.response(submitStatus === Status.ESME_ROK ? { message_id: `theirs-${count}` } : { command_status: submitStatus }));
    });
    session.on('enquire_link', (pdu: PeerPdu) => session.send(pdu.response()));
    session.on('unbind', (pdu: PeerPdu) => session.send(pdu.response()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  track(() => {
    for (const s of sessions) s.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { port: (server.address() as AddressInfo).port, received, sessions };
}

async function bindOurs(port: number, onRequest?: (request: IncomingRequest) => void): Promise<SmppSession> {
  const session = await connectAndBind({
    host: '127.0.0.1',
    port,
    bindType: 'transceiver',
    bind: { system_id: 'acme', password: 'secret', system_type: 'OTA' },
    session: { enquireLinkIntervalMs: 0, unbindTimeoutMs: 1_000 },
  });
  if (onRequest !== undefined) session.on('request', onRequest);
  track(() => session.close());
  return session;
}

describe('our client bound to the smpp package as a server', () => {
  it('binds; the peer reads our bind, we read its response', async () => {
    const theirs = await startPeerServer();
    const session = await bindOurs(theirs.port);
    expect(session.state).toBe('BOUND_TRX');
    expect(session.peerSystemId).toBe('THEIRS');
    expect(theirs.received[0]).toMatchObject({ command: 'bind_transceiver', system_id: 'acme', password: 'secret', system_type: 'OTA', interface_version: 0x34 });
    await expect(
      connectAndBind({ host: '127.0.0.1', port: theirs.port, bindType: 'transceiver', bind: { system_id: 'acme', password: 'nope' }, session: { enquireLinkIntervalMs: 0 } }),
    ).rejects.toMatchObject({ code: 'BIND_FAILED', status: Status.ESME_RBINDFAIL });
  });

  it('our submit_sm decodes in the peer to the fields we sent, and its message id comes back', async () => {
    const theirs = await startPeerServer();
    const session = await bindOurs(theirs.port);
    const pdu = submitSmPdu(
      { service_type: 'CMT', priority_flag: 2, short_message: Buffer.from('Plain ASCII text 123', 'latin1') },
      { tlvs: [integerTlv(TlvTag.sar_msg_ref_num, 0x1234), integerTlv(TlvTag.sar_total_segments, 2), integerTlv(TlvTag.sar_segment_seqnum, 1)] },
    );
    const resp = (await session.request(pdu))!;
    expect(resp).toMatchObject({ status: 0, body: { message_id: 'theirs-1' } });
    const got = theirs.received.find((p) => p.command === 'submit_sm')!;
    const { short_message: _sm, ...scalars } = pdu.body;
    expect(got).toMatchObject({ ...scalars, sar_msg_ref_num: 0x1234, sar_total_segments: 2, sar_segment_seqnum: 1 });
    expect((got['short_message'] as PeerMessage).message).toBe('Plain ASCII text 123');
  });

  it('a refused submit comes back with the peer status', async () => {
    const theirs = await startPeerServer(Status.ESME_RTHROTTLED);
    const session = await bindOurs(theirs.port);
    const resp = (await session.request(submitSmPdu()))!;
    expect(resp.status).toBe(Status.ESME_RTHROTTLED);
    expect(resp.body.message_id).toBeUndefined();
  });

  it('a receipt the peer sends decodes in ours, and the peer reads our deliver_sm_resp', async () => {
    const theirs = await startPeerServer();
    const delivered: PduOf<'deliver_sm'>[] = [];
    await bindOurs(theirs.port, (request) => {
      if (request.command !== 'deliver_sm') return;
      delivered.push(request.pdu);
      request.respond(Status.ESME_ROK, { message_id: '' });
    });
    const peerSession = theirs.sessions[0]!;
    const text = 'id:theirs-1 sub:001 dlvrd:001 submit date:2611220101 done date:2611220102 stat:DELIVRD err:000 text:Hi';
    const answered = new Promise<PeerPdu>((resolve) =>
      peerSession.deliver_sm(
        {
          source_addr: '447700900123',
          destination_addr: 'ACME',
          esm_class: 4,
          data_coding: 0,
          short_message: Buffer.from(text, 'latin1'),
          receipted_message_id: 'theirs-1',
          message_state: 2,
        },
        resolve,
      ),
    );
    expect((await answered).command).toBe('deliver_sm_resp');
    expect((await answered).command_status).toBe(0);
    const receipt = delivered[0]!;
    expect(receipt.body).toMatchObject({ source_addr: '447700900123', destination_addr: 'ACME', esm_class: 4 });
    expect(receipt.body.short_message.toString('latin1')).toBe(text);
    expect(receiptedMessageIdOf(receipt.tlvs)).toBe('theirs-1');
    expect(messageStateOf(receipt.tlvs)).toBe(2);
  });

  it('answers the peer enquire_link, and our unbind ends the session the way the peer expects', async () => {
    const theirs = await startPeerServer();
    const session = await bindOurs(theirs.port);
    const peerSession = theirs.sessions[0]!;
    const resp = new Promise<PeerPdu>((resolve) => peerSession.enquire_link({}, resolve));
    expect((await resp).command).toBe('enquire_link_resp');
    const unbindSeen = nextPdu(peerSession, 'unbind');
    await session.unbind();
    expect((await unbindSeen).command).toBe('unbind');
    expect(session.closeReason?.code).toBe('UNBOUND');
    // Our request window and queue are empty: nothing was left waiting on the peer.
    await eventually(() => session.isClosed);
    expect(session.pendingRequests).toBe(0);
  });
});
