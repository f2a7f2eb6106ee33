import type { CommandName } from './commands.js';
import type { Tlv } from './tlv.js';

/*
 * Body shapes, one per command. Field names are the SMPP 3.4 names. C-octet strings are latin1 JS
 * strings without their NUL (one char per octet, so every octet survives a round trip); integers are
 * numbers; short_message is raw octets, never transcoded. Length prefixes (sm_length,
 * number_of_dests, no_unsuccess) are derived from the data on encode and therefore not stored.
 */

export type EmptyBody = Record<string, never>;

export interface BindBody {
  system_id: string;
  password: string;
  system_type: string;
  interface_version: number;
  addr_ton: number;
  addr_npi: number;
  address_range: string;
}

/** system_id is absent when an error response came without a body, as SMPP 3.4 asks. */
export interface BindRespBody {
  system_id?: string;
}

export interface OutbindBody {
  system_id: string;
  password: string;
}

/** submit_sm and deliver_sm share one layout. */
export interface ShortMessageBody {
  service_type: string;
  source_addr_ton: number;
  source_addr_npi: number;
  source_addr: string;
  dest_addr_ton: number;
  dest_addr_npi: number;
  destination_addr: string;
  esm_class: number;
  protocol_id: number;
  priority_flag: number;
  schedule_delivery_time: string;
  validity_period: string;
  registered_delivery: number;
  replace_if_present_flag: number;
  data_coding: number;
  sm_default_msg_id: number;
  short_message: Buffer;
}

export type SubmitSmBody = ShortMessageBody;
export type DeliverSmBody = ShortMessageBody;

/** message_id is absent in a bodiless error response; deliver_sm_resp normally carries "" here. */
export interface MessageIdRespBody {
  message_id?: string;
}

export interface SmeDestAddress {
  dest_flag: 1;
  dest_addr_ton: number;
  dest_addr_npi: number;
  destination_addr: string;
}

export interface DistributionListAddress {
  dest_flag: 2;
  dl_name: string;
}

export type DestAddress = SmeDestAddress | DistributionListAddress;

/** submit_sm with a list of destinations in place of the one (dest_address comes after source_addr on the wire). */
export interface SubmitMultiBody extends Omit<ShortMessageBody, 'dest_addr_ton' | 'dest_addr_npi' | 'destination_addr'> {
  dest_address: DestAddress[];
}

export interface UnsuccessSme {
  dest_addr_ton: number;
  dest_addr_npi: number;
  destination_addr: string;
  error_status_code: number;
}

export interface SubmitMultiRespBody {
  message_id?: string;
  unsuccess_sme?: UnsuccessSme[];
}

export interface DataSmBody {
  service_type: string;
  source_addr_ton: number;
  source_addr_npi: number;
  source_addr: string;
  dest_addr_ton: number;
  dest_addr_npi: number;
  destination_addr: string;
  esm_class: number;
  registered_delivery: number;
  data_coding: number;
}

export interface QuerySmBody {
  message_id: string;
  source_addr_ton: number;
  source_addr_npi: number;
  source_addr: string;
}

export interface QuerySmRespBody {
  message_id?: string;
  final_date?: string;
  message_state?: number;
  error_code?: number;
}

export interface CancelSmBody {
  service_type: string;
  message_id: string;
  source_addr_ton: number;
  source_addr_npi: number;
  source_addr: string;
  dest_addr_ton: number;
  dest_addr_npi: number;
  destination_addr: string;
}

export interface ReplaceSmBody {
  message_id: string;
  source_addr_ton: number;
  source_addr_npi: number;
  source_addr: string;
  schedule_delivery_time: string;
  validity_period: string;
  registered_delivery: number;
  sm_default_msg_id: number;
  short_message: Buffer;
}

export interface AlertNotificationBody {
  source_addr_ton: number;
  source_addr_npi: number;
  source_addr: string;
  esme_addr_ton: number;
  esme_addr_npi: number;
  esme_addr: string;
}

export interface BodyMap {
  generic_nack: EmptyBody;
  bind_receiver: BindBody;
  bind_receiver_resp: BindRespBody;
  bind_transmitter: BindBody;
  bind_transmitter_resp: BindRespBody;
  query_sm: QuerySmBody;
  query_sm_resp: QuerySmRespBody;
  submit_sm: SubmitSmBody;
  submit_sm_resp: MessageIdRespBody;
  deliver_sm: DeliverSmBody;
  deliver_sm_resp: MessageIdRespBody;
  unbind: EmptyBody;
  unbind_resp: EmptyBody;
  replace_sm: ReplaceSmBody;
  replace_sm_resp: EmptyBody;
  cancel_sm: CancelSmBody;
  cancel_sm_resp: EmptyBody;
  bind_transceiver: BindBody;
  bind_transceiver_resp: BindRespBody;
  outbind: OutbindBody;
  enquire_link: EmptyBody;
  enquire_link_resp: EmptyBody;
  submit_multi: SubmitMultiBody;
  submit_multi_resp: SubmitMultiRespBody;
  alert_notification: AlertNotificationBody;
  data_sm: DataSmBody;
  data_sm_resp: MessageIdRespBody;
}

export type Pdu = {
  [C in CommandName]: { command: C; status: number; sequence: number; body: BodyMap[C]; tlvs: Tlv[] };
}[CommandName];

export type PduOf<C extends CommandName> = Extract<Pdu, { command: C }>;

export interface MakePduOptions {
  /** Defaults to 0; the session assigns the real number (1..0x7FFFFFFF) when it sends. */
  sequence?: number;
  /** Defaults to ESME_ROK. */
  status?: number;
  /** Defaults to none. */
  tlvs?: Tlv[];
}

export function makePdu<C extends CommandName>(command: C, body: BodyMap[C], opts: MakePduOptions = {}): PduOf<C> {
  const pdu = {
    command,
    status: opts.status ?? 0,
    sequence: opts.sequence ?? 0,
    body,
    tlvs: opts.tlvs ?? [],
  };
  // TypeScript cannot narrow a mapped union through a generic parameter; the shape is right by construction.
  return pdu as unknown as PduOf<C>;
}
