import {
  TlvTag,
  cstringTlv,
  findTlv,
  parseReceiptText,
  receiptedMessageIdOf,
  rewriteReceiptId,
  messageStateOf,
  statWordOf,
  type PduOf,
  type Tlv,
} from '../smpp/index.js';

/** The two PDUs that can carry a receipt or an MO message. */
export type DeliveryPdu = PduOf<'deliver_sm'> | PduOf<'data_sm'>;

const SHORT_MESSAGE_MAX = 254;

/** The text part of a deliver_sm/data_sm: short_message, or message_payload when that is empty. */
export function deliveryText(pdu: DeliveryPdu): Buffer {
  if (pdu.command === 'deliver_sm' && pdu.body.short_message.length > 0) return pdu.body.short_message;
  return findTlv(pdu.tlvs, TlvTag.message_payload)?.value ?? Buffer.alloc(0);
}

export interface ReceiptFacts {
  /** The carrier's id for the message, from receipted_message_id or else from the text. */
  carrierId: string | undefined;
  /** DELIVRD, UNDELIV, ... from the text, or derived from message_state. */
  stat: string | undefined;
  err: string | undefined;
  messageState: number | undefined;
}

/**
 * What a carrier's receipt says. The TLV is preferred for the id because it is structured;
 * the text is the fallback many carriers still rely on alone.
 */
export function readReceipt(pdu: DeliveryPdu): ReceiptFacts {
  const text = parseReceiptText(deliveryText(pdu));
  const messageState = messageStateOf(pdu.tlvs);
  const fromTlv = receiptedMessageIdOf(pdu.tlvs);
  return {
    carrierId: fromTlv !== undefined && fromTlv !== '' ? fromTlv : text?.id,
    stat: text?.stat ?? (messageState !== undefined ? statWordOf(messageState) : undefined),
    err: text?.err,
    messageState,
  };
}

/**
 * The receipt as the customer must see it: the receipted_message_id TLV and the id in the text
 * both carry the proxy id; every other byte is the carrier's. When the rewritten text would no
 * longer fit short_message it moves to message_payload, which SMPP allows for any length.
 */
export function receiptForCustomer(pdu: DeliveryPdu, proxyId: string): DeliveryPdu {
  const tlvs: Tlv[] = pdu.tlvs.map((t) => (t.tag === TlvTag.receipted_message_id ? cstringTlv(t.tag, proxyId) : t));
  if (findTlv(pdu.tlvs, TlvTag.receipted_message_id) !== undefined || pdu.command === 'data_sm') {
    // data_sm has no short_message, so the TLV is the customer's only structured handle:
    // add it when the carrier left it out.
    if (findTlv(tlvs, TlvTag.receipted_message_id) === undefined) tlvs.push(cstringTlv(TlvTag.receipted_message_id, proxyId));
  }

  if (pdu.command === 'deliver_sm' && pdu.body.short_message.length > 0) {
    const text = rewriteReceiptId(pdu.body.short_message, proxyId);
    if (text === undefined) return { ...pdu, tlvs };
    if (text.length <= SHORT_MESSAGE_MAX) return { ...pdu, body: { ...pdu.body, short_message: text }, tlvs };
    return {
      ...pdu,
      body: { ...pdu.body, short_message: Buffer.alloc(0) },
      tlvs: [...tlvs, { tag: TlvTag.message_payload, value: text }],
    };
  }
  const payloadIndex = tlvs.findIndex((t) => t.tag === TlvTag.message_payload);
  if (payloadIndex >= 0) {
    const text = rewriteReceiptId(tlvs[payloadIndex]!.value, proxyId);
    if (text !== undefined) tlvs[payloadIndex] = { tag: TlvTag.message_payload, value: text };
  }
  return { ...pdu, tlvs };
}
