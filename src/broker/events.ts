import { EventEmitter } from 'node:events';

/**
 * Named events the core emits. Metrics, logs and the NATS audit trail subscribe to them;
 * the hot path emits and never knows who listens (an emit with no listener costs a lookup).
 */

/** Which side of the proxy a PDU crossed: a customer's bind (esme) or a carrier bind (carrier). */
export type Side = 'esme' | 'carrier';
export type Direction = 'in' | 'out';

export interface PduEvent {
  side: Side;
  /** Account name (esme side) or carrier name (carrier side). */
  peer: string;
  /** The session the PDU crossed, unique within this process. */
  sessionId: string;
  direction: Direction;
  command: string;
  commandId: number;
  status: number;
  sequence: number;
  /** The whole PDU as it crossed the wire. Listeners must not mutate it. */
  frame: Buffer;
  /** Wall-clock ms when the PDU was read or written. */
  at: number;
  /** Correlation ids, when the core knows them at the time of the PDU. */
  proxyId?: string;
  carrierMessageId?: string;
}

export interface BindEvent {
  side: Side;
  peer: string;
  sessionId: string;
  bindType: 'transmitter' | 'receiver' | 'transceiver';
  remote: string;
  up: boolean;
  reason?: string;
  at: number;
}

export interface BindRejectedEvent {
  systemId: string;
  remote: string;
  reason: string;
  at: number;
}

/** One per message part a carrier accepted: the record billing consumers sum. */
export interface BillingEvent {
  proxyId: string;
  account: string;
  carrier: string;
  route: string;
  cost: number;
  parts: number;
  destination: string;
  senderOriginal: string;
  senderSent: string;
  submittedAt: number;
  acceptedAt: number;
  carrierMessageId: string;
}

/** The final delivery outcome of a message, when its receipt comes back. */
export interface DlrEvent {
  proxyId: string;
  account: string;
  carrier: string;
  carrierMessageId: string;
  stat: string;
  err?: string;
  messageState?: number;
  submittedAt: number;
  receivedAt: number;
}

export interface RouteEvent {
  account: string;
  route: string;
  carrier: string;
  /** 0 for the first candidate tried, 1+ after failovers. */
  attempt: number;
}

export interface FailoverEvent {
  account: string;
  route: string;
  fromCarrier: string;
  reason: string;
}

/** One per submit_sm/data_sm answered to an ESME, for latency and outcome metrics. */
export interface SubmitEvent {
  account: string;
  command: 'submit_sm' | 'data_sm';
  /** The route and carrier that took it; undefined when refused before or without one. */
  route: string | undefined;
  carrier: string | undefined;
  /** The command_status the ESME got. */
  status: number;
  /** From reading the ESME's PDU to writing our answer. */
  latencyMs: number;
  /** Request to response at the carrier that answered last; undefined when none did. */
  carrierRttMs: number | undefined;
  /** Candidates tried after the first (failovers). */
  failovers: number;
}

export interface CarrierStateEvent {
  carrier: string;
  boundSessions: number;
  circuitOpen: boolean;
  at: number;
}

export interface ProxyEventMap {
  pdu: [PduEvent];
  bind: [BindEvent];
  bind_rejected: [BindRejectedEvent];
  billing: [BillingEvent];
  dlr: [DlrEvent];
  route: [RouteEvent];
  failover: [FailoverEvent];
  submit: [SubmitEvent];
  carrier_state: [CarrierStateEvent];
}

export class ProxyEvents extends EventEmitter<ProxyEventMap> {}
