import { CommandId, type CommandName } from './commands.js';

/*
 * One description of every body layout, read by both the decoder and the encoder so the two can
 * never disagree. Field kinds are small integers (not strings) so the hot loops switch on a number.
 */

export const FieldKind = {
  /** 1-octet unsigned integer. */
  u8: 0,
  /** C-octet string, latin1, with a maximum size that includes the NUL. */
  cstring: 1,
  /** C-octet string that is empty or exactly YYMMDDhhmmsstnnp (17 octets with NUL). */
  time: 2,
  /** sm_length (1 octet) followed by that many octets of short_message. */
  shortMessage: 3,
  /** number_of_dests (1 octet) followed by dest_address structures (submit_multi). */
  destAddresses: 4,
  /** no_unsuccess (1 octet) followed by unsuccess_sme structures (submit_multi_resp). */
  unsuccessSmes: 5,
} as const;

export type FieldKind = (typeof FieldKind)[keyof typeof FieldKind];

export interface FieldSpec {
  readonly name: string;
  readonly kind: FieldKind;
  /** For C-octet strings: maximum size in octets, NUL included. */
  readonly max: number;
}

export interface BodyLayout {
  readonly command: CommandName;
  readonly fields: readonly FieldSpec[];
  /** Whether optional parameters may follow the mandatory fields. */
  readonly tlvsAllowed: boolean;
  /**
   * Responses whose body may be left out entirely (SMPP 3.4 4.1.2, 4.4.2: no body on error). Such a
   * body is all or nothing: an empty frame decodes to {}, anything else must hold every field.
   */
  readonly bodyOptional: boolean;
  /** Whether short_message is one of the fields (checked against message_payload). */
  readonly hasShortMessage: boolean;
  /** Every field name in wire order, so decoded bodies start with their final shape. */
  readonly template: Readonly<Record<string, unknown>>;
}

export const SHORT_MESSAGE_MAX = 254;
export const TIME_LENGTH = 16;
export const MAX_DESTINATIONS = 254;

const u8 = (name: string): FieldSpec => ({ name, kind: FieldKind.u8, max: 1 });
const cstring = (name: string, max: number): FieldSpec => ({ name, kind: FieldKind.cstring, max });
const time = (name: string): FieldSpec => ({ name, kind: FieldKind.time, max: TIME_LENGTH + 1 });
const shortMessage: FieldSpec = { name: 'short_message', kind: FieldKind.shortMessage, max: SHORT_MESSAGE_MAX };
const destAddresses: FieldSpec = { name: 'dest_address', kind: FieldKind.destAddresses, max: MAX_DESTINATIONS };
const unsuccessSmes: FieldSpec = { name: 'unsuccess_sme', kind: FieldKind.unsuccessSmes, max: 255 };

/** Size of destination_addr and dl_name inside submit_multi and submit_multi_resp structures. */
export const MULTI_ADDRESS_MAX = 21;

const bind = [
  cstring('system_id', 16),
  cstring('password', 9),
  cstring('system_type', 13),
  u8('interface_version'),
  u8('addr_ton'),
  u8('addr_npi'),
  cstring('address_range', 41),
];

// submit_sm and deliver_sm (SMPP 3.4 4.4.1, 4.6.1) and submit_multi (4.5.1) differ only in
// their destination: one address, or a list of them.
const messageSource = [cstring('service_type', 6), u8('source_addr_ton'), u8('source_addr_npi'), cstring('source_addr', 21)];
const messageRest = [
  u8('esm_class'),
  u8('protocol_id'),
  u8('priority_flag'),
  time('schedule_delivery_time'),
  time('validity_period'),
  u8('registered_delivery'),
  u8('replace_if_present_flag'),
  u8('data_coding'),
  u8('sm_default_msg_id'),
  shortMessage,
];
const shortMessageFields = [
  ...messageSource,
  u8('dest_addr_ton'),
  u8('dest_addr_npi'),
  cstring('destination_addr', 21),
  ...messageRest,
];

const messageIdResp = [cstring('message_id', 65)];

type LayoutSpec = Omit<BodyLayout, 'command' | 'hasShortMessage' | 'template'>;

const specs: Record<CommandName, LayoutSpec> = {
  generic_nack: { fields: [], tlvsAllowed: false, bodyOptional: false },
  bind_receiver: { fields: bind, tlvsAllowed: false, bodyOptional: false },
  bind_transmitter: { fields: bind, tlvsAllowed: false, bodyOptional: false },
  bind_transceiver: { fields: bind, tlvsAllowed: false, bodyOptional: false },
  // sc_interface_version is the one TLV these carry (SMPP 3.4 4.1.2).
  bind_receiver_resp: { fields: [cstring('system_id', 16)], tlvsAllowed: true, bodyOptional: true },
  bind_transmitter_resp: { fields: [cstring('system_id', 16)], tlvsAllowed: true, bodyOptional: true },
  bind_transceiver_resp: { fields: [cstring('system_id', 16)], tlvsAllowed: true, bodyOptional: true },
  outbind: { fields: [cstring('system_id', 16), cstring('password', 9)], tlvsAllowed: false, bodyOptional: false },
  unbind: { fields: [], tlvsAllowed: false, bodyOptional: false },
  unbind_resp: { fields: [], tlvsAllowed: false, bodyOptional: false },
  enquire_link: { fields: [], tlvsAllowed: false, bodyOptional: false },
  enquire_link_resp: { fields: [], tlvsAllowed: false, bodyOptional: false },
  submit_sm: { fields: shortMessageFields, tlvsAllowed: true, bodyOptional: false },
  deliver_sm: { fields: shortMessageFields, tlvsAllowed: true, bodyOptional: false },
  // SMPP 3.4 gives submit_sm_resp, deliver_sm_resp and submit_multi_resp no TLVs, but SMPP 5.0 does
  // (additional_status_info_text, delivery_failure_reason, ...) and carriers mixing versions send
  // them. Rejecting such a response would lose the message_id of a message the carrier accepted.
  submit_sm_resp: { fields: messageIdResp, tlvsAllowed: true, bodyOptional: true },
  deliver_sm_resp: { fields: messageIdResp, tlvsAllowed: true, bodyOptional: true },
  submit_multi: { fields: [...messageSource, destAddresses, ...messageRest], tlvsAllowed: true, bodyOptional: false },
  submit_multi_resp: { fields: [cstring('message_id', 65), unsuccessSmes], tlvsAllowed: true, bodyOptional: true },
  data_sm: {
    fields: [
      cstring('service_type', 6),
      u8('source_addr_ton'),
      u8('source_addr_npi'),
      // data_sm allows the long (65-octet) address form, unlike submit_sm.
      cstring('source_addr', 65),
      u8('dest_addr_ton'),
      u8('dest_addr_npi'),
      cstring('destination_addr', 65),
      u8('esm_class'),
      u8('registered_delivery'),
      u8('data_coding'),
    ],
    tlvsAllowed: true,
    bodyOptional: false,
  },
  data_sm_resp: { fields: messageIdResp, tlvsAllowed: true, bodyOptional: true },
  query_sm: {
    fields: [cstring('message_id', 65), u8('source_addr_ton'), u8('source_addr_npi'), cstring('source_addr', 21)],
    tlvsAllowed: false,
    bodyOptional: false,
  },
  query_sm_resp: {
    fields: [cstring('message_id', 65), time('final_date'), u8('message_state'), u8('error_code')],
    tlvsAllowed: false,
    bodyOptional: true,
  },
  cancel_sm: {
    fields: [
      cstring('service_type', 6),
      cstring('message_id', 65),
      u8('source_addr_ton'),
      u8('source_addr_npi'),
      cstring('source_addr', 21),
      u8('dest_addr_ton'),
      u8('dest_addr_npi'),
      cstring('destination_addr', 21),
    ],
    tlvsAllowed: false,
    bodyOptional: false,
  },
  cancel_sm_resp: { fields: [], tlvsAllowed: false, bodyOptional: false },
  replace_sm: {
    fields: [
      cstring('message_id', 65),
      u8('source_addr_ton'),
      u8('source_addr_npi'),
      cstring('source_addr', 21),
      time('schedule_delivery_time'),
      time('validity_period'),
      u8('registered_delivery'),
      u8('sm_default_msg_id'),
      shortMessage,
    ],
    tlvsAllowed: false,
    bodyOptional: false,
  },
  replace_sm_resp: { fields: [], tlvsAllowed: false, bodyOptional: false },
  alert_notification: {
    fields: [
      u8('source_addr_ton'),
      u8('source_addr_npi'),
      cstring('source_addr', 65),
      u8('esme_addr_ton'),
      u8('esme_addr_npi'),
      cstring('esme_addr', 65),
    ],
    tlvsAllowed: true,
    bodyOptional: false,
  },
};

function build(command: CommandName): BodyLayout {
  const spec = specs[command];
  return {
    command,
    fields: spec.fields,
    tlvsAllowed: spec.tlvsAllowed,
    bodyOptional: spec.bodyOptional,
    hasShortMessage: spec.fields.some((f) => f.kind === FieldKind.shortMessage),
    template: Object.fromEntries(spec.fields.map((f) => [f.name, undefined])),
  };
}

export const LAYOUTS: Readonly<Record<CommandName, BodyLayout>> = Object.fromEntries(
  (Object.keys(specs) as CommandName[]).map((command) => [command, build(command)]),
) as Record<CommandName, BodyLayout>;

const layoutById = new Map<number, BodyLayout>(
  (Object.keys(specs) as CommandName[]).map((command) => [CommandId[command], LAYOUTS[command]]),
);

export function layoutOfId(commandId: number): BodyLayout | undefined {
  return layoutById.get(commandId);
}

/** A time field value: 12 digits of date and time, tenths, 2 digits of quarter hours, then + - or R. */
export function isValidTime(value: string): boolean {
  if (value.length === 0) return true;
  if (value.length !== TIME_LENGTH) return false;
  for (let i = 0; i < TIME_LENGTH - 1; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  const p = value.charCodeAt(TIME_LENGTH - 1);
  return p === 0x2b /* + */ || p === 0x2d /* - */ || p === 0x52 /* R */;
}
