/**
 * SMPP 3.4 command identifiers (section 5.1.2.1). A response id is its request id with bit 31 set,
 * which is why the lookups below work on the numeric relationship rather than on a second table.
 */
export const CommandId = {
  generic_nack: 0x80000000,
  bind_receiver: 0x00000001,
  bind_receiver_resp: 0x80000001,
  bind_transmitter: 0x00000002,
  bind_transmitter_resp: 0x80000002,
  query_sm: 0x00000003,
  query_sm_resp: 0x80000003,
  submit_sm: 0x00000004,
  submit_sm_resp: 0x80000004,
  deliver_sm: 0x00000005,
  deliver_sm_resp: 0x80000005,
  unbind: 0x00000006,
  unbind_resp: 0x80000006,
  replace_sm: 0x00000007,
  replace_sm_resp: 0x80000007,
  cancel_sm: 0x00000008,
  cancel_sm_resp: 0x80000008,
  bind_transceiver: 0x00000009,
  bind_transceiver_resp: 0x80000009,
  outbind: 0x0000000b,
  enquire_link: 0x00000015,
  enquire_link_resp: 0x80000015,
  submit_multi: 0x00000021,
  submit_multi_resp: 0x80000021,
  alert_notification: 0x00000102,
  data_sm: 0x00000103,
  data_sm_resp: 0x80000103,
} as const;

export type CommandName = keyof typeof CommandId;

export const COMMAND_NAMES: readonly CommandName[] = Object.keys(CommandId) as CommandName[];

const nameById = new Map<number, CommandName>(COMMAND_NAMES.map((name) => [CommandId[name], name]));

const RESPONSE_BIT = 0x80000000;

export function commandNameOf(id: number): CommandName | undefined {
  return nameById.get(id);
}

export function isResponseId(id: number): boolean {
  return (id & RESPONSE_BIT) !== 0;
}

export function isResponseName(command: CommandName): boolean {
  return isResponseId(CommandId[command]);
}

/**
 * The response a request expects. outbind and alert_notification have none in SMPP 3.4, and
 * generic_nack is itself a response, so those (and every response) give undefined.
 */
export function responseNameOf(command: CommandName): CommandName | undefined {
  const id = CommandId[command];
  if (isResponseId(id)) return undefined;
  return nameById.get((id | RESPONSE_BIT) >>> 0);
}

/** The response id for a request id, whether or not the request id is a known command. */
export function responseIdOf(requestId: number): number {
  return (requestId | RESPONSE_BIT) >>> 0;
}
