import {
  decodePdu,
  encodePdu,
  findTlv,
  isReceipt,
  messageConcatInfo,
  messageStateOf,
  parseReceiptText,
  receiptedMessageIdOf,
  TlvTag,
  type Pdu,
  type Tlv,
} from '../smpp/index.js';

/**
 * The decoded part of a PDU audit event: what analytics and billing consumers filter and join
 * on, under SMPP 3.4 field names. Message text is deliberately absent (it is personal data and
 * the raw PDU already carries it for whoever is entitled to decode it): only its length, its
 * coding and, for long messages, the part numbering. Receipt text is reduced to its status
 * fields; its `text:` excerpt of the original message is dropped for the same reason.
 */
export interface PduFields {
  service_type?: string;
  source_addr_ton?: number;
  source_addr_npi?: number;
  source_addr?: string;
  dest_addr_ton?: number;
  dest_addr_npi?: number;
  destination_addr?: string;
  esm_class?: number;
  protocol_id?: number;
  priority_flag?: number;
  schedule_delivery_time?: string;
  validity_period?: string;
  registered_delivery?: number;
  data_coding?: number;
  sm_length?: number;
  /** Octets in a message_payload TLV, when the text travels there instead of short_message. */
  payload_length?: number;
  /** Long-message numbering, from the UDH or the SAR TLVs. */
  concat?: { ref: number; total: number; seq: number };
  message_id?: string;
  /** Delivery receipt status fields from the receipt text (deliver_sm / data_sm with esm_class receipt bits). */
  receipt?: ReceiptSummary;
  receipted_message_id?: string;
  message_state?: number;
  network_error_code?: string;
  final_date?: string;
  error_code?: number;
  /** submit_multi: destinations (SME addresses or distribution list names). */
  dest_address?: Array<{ dest_addr_ton: number; dest_addr_npi: number; destination_addr: string } | { dl_name: string }>;
  /** submit_multi_resp: destinations the SMSC refused. */
  unsuccess_sme?: Array<{ destination_addr: string; error_status_code: number }>;
  system_id?: string;
  system_type?: string;
  interface_version?: number;
  addr_ton?: number;
  addr_npi?: number;
  address_range?: string;
  esme_addr?: string;
  /** Tags of every TLV present, in wire order (hex), so a consumer can see what else came along. */
  tlvs?: string[];
}

export interface ReceiptSummary {
  id?: string;
  sub?: string;
  dlvrd?: string;
  submit_date?: string;
  done_date?: string;
  stat?: string;
  err?: string;
}

export interface DescribedPdu {
  fields?: PduFields;
  decodeError?: string;
  /** The bytes to publish; differs from the frame only when something had to be redacted. */
  raw?: Buffer;
  redacted?: string[];
}

const BIND_COMMANDS = new Set(['bind_transmitter', 'bind_receiver', 'bind_transceiver', 'outbind']);
const BIND_COMMAND_IDS = new Set([0x00000001, 0x00000002, 0x00000009, 0x0000000b]);

export function describePdu(frame: Buffer): DescribedPdu {
  const decoded = decodePdu(frame);
  if (!decoded.ok) {
    // A bind whose body did not parse may still hold a password somewhere in it: publish
    // nothing of the body rather than guess where it is.
    const commandId = frame.length >= 8 ? frame.readUInt32BE(4) : -1;
    if (BIND_COMMAND_IDS.has(commandId)) {
      return { decodeError: decoded.error.code, raw: frame.subarray(0, 16), redacted: ['body'] };
    }
    return { decodeError: decoded.error.code, raw: frame };
  }
  const pdu = decoded.pdu;
  const fields = fieldsOf(pdu);
  if (BIND_COMMANDS.has(pdu.command)) return redactBind(pdu, fields);
  return { fields, raw: frame };
}

/**
 * Credentials never go to the audit stream. The bind is re-encoded with an empty password so
 * consumers still get a valid PDU (lengths consistent) rather than a frame with a hole in it.
 */
function redactBind(pdu: Pdu, fields: PduFields): DescribedPdu {
  if (
    pdu.command === 'bind_transmitter' ||
    pdu.command === 'bind_receiver' ||
    pdu.command === 'bind_transceiver' ||
    pdu.command === 'outbind'
  ) {
    try {
      const raw = encodePdu({ ...pdu, body: { ...pdu.body, password: '' } } as Pdu);
      return { fields, raw, redacted: ['password'] };
    } catch {
      return { fields, redacted: ['password', 'raw'] };
    }
  }
  return { fields };
}

function tlvTags(tlvs: readonly Tlv[]): string[] | undefined {
  if (tlvs.length === 0) return undefined;
  return tlvs.map((t) => '0x' + t.tag.toString(16).padStart(4, '0'));
}

/*
 * Each case builds its fields as one object literal, absent values undefined (dropped by
 * JSON.stringify): this runs for every PDU, and objects grown key by key are much slower to
 * build and serialise.
 */
function fieldsOf(pdu: Pdu): PduFields {
  const tlvs = tlvTags(pdu.tlvs);
  switch (pdu.command) {
    case 'submit_sm':
    case 'deliver_sm': {
      const b = pdu.body;
      const fields: PduFields = {
        service_type: b.service_type,
        source_addr_ton: b.source_addr_ton,
        source_addr_npi: b.source_addr_npi,
        source_addr: b.source_addr,
        dest_addr_ton: b.dest_addr_ton,
        dest_addr_npi: b.dest_addr_npi,
        destination_addr: b.destination_addr,
        esm_class: b.esm_class,
        protocol_id: b.protocol_id,
        priority_flag: b.priority_flag,
        schedule_delivery_time: b.schedule_delivery_time || undefined,
        validity_period: b.validity_period || undefined,
        registered_delivery: b.registered_delivery,
        data_coding: b.data_coding,
        sm_length: b.short_message.length,
        payload_length: undefined,
        concat: undefined,
        receipt: undefined,
        receipted_message_id: undefined,
        message_state: undefined,
        network_error_code: undefined,
        tlvs,
      };
      if (pdu.tlvs.length > 0 || (b.esm_class & 0x40) !== 0) addMessageShape(fields, b.esm_class, b.short_message, pdu.tlvs);
      if (pdu.command === 'deliver_sm') addReceipt(fields, b.esm_class, b.short_message, pdu.tlvs);
      return fields;
    }
    case 'data_sm': {
      const b = pdu.body;
      const fields: PduFields = {
        service_type: b.service_type,
        source_addr_ton: b.source_addr_ton,
        source_addr_npi: b.source_addr_npi,
        source_addr: b.source_addr,
        dest_addr_ton: b.dest_addr_ton,
        dest_addr_npi: b.dest_addr_npi,
        destination_addr: b.destination_addr,
        esm_class: b.esm_class,
        registered_delivery: b.registered_delivery,
        data_coding: b.data_coding,
        payload_length: undefined,
        concat: undefined,
        receipt: undefined,
        receipted_message_id: undefined,
        message_state: undefined,
        network_error_code: undefined,
        tlvs,
      };
      addMessageShape(fields, b.esm_class, undefined, pdu.tlvs);
      addReceipt(fields, b.esm_class, undefined, pdu.tlvs);
      return fields;
    }
    case 'submit_multi': {
      const b = pdu.body;
      const fields: PduFields = {
        service_type: b.service_type,
        source_addr_ton: b.source_addr_ton,
        source_addr_npi: b.source_addr_npi,
        source_addr: b.source_addr,
        dest_address: b.dest_address.map((d) =>
          d.dest_flag === 1
            ? { dest_addr_ton: d.dest_addr_ton, dest_addr_npi: d.dest_addr_npi, destination_addr: d.destination_addr }
            : { dl_name: d.dl_name },
        ),
        esm_class: b.esm_class,
        protocol_id: b.protocol_id,
        priority_flag: b.priority_flag,
        schedule_delivery_time: b.schedule_delivery_time || undefined,
        validity_period: b.validity_period || undefined,
        registered_delivery: b.registered_delivery,
        data_coding: b.data_coding,
        sm_length: b.short_message.length,
        payload_length: undefined,
        concat: undefined,
        tlvs,
      };
      addMessageShape(fields, b.esm_class, b.short_message, pdu.tlvs);
      return fields;
    }
    case 'submit_sm_resp':
    case 'deliver_sm_resp':
    case 'data_sm_resp':
      return { message_id: pdu.body.message_id, tlvs };
    case 'submit_multi_resp': {
      const unsuccess = pdu.body.unsuccess_sme;
      return {
        message_id: pdu.body.message_id,
        unsuccess_sme:
          unsuccess !== undefined && unsuccess.length > 0
            ? unsuccess.map((u) => ({ destination_addr: u.destination_addr, error_status_code: u.error_status_code }))
            : undefined,
        tlvs,
      };
    }
    case 'query_sm':
      return {
        message_id: pdu.body.message_id,
        source_addr_ton: pdu.body.source_addr_ton,
        source_addr_npi: pdu.body.source_addr_npi,
        source_addr: pdu.body.source_addr,
        tlvs,
      };
    case 'query_sm_resp':
      return {
        message_id: pdu.body.message_id,
        final_date: pdu.body.final_date || undefined,
        message_state: pdu.body.message_state,
        error_code: pdu.body.error_code,
        tlvs,
      };
    case 'cancel_sm':
      return {
        service_type: pdu.body.service_type,
        message_id: pdu.body.message_id,
        source_addr_ton: pdu.body.source_addr_ton,
        source_addr_npi: pdu.body.source_addr_npi,
        source_addr: pdu.body.source_addr,
        dest_addr_ton: pdu.body.dest_addr_ton,
        dest_addr_npi: pdu.body.dest_addr_npi,
        destination_addr: pdu.body.destination_addr,
        tlvs,
      };
    case 'replace_sm':
      return {
        message_id: pdu.body.message_id,
        source_addr_ton: pdu.body.source_addr_ton,
        source_addr_npi: pdu.body.source_addr_npi,
        source_addr: pdu.body.source_addr,
        schedule_delivery_time: pdu.body.schedule_delivery_time || undefined,
        validity_period: pdu.body.validity_period || undefined,
        registered_delivery: pdu.body.registered_delivery,
        sm_length: pdu.body.short_message.length,
        tlvs,
      };
    case 'bind_transmitter':
    case 'bind_receiver':
    case 'bind_transceiver':
      return {
        system_id: pdu.body.system_id,
        system_type: pdu.body.system_type,
        interface_version: pdu.body.interface_version,
        addr_ton: pdu.body.addr_ton,
        addr_npi: pdu.body.addr_npi,
        address_range: pdu.body.address_range,
        tlvs,
      };
    case 'bind_transmitter_resp':
    case 'bind_receiver_resp':
    case 'bind_transceiver_resp':
      return { system_id: pdu.body.system_id, tlvs };
    case 'outbind':
      return { system_id: pdu.body.system_id, tlvs };
    case 'alert_notification':
      return {
        source_addr_ton: pdu.body.source_addr_ton,
        source_addr_npi: pdu.body.source_addr_npi,
        source_addr: pdu.body.source_addr,
        esme_addr: pdu.body.esme_addr,
        tlvs,
      };
    default:
      return { tlvs };
  }
}

const NO_SHORT_MESSAGE = Buffer.alloc(0);

/** Length of a message_payload TLV and the long-message numbering, without the text itself. */
function addMessageShape(fields: PduFields, esmClass: number, shortMessage: Buffer | undefined, tlvs: readonly Tlv[]): void {
  const payload = findTlv(tlvs, TlvTag.message_payload);
  if (payload !== undefined) fields.payload_length = payload.value.length;
  const info = messageConcatInfo({ esmClass, shortMessage: shortMessage ?? NO_SHORT_MESSAGE, tlvs });
  // Invalid numbering was answered with an error status by the proxy; the raw PDU shows why.
  if (info?.kind === 'concat') fields.concat = { ref: info.ref, total: info.total, seq: info.seq };
}

function addReceipt(fields: PduFields, esmClass: number, shortMessage: Buffer | undefined, tlvs: readonly Tlv[]): void {
  const receiptedId = receiptedMessageIdOf(tlvs);
  if (receiptedId !== undefined) fields.receipted_message_id = receiptedId;
  const state = messageStateOf(tlvs);
  if (state !== undefined) fields.message_state = state;
  const networkError = findTlv(tlvs, TlvTag.network_error_code);
  if (networkError !== undefined) fields.network_error_code = networkError.value.toString('hex');
  if (!isReceipt(esmClass)) return;
  const text =
    shortMessage !== undefined && shortMessage.length > 0
      ? shortMessage
      : findTlv(tlvs, TlvTag.message_payload)?.value;
  if (text === undefined) return;
  const parsed = parseReceiptText(text);
  if (parsed === undefined) return;
  const receipt: ReceiptSummary = {};
  if (parsed.id !== undefined) receipt.id = parsed.id;
  if (parsed.sub !== undefined) receipt.sub = parsed.sub;
  if (parsed.dlvrd !== undefined) receipt.dlvrd = parsed.dlvrd;
  if (parsed.submitDate !== undefined) receipt.submit_date = parsed.submitDate;
  if (parsed.doneDate !== undefined) receipt.done_date = parsed.doneDate;
  if (parsed.stat !== undefined) receipt.stat = parsed.stat;
  if (parsed.err !== undefined) receipt.err = parsed.err;
  fields.receipt = receipt;
}
