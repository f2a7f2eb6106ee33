import { afterEach, describe, expect, it } from 'vitest';
import { createSmppServer, type IncomingRequest, type SmppSession } from '../../src/session/index.js';
import {
  EsmMessageType,
  Status,
  TlvTag,
  cstringTlv,
  integerTlv,
  makePdu,
  tlvInteger,
  type PduOf,
} from '../../src/smpp/index.js';
import { deliverSmPdu } from '../../src/sim/pdus.js';
import { cleanupAll, eventually, track } from '../sim/helpers.js';
import { connectPeer, nextPdu, peer, peerRequest, type PeerMessage, type PeerSession } from './peer.js';

afterEach(cleanupAll);

/** Our SMSC side: accepts acme/secret, answers submit_sm with a fixed id, keeps what arrived. */
async function startOurServer() {
  const requests: IncomingRequest[] = [];
  const sessions: SmppSession[] = [];
  const server = createSmppServer(
    { host: '127.0.0.1', port: 0 },
    {
      systemId: 'OURSMSC',
      enquireLinkIntervalMs: 0,
      authenticate: async (bind) => ({
        status: bind.body.system_id === 'acme' && bind.body.password === 'secret' ? Status.ESME_ROK : Status.ESME_RBINDFAIL,
      }),
    },
    (session) => {
      sessions.push(session);
      session.on('request', (request) => {
        requests.push(request);
        if (request.command === 'submit_sm') request.respond(Status.ESME_ROK, { message_id: `ours-${requests.length}` });
      });
    },
  );
  const { port } = await server.listen();
  track(() => server.close());
  return { port, requests, sessions };
}

async function boundPeer(port: number): Promise<PeerSession> {
  const { session } = await connectPeer(port);
  track(() => session.destroy());
  const resp = await peerRequest(session, 'bind_transceiver', { system_id: 'acme', password: 'secret', interface_version: 0x34 });
  expect(resp.command_status).toBe(Status.ESME_ROK);
  return session;
}

describe('the smpp package as a client of our server', () => {
  it('binds; our server reads its bind and it reads our bind response', async () => {
    const ours = await startOurServer();
    const { session } = await connectPeer(ours.port);
    track(() => session.destroy());
    const resp = await peerRequest(session, 'bind_transceiver', { system_id: 'acme', password: 'secret', system_type: 'VMA', interface_version: 0x34 });
    expect(resp).toMatchObject({ command: 'bind_transceiver_resp', command_status: 0, system_id: 'OURSMSC', sc_interface_version: 0x34 });
    await eventually(() => ours.sessions[0]?.state === 'BOUND_TRX');
    expect(ours.sessions[0]!.peerSystemId).toBe('acme');

    const { session: intruder } = await connectPeer(ours.port);
    track(() => intruder.destroy());
    const refused = await peerRequest(intruder, 'bind_transceiver', { system_id: 'acme', password: 'guess' });
    expect(refused).toMatchObject({ command: 'bind_transceiver_resp', command_status: Status.ESME_RBINDFAIL });
  });

  it('its submit_sm decodes in ours to the fields it sent, and it reads our message id', async () => {
    const ours = await startOurServer();
    const session = await boundPeer(ours.port);
    const fields = {
      service_type: 'CMT',
      source_addr_ton: 5,
      source_addr_npi: 0,
      source_addr: 'ACME',
      dest_addr_ton: 1,
      dest_addr_npi: 1,
      destination_addr: '447700900123',
      esm_class: 0,
      protocol_id: 0,
      priority_flag: 1,
      registered_delivery: 1,
      replace_if_present_flag: 0,
      data_coding: 0,
      sm_default_msg_id: 0,
      short_message: Buffer.from('Hello from an independent client', 'latin1'),
      user_message_reference: 0x1a2b,
    };
    const resp = await peerRequest(session, 'submit_sm', fields);
    expect(resp).toMatchObject({ command: 'submit_sm_resp', command_status: 0, message_id: 'ours-1' });

    const request = ours.requests[0]!;
    expect(request.command).toBe('submit_sm');
    const pdu = request.pdu as PduOf<'submit_sm'>;
    const { short_message, user_message_reference: _ref, ...scalars } = fields;
    expect(pdu.body).toMatchObject({ ...scalars, schedule_delivery_time: '', validity_period: '' });
    expect(pdu.body.short_message).toEqual(short_message);
    expect(tlvInteger(pdu.tlvs, TlvTag.user_message_reference)).toBe(0x1a2b);
    // The bytes we received are exactly what the peer's own encoder makes of the same fields.
    const expected = new peer.PDU('submit_sm', { ...fields, sequence_number: pdu.sequence }).toBuffer();
    expect(Buffer.from(request.frame)).toEqual(expected);
  });

  it('its UCS-2 text arrives as the UTF-16BE octets, untouched', async () => {
    const ours = await startOurServer();
    const session = await boundPeer(ours.port);
    await peerRequest(session, 'submit_sm', { destination_addr: '447700900123', data_coding: 8, short_message: 'Привет, мир' });
    const body = (ours.requests[0]!.pdu as PduOf<'submit_sm'>).body;
    expect(body.data_coding).toBe(8);
    expect(body.short_message).toEqual(Buffer.from('Привет, мир', 'utf16le').swap16());
  });

  it('reads the receipt and MO our server sends it, fields and TLVs as we wrote them', async () => {
    const ours = await startOurServer();
    const session = await boundPeer(ours.port);
    await eventually(() => ours.sessions[0]?.state === 'BOUND_TRX');
    const ourSession = ours.sessions[0]!;
    const text = 'id:ours-1 sub:001 dlvrd:001 submit date:2611220101 done date:2611220102 stat:DELIVRD err:000 text:Hello';
    const receipt = deliverSmPdu(
      { esm_class: EsmMessageType.deliveryReceipt, data_coding: 0, short_message: Buffer.from(text, 'latin1') },
      { tlvs: [cstringTlv(TlvTag.receipted_message_id, 'ours-1'), integerTlv(TlvTag.message_state, 2)] },
    );
    const arriving = nextPdu(session, 'deliver_sm');
    const answered = ourSession.request(receipt)!;
    const theirs = await arriving;
    expect(theirs).toMatchObject({
      source_addr: '447700900123',
      destination_addr: 'ACME',
      esm_class: 4,
      receipted_message_id: 'ours-1',
      message_state: 2,
    });
    expect((theirs['short_message'] as PeerMessage).message).toBe(text);
    session.send(theirs.response());
    expect((await answered).status).toBe(Status.ESME_ROK);

    const mo = makePdu('deliver_sm', { ...receipt.body, esm_class: 0, data_coding: 8, short_message: Buffer.from('Ответ', 'utf16le').swap16() });
    const moArriving = nextPdu(session, 'deliver_sm');
    const moAnswered = ourSession.request(mo)!;
    expect(((await moArriving)['short_message'] as PeerMessage).message).toBe('Ответ');
    session.send((await moArriving).response());
    expect((await moAnswered).status).toBe(Status.ESME_ROK);
  });

  it('gets enquire_link answered, and its unbind ends our session cleanly', async () => {
    const ours = await startOurServer();
    const session = await boundPeer(ours.port);
    expect((await peerRequest(session, 'enquire_link')).command).toBe('enquire_link_resp');
    expect((await peerRequest(session, 'unbind')).command).toBe('unbind_resp');
    expect((await ours.sessions[0]!.whenClosed()).code).toBe('PEER_UNBOUND');
  });

  it('gets generic_nack for a command our server does not know, and the session goes on', async () => {
    const ours = await startOurServer();
    const session = await boundPeer(ours.port);
    const unknown = Buffer.alloc(16);
    unknown.writeUInt32BE(16, 0);
    unknown.writeUInt32BE(0x00000112, 4); // query_broadcast_sm: SMPP 5.0, unknown to a 3.4 codec
    unknown.writeUInt32BE(77, 12);
    const nack = nextPdu(session, 'generic_nack');
    session.socket.write(unknown);
    expect(await nack).toMatchObject({ command_status: Status.ESME_RINVCMDID, sequence_number: 77 });
    expect((await peerRequest(session, 'enquire_link')).command).toBe('enquire_link_resp');
  });
});
