import { afterEach, describe, expect, it } from 'vitest';
import { MessageState, Status, parseReceiptText } from '../../src/smpp/index.js';
import { ACCOUNT, cleanupAll, startSim, track } from '../sim/helpers.js';
import { connectPeer, nextPdu, peerRequest, type PeerMessage, type PeerSession } from './peer.js';

afterEach(cleanupAll);

async function peerBoundTo(port: number): Promise<PeerSession> {
  const { session } = await connectPeer(port);
  track(() => session.destroy());
  const resp = await peerRequest(session, 'bind_transceiver', { system_id: ACCOUNT.systemId, password: ACCOUNT.password });
  expect(resp).toMatchObject({ command_status: 0, system_id: 'CARRIERSIM' });
  return session;
}

describe('the smpp package as a client of the carrier simulator', () => {
  it('submits, gets the message id, then the receipt with TLVs and text naming that id', async () => {
    const sim = await startSim({ messageIdFormat: 'hex' });
    const session = await peerBoundTo(sim.port);
    const receiptArriving = nextPdu(session, 'deliver_sm');
    const resp = await peerRequest(session, 'submit_sm', {
      source_addr: 'ACME',
      destination_addr: '447700900123',
      registered_delivery: 1,
      short_message: 'Interop hello',
    });
    expect(resp).toMatchObject({ command: 'submit_sm_resp', command_status: 0, message_id: '1A2B3C4D' });

    const receipt = await receiptArriving;
    session.send(receipt.response());
    expect(receipt).toMatchObject({
      esm_class: 4,
      source_addr: '447700900123',
      destination_addr: 'ACME',
      receipted_message_id: '1A2B3C4D',
      message_state: MessageState.DELIVERED,
    });
    const text = (receipt['short_message'] as PeerMessage).message as string;
    expect(parseReceiptText(text)).toMatchObject({ id: '1A2B3C4D', stat: 'DELIVRD', text: 'Interop hello' });
    await sim.waitForReceipts(1, 5_000);
    expect(sim.receipts[0]).toMatchObject({ status: Status.ESME_ROK, attempt: 1 });
    // The simulator saw the peer's bytes: the fields the peer wrote, text included.
    expect(sim.submits[0]!.pdu.body).toMatchObject({ source_addr: 'ACME', destination_addr: '447700900123', registered_delivery: 1 });
  });

  it('queries a message and receives MO', async () => {
    const sim = await startSim({ receiptDelayMs: 60_000 });
    const session = await peerBoundTo(sim.port);
    const { message_id: id } = await peerRequest(session, 'submit_sm', { destination_addr: '447700900123', short_message: 'q' });
    const query = await peerRequest(session, 'query_sm', { message_id: id, source_addr: 'ACME' });
    expect(query).toMatchObject({ command: 'query_sm_resp', command_status: 0, message_id: id, message_state: MessageState.ENROUTE });

    const moArriving = nextPdu(session, 'deliver_sm');
    const sending = sim.sendMo({ from: '447700900001', to: '88888', text: 'STOP' });
    const mo = await moArriving;
    session.send(mo.response());
    expect(mo).toMatchObject({ source_addr: '447700900001', destination_addr: '88888', esm_class: 0 });
    expect((mo['short_message'] as PeerMessage).message).toBe('STOP');
    expect(await sending).toMatchObject({ ok: true, statuses: [0] });
  });
});
