import type { CommandName } from '../smpp/commands.js';
import { Status } from '../smpp/status.js';

/** SMPP 3.4 section 2.2 session states, plus CLOSED for a session whose socket is gone. */
export const BindState = {
  OPEN: 'OPEN',
  BOUND_TX: 'BOUND_TX',
  BOUND_RX: 'BOUND_RX',
  BOUND_TRX: 'BOUND_TRX',
  /** unbind sent or received: only the unbind exchange and responses to in-flight requests remain. */
  UNBOUND: 'UNBOUND',
  CLOSED: 'CLOSED',
} as const;
export type BindState = (typeof BindState)[keyof typeof BindState];

/**
 * Which end of the SMPP relationship this session plays. 'smsc': the peer (an ESME) bound to us.
 * 'esme': we bound to the peer (an SMSC or carrier). The TCP direction does not matter (outbind
 * reverses it); the role decides which commands each side may originate.
 */
export const Role = { smsc: 'smsc', esme: 'esme' } as const;
export type Role = (typeof Role)[keyof typeof Role];

export const BindType = { transmitter: 'transmitter', receiver: 'receiver', transceiver: 'transceiver' } as const;
export type BindType = (typeof BindType)[keyof typeof BindType];

export type BindCommand = 'bind_transmitter' | 'bind_receiver' | 'bind_transceiver';

/** The message operations (SMPP 3.4 4.4-4.10): requests the application sends and answers, never the session itself. */
export const MESSAGE_COMMANDS = ['submit_sm', 'deliver_sm', 'data_sm', 'query_sm', 'cancel_sm', 'replace_sm', 'submit_multi'] as const;
export type MessageCommand = (typeof MESSAGE_COMMANDS)[number];

export const BIND_COMMAND_FOR: Readonly<Record<BindType, BindCommand>> = {
  transmitter: 'bind_transmitter',
  receiver: 'bind_receiver',
  transceiver: 'bind_transceiver',
};

export const BOUND_STATE_FOR: Readonly<Record<BindType, BindState>> = {
  transmitter: BindState.BOUND_TX,
  receiver: BindState.BOUND_RX,
  transceiver: BindState.BOUND_TRX,
};

const BIND_TYPE_BY_COMMAND: ReadonlyMap<CommandName, BindType> = new Map(
  (Object.keys(BIND_COMMAND_FOR) as BindType[]).map((type) => [BIND_COMMAND_FOR[type], type]),
);

export function bindTypeOf(command: CommandName): BindType | undefined {
  return BIND_TYPE_BY_COMMAND.get(command);
}

export function isBound(state: BindState): boolean {
  return state === BindState.BOUND_TX || state === BindState.BOUND_RX || state === BindState.BOUND_TRX;
}

const set = (...commands: CommandName[]): ReadonlySet<CommandName> => new Set(commands);

const BINDS = ['bind_transmitter', 'bind_receiver', 'bind_transceiver'] as const;
const LINK = ['unbind', 'enquire_link'] as const;
const ESME_SUBMITS = ['submit_sm', 'submit_multi', 'data_sm', 'query_sm', 'cancel_sm', 'replace_sm'] as const;
const SMSC_DELIVERIES = ['deliver_sm', 'data_sm', 'alert_notification'] as const;

/**
 * THE table: requests each party may originate in each state (SMPP 3.4 section 2.3 and the
 * per-PDU "required state" notes). Responses (generic_nack included) are not listed: they answer
 * one of our pending requests, are matched by sequence number, and are accepted in every state
 * but CLOSED, because a bind_resp or generic_nack arrives while still OPEN and responses to
 * in-flight requests arrive after an unbind. unbind is allowed in UNBOUND so that two unbinds
 * crossing on the wire are both answered instead of failing each other.
 */
const REQUESTS_BY_ORIGIN: Readonly<Record<Role, Readonly<Record<BindState, ReadonlySet<CommandName>>>>> = {
  esme: {
    OPEN: set(...BINDS),
    BOUND_TX: set(...LINK, ...ESME_SUBMITS),
    BOUND_RX: set(...LINK),
    BOUND_TRX: set(...LINK, ...ESME_SUBMITS),
    UNBOUND: set('unbind'),
    CLOSED: set(),
  },
  smsc: {
    OPEN: set('outbind'),
    BOUND_TX: set(...LINK),
    BOUND_RX: set(...LINK, ...SMSC_DELIVERIES),
    BOUND_TRX: set(...LINK, ...SMSC_DELIVERIES),
    UNBOUND: set('unbind'),
    CLOSED: set(),
  },
};

const peerOf = (role: Role): Role => (role === Role.smsc ? Role.esme : Role.smsc);

/** May a session playing `role` receive this request from its peer in `state`? */
export function mayReceive(role: Role, state: BindState, command: CommandName): boolean {
  return REQUESTS_BY_ORIGIN[peerOf(role)][state].has(command);
}

/** May a session playing `role` send this request to its peer in `state`? */
export function maySend(role: Role, state: BindState, command: CommandName): boolean {
  return REQUESTS_BY_ORIGIN[role][state].has(command);
}

/**
 * command_status for a request received in the wrong state: a bind on an already bound session is
 * ESME_RALYBND (section 4.1), everything else ESME_RINVBNDSTS. ESME_ROK when it is allowed.
 */
export function incomingStatus(role: Role, state: BindState, command: CommandName): number {
  if (mayReceive(role, state, command)) return Status.ESME_ROK;
  if (role === Role.smsc && isBound(state) && bindTypeOf(command) !== undefined) return Status.ESME_RALYBND;
  return Status.ESME_RINVBNDSTS;
}
