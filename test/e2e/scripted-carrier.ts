import { createServer, type Server, type Socket } from 'node:net';
import {
  EsmMessageType,
  FrameSplitter,
  Status,
  cstringTlv,
  decodePdu,
  encodePdu,
  formatReceiptText,
  integerTlv,
  makePdu,
  MessageState,
  TlvTag,
  type Pdu,
  type PduOf,
  type Tlv,
} from '../../src/smpp/index.js';
import { SAMPLE_HANDSET, SAMPLE_SENDER, deliverSmPdu } from '../../src/sim/pdus.js';
import { track } from './harness.js';

/** What the carrier writes back for one submit_sm: every PDU in one socket write, in this order. */
export type SubmitScript = (submit: PduOf<'submit_sm'>, carrier: ScriptedCarrier) => Pdu[];

/**
 * A carrier written directly on a socket with our codec, for orderings a real SMSC stack would
 * not produce on request: a receipt written before (and in the same TCP segment as) the
 * submit_sm_resp it belongs to, ids spelt differently in the receipt, receipts for ids it never
 * gave. It binds anyone, answers enquire_link and unbind, and records everything it receives.
 */
export class ScriptedCarrier {
  readonly received: Pdu[] = [];
  private readonly sockets = new Set<Socket>();
  private nextSequence = 1;

  private constructor(
    private readonly server: Server,
    readonly port: number,
    public script: SubmitScript,
  ) {}

  static async start(script: SubmitScript): Promise<ScriptedCarrier> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no TCP address');
    const carrier = new ScriptedCarrier(server, address.port, script);
    server.on('connection', (socket) => carrier.attach(socket));
    track(() => carrier.stop());
    return carrier;
  }

  /** deliver_sm_resp PDUs received so far. */
  get deliverResponses(): PduOf<'deliver_sm_resp'>[] {
    return this.received.filter((p): p is PduOf<'deliver_sm_resp'> => p.command === 'deliver_sm_resp');
  }

  sequence(): number {
    return this.nextSequence++;
  }

  /** Writes PDUs to every bound connection (the proxy's transceiver binds). */
  send(pdus: Pdu[]): void {
    const frame = Buffer.concat(pdus.map((p) => encodePdu(p)));
    for (const socket of this.sockets) socket.write(frame);
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private attach(socket: Socket): void {
    const splitter = new FrameSplitter(70_000);
    socket.on('error', () => undefined);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('data', (chunk) => {
      splitter.push(chunk);
      for (let frame = splitter.next(); frame !== undefined; frame = splitter.next()) {
        if (!Buffer.isBuffer(frame)) {
          socket.destroy();
          return;
        }
        const decoded = decodePdu(Buffer.from(frame));
        if (!decoded.ok) continue;
        this.received.push(decoded.pdu);
        this.answer(socket, decoded.pdu);
      }
    });
  }

  private answer(socket: Socket, pdu: Pdu): void {
    const reply = (response: Pdu): void => {
      socket.write(encodePdu(response));
    };
    switch (pdu.command) {
      case 'bind_transceiver':
      case 'bind_transmitter':
      case 'bind_receiver':
        reply(makePdu(`${pdu.command}_resp`, { system_id: 'SCRIPTED' }, { sequence: pdu.sequence }) as Pdu);
        this.sockets.add(socket);
        return;
      case 'enquire_link':
        reply(makePdu('enquire_link_resp', {}, { sequence: pdu.sequence }));
        return;
      case 'unbind':
        reply(makePdu('unbind_resp', {}, { sequence: pdu.sequence }));
        socket.end();
        return;
      case 'submit_sm': {
        const pdus = this.script(pdu, this);
        if (pdus.length > 0) socket.write(Buffer.concat(pdus.map((p) => encodePdu(p))));
        return;
      }
      default:
        return;
    }
  }
}

export function submitResp(submit: PduOf<'submit_sm'>, messageId: string, status: number = Status.ESME_ROK): PduOf<'submit_sm_resp'> {
  return makePdu('submit_sm_resp', status === Status.ESME_ROK ? { message_id: messageId } : {}, { sequence: submit.sequence, status });
}

export interface ReceiptSpec {
  /** The id written in the text. */
  textId: string;
  /** The id in receipted_message_id; no TLV when undefined. */
  tlvId?: string | undefined;
  stat?: string;
  /** Default: the submit's destination and source swapped, as carriers send them. */
  from?: string;
  to?: string;
  extraTlvs?: Tlv[];
  /** The whole receipt text; default the Appendix B text with textId and stat. */
  text?: string;
}

/** A delivery receipt deliver_sm the way carriers write them (Appendix B text, optional TLVs). */
export function receiptPdu(sequence: number, spec: ReceiptSpec): PduOf<'deliver_sm'> {
  const stat = spec.stat ?? 'DELIVRD';
  const text = spec.text ?? formatReceiptText({ id: spec.textId, submitDate: '2611220200', doneDate: '2611220201', stat, text: 'hello' });
  const tlvs: Tlv[] = [];
  if (spec.tlvId !== undefined) tlvs.push(cstringTlv(TlvTag.receipted_message_id, spec.tlvId));
  tlvs.push(integerTlv(TlvTag.message_state, stat === 'DELIVRD' ? MessageState.DELIVERED : MessageState.UNDELIVERABLE));
  tlvs.push(...(spec.extraTlvs ?? []));
  return deliverSmPdu(
    {
      source_addr: spec.from ?? SAMPLE_HANDSET,
      destination_addr: spec.to ?? SAMPLE_SENDER,
      esm_class: EsmMessageType.deliveryReceipt,
      data_coding: 0,
      short_message: Buffer.from(text, 'latin1'),
    },
    { sequence, tlvs },
  );
}
