import type { AuditStreamOptions } from '../../src/audit/stream.js';
import type { BillingEvent, DlrEvent, PduEvent } from '../../src/broker/events.js';
import {
  cstringTlv,
  encodePdu,
  integerTlv,
  makePdu,
  TlvTag,
  type SubmitSmBody,
} from '../../src/smpp/index.js';

export const MESSAGE_TEXT = 'Secret verification code 424242';

export function submitBody(destination: string, text = MESSAGE_TEXT, esmClass = 0): SubmitSmBody {
  return {
    service_type: '',
    source_addr_ton: 5,
    source_addr_npi: 0,
    source_addr: 'ACME',
    dest_addr_ton: 1,
    dest_addr_npi: 1,
    destination_addr: destination,
    esm_class: esmClass,
    protocol_id: 0,
    priority_flag: 0,
    schedule_delivery_time: '',
    validity_period: '',
    registered_delivery: 1,
    replace_if_present_flag: 0,
    data_coding: 0,
    sm_default_msg_id: 0,
    short_message: Buffer.from(text, 'latin1'),
  };
}

export function submitSmFrame(sequence: number, destination = '447700900123', text = MESSAGE_TEXT): Buffer {
  return encodePdu(makePdu('submit_sm', submitBody(destination, text), { sequence }));
}

export function submitSmRespFrame(sequence: number, messageId: string, status = 0): Buffer {
  return encodePdu(makePdu('submit_sm_resp', status === 0 ? { message_id: messageId } : {}, { sequence, status }));
}

export function receiptFrame(sequence: number, carrierId: string): Buffer {
  const text = `id:${carrierId} sub:001 dlvrd:001 submit date:2611220101 done date:2611220102 stat:DELIVRD err:000 text:${MESSAGE_TEXT.slice(0, 20)}`;
  return encodePdu(
    makePdu(
      'deliver_sm',
      { ...submitBody('ACME', text, 0x04), source_addr: '447700900123', destination_addr: 'ACME' },
      {
        sequence,
        tlvs: [cstringTlv(TlvTag.receipted_message_id, carrierId), integerTlv(TlvTag.message_state, 2)],
      },
    ),
  );
}

export function bindFrame(sequence: number, systemId: string, password: string): Buffer {
  return encodePdu(
    makePdu(
      'bind_transceiver',
      { system_id: systemId, password, system_type: '', interface_version: 0x34, addr_ton: 0, addr_npi: 0, address_range: '' },
      { sequence },
    ),
  );
}

export function pduEvent(overrides: Partial<PduEvent> & { frame: Buffer }): PduEvent {
  const frame = overrides.frame;
  return {
    side: 'esme',
    peer: 'acme',
    sessionId: 'esme-1',
    direction: 'in',
    command: 'submit_sm',
    commandId: frame.readUInt32BE(4),
    status: frame.readUInt32BE(8),
    sequence: frame.readUInt32BE(12),
    at: Date.UTC(2026, 10, 22, 10, 0, 0),
    ...overrides,
  };
}

export function billingEvent(i: number, overrides: Partial<BillingEvent> = {}): BillingEvent {
  return {
    proxyId: `P${i}`,
    account: 'acme',
    carrier: 'cheap-uk',
    route: 'uk',
    cost: 0.0123,
    parts: 1,
    destination: `4477009${String(i).padStart(5, '0')}`,
    senderOriginal: 'ACME',
    senderSent: 'ACME',
    submittedAt: Date.UTC(2026, 10, 22, 10, 0, 0) + i,
    acceptedAt: Date.UTC(2026, 10, 22, 10, 0, 1) + i,
    carrierMessageId: `C${i}`,
    ...overrides,
  };
}

export function dlrEvent(i: number, overrides: Partial<DlrEvent> = {}): DlrEvent {
  return {
    proxyId: `P${i}`,
    account: 'acme',
    carrier: 'cheap-uk',
    carrierMessageId: `C${i}`,
    stat: 'DELIVRD',
    err: '000',
    messageState: 2,
    submittedAt: Date.UTC(2026, 10, 22, 10, 0, 0) + i,
    receivedAt: Date.UTC(2026, 10, 22, 10, 0, 5) + i,
    ...overrides,
  };
}

/** A valid proxy config file with the given nats section (everything else minimal). */
export function configText(nats: string): string {
  return `${nats}
accounts:
  acme:
    password: pw
    allowed_ips: ["127.0.0.1"]
carriers:
  sim:
    simulator: {}
routes:
  - name: all
    prefix: [""]
    carriers: [{ carrier: sim, cost: 1 }]
`;
}

/** A file-backed stream capturing `<prefix>.>` with a 2-minute duplicate window, as the proxy sets it up. */
export function auditStreamOptions(name: string, prefix: string): AuditStreamOptions {
  return { name, subjects: [`${prefix}.>`], replicas: 1, maxAgeMs: 0, maxBytes: -1, duplicateWindowMs: 120_000, storage: 'file' };
}
