import {
  EsmMessageType,
  MessageState,
  TlvTag,
  cstringTlv,
  formatReceiptText,
  integerTlv,
  messageStateOfStat,
  type PduOf,
  type Tlv,
} from '../smpp/index.js';
import { RECEIPT_STATUSES, type ReceiptStatus } from '../config/types.js';
import { deliverSmPdu } from './pdus.js';
import type { SimMessage } from './smsc-messages.js';

/**
 * The stat words a simulator can be told to report: the Appendix B words of final states, the
 * same list the YAML `simulator.dlr_status` key accepts.
 */
export const RECEIPT_STATS = RECEIPT_STATUSES;
export type ReceiptStat = ReceiptStatus;

export function isReceiptStat(value: string): value is ReceiptStat {
  return (RECEIPT_STATS as readonly string[]).includes(value);
}

/** The message_state a stat word stands for. */
export function stateOfStat(stat: ReceiptStat): number {
  return messageStateOfStat(stat) ?? MessageState.UNKNOWN;
}

/**
 * registered_delivery bits 0-1 (SMPP 3.4 5.2.17): 0 no receipt, 1 on success or failure,
 * 2 on failure only; 3 is reserved and treated as 1 rather than dropping receipts silently.
 */
export function wantsReceipt(registeredDelivery: number, finalState: number): boolean {
  const request = registeredDelivery & 0x03;
  if (request === 0) return false;
  if (request === 2) return finalState !== MessageState.DELIVERED;
  return true;
}

/**
 * The receipt a carrier sends for a message in its final state: deliver_sm from the handset
 * (the original destination) to the original sender, esm_class "SMSC delivery receipt", the
 * Appendix B text, and the receipted_message_id and message_state TLVs (plus network_error_code
 * when err is set), so a receiver can match it by TLV or by text.
 */
export function buildReceiptPdu(message: SimMessage, now: Date): PduOf<'deliver_sm'> {
  const stat = message.stat ?? 'UNKNOWN';
  const text = formatReceiptText({
    id: message.receiptId,
    sub: 1,
    submitDate: message.submittedAt,
    doneDate: message.doneAt ?? now,
    stat,
    err: message.err,
    text: message.preview,
  });
  const tlvs: Tlv[] = [
    cstringTlv(TlvTag.receipted_message_id, message.receiptId),
    integerTlv(TlvTag.message_state, message.state),
  ];
  if (message.err !== 0) {
    // network_error_code: type 3 (GSM) followed by the 2-octet error, the form GSM carriers use.
    const value = Buffer.from([3, (message.err >>> 8) & 0xff, message.err & 0xff]);
    tlvs.push({ tag: TlvTag.network_error_code, value });
  }
  return deliverSmPdu(
    {
      source_addr_ton: message.destTon,
      source_addr_npi: message.destNpi,
      source_addr: message.destinationAddr,
      dest_addr_ton: message.sourceTon,
      dest_addr_npi: message.sourceNpi,
      destination_addr: message.sourceAddr,
      esm_class: EsmMessageType.deliveryReceipt,
      data_coding: 0,
      short_message: Buffer.from(text, 'latin1'),
    },
    { tlvs },
  );
}
