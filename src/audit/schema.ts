import type {
  BillingEvent,
  BindEvent,
  BindRejectedEvent,
  DlrEvent,
  PduEvent,
} from '../broker/events.js';
import { statusName } from '../smpp/index.js';
import { describePdu, type PduFields } from './pdu-fields.js';
import {
  billingSubject,
  bindRejectedSubject,
  bindSubject,
  dlrSubject,
  pduSubject,
} from './subject.js';

/**
 * The JSON documents published to NATS, one per event. Version 1.
 *
 * Rules a consumer can rely on within a version: fields are only added, never renamed or
 * retyped; optional fields are left out rather than set to null; times are ISO 8601 UTC with
 * milliseconds; names follow SMPP 3.4 where SMPP has one. A change that breaks any of that
 * bumps `v`.
 */
export const SCHEMA_VERSION = 1 as const;

export const AuditEventType = {
  pdu: 'pdu',
  billing: 'billing',
  dlr: 'dlr',
  bind: 'bind',
  bind_rejected: 'bind_rejected',
} as const;
export type AuditEventType = (typeof AuditEventType)[keyof typeof AuditEventType];

interface EventEnvelope {
  v: typeof SCHEMA_VERSION;
  type: AuditEventType;
  /** Unique event id; also the Nats-Msg-Id header, so JetStream drops republished copies. */
  id: string;
  /** When the event happened (the PDU crossed the wire, the carrier accepted, ...). */
  ts: string;
  /** The proxy instance that saw it. */
  instance: string;
}

export interface PduAuditEvent extends EventEnvelope {
  type: 'pdu';
  session: string;
  side: 'esme' | 'carrier';
  /** Account name (esme side) or carrier name (carrier side). */
  peer: string;
  dir: 'in' | 'out';
  command: string;
  command_id: number;
  status: number;
  status_name: string;
  /** SMPP sequence_number as it crossed the wire on this side. */
  seq: number;
  proxy_id?: string;
  carrier_message_id?: string;
  /** Decoded fields a consumer needs. Message text is never here: it is only in `raw`. */
  fields?: PduFields;
  /** Set when the PDU did not decode (the codec's error code); `raw` still holds the bytes. */
  decode_error?: string;
  /** The whole PDU, base64. Absent only when it had to be withheld (see `redacted`). */
  raw?: string;
  /** Names of what was removed before publishing, e.g. ["password"] for a bind. */
  redacted?: string[];
}

export interface BillingAuditEvent extends EventEnvelope {
  type: 'billing';
  proxy_id: string;
  account: string;
  carrier: string;
  route: string;
  cost: number;
  parts: number;
  destination: string;
  sender_original: string;
  sender_sent: string;
  carrier_message_id: string;
  submitted_at: string;
  accepted_at: string;
}

export interface DlrAuditEvent extends EventEnvelope {
  type: 'dlr';
  proxy_id: string;
  account: string;
  carrier: string;
  carrier_message_id: string;
  stat: string;
  err?: string;
  message_state?: number;
  submitted_at: string;
  received_at: string;
}

export interface BindAuditEvent extends EventEnvelope {
  type: 'bind';
  session: string;
  side: 'esme' | 'carrier';
  peer: string;
  bind_type: 'transmitter' | 'receiver' | 'transceiver';
  remote: string;
  up: boolean;
  reason?: string;
}

export interface BindRejectedAuditEvent extends EventEnvelope {
  type: 'bind_rejected';
  system_id: string;
  remote: string;
  reason: string;
}

export type AuditEvent =
  | PduAuditEvent
  | BillingAuditEvent
  | DlrAuditEvent
  | BindAuditEvent
  | BindRejectedAuditEvent;

/** What goes into the outbox: the publisher sends `payload` (UTF-8 JSON) to `subject` with Nats-Msg-Id `id`. */
export interface AuditRecord {
  id: string;
  subject: string;
  payload: Buffer;
}

export interface RecordContext {
  prefix: string;
  instance: string;
  /** A fresh, never-repeating event id. */
  nextId: () => string;
}

let recentIsoMs = Number.NaN;
let recentIso = '';
let previousIsoMs = Number.NaN;
let previousIso = '';

/**
 * Events come in bursts within one millisecond; formatting a date costs more than the rest of
 * the envelope. Two times are remembered, not one: billing and dlr records write a submit time
 * and an acceptance (or receipt) time in turn, which would miss a single slot every time.
 */
function iso(ms: number): string {
  if (ms === recentIsoMs) return recentIso;
  if (ms === previousIsoMs) return previousIso;
  const text = new Date(ms).toISOString();
  previousIsoMs = recentIsoMs;
  previousIso = recentIso;
  recentIsoMs = ms;
  recentIso = text;
  return text;
}

/*
 * Builders write each event as one object literal with every key, absent ones undefined
 * (JSON.stringify leaves those out). This runs for every PDU on the proxy's thread: spreading
 * a shared envelope and adding optional keys afterwards measured about four times slower.
 */

function toRecord(subject: string, event: AuditEvent): AuditRecord {
  // Encoded once here: the outbox stores bytes and NATS sends them as they are.
  return { id: event.id, subject, payload: Buffer.from(JSON.stringify(event), 'utf8') };
}

export function pduAuditEvent(ev: PduEvent, ctx: RecordContext): PduAuditEvent {
  const described = describePdu(ev.frame);
  return {
    v: SCHEMA_VERSION,
    type: AuditEventType.pdu,
    id: ctx.nextId(),
    ts: iso(ev.at),
    instance: ctx.instance,
    session: ev.sessionId,
    side: ev.side,
    peer: ev.peer,
    dir: ev.direction,
    command: ev.command,
    command_id: ev.commandId,
    status: ev.status,
    status_name: statusName(ev.status),
    seq: ev.sequence,
    proxy_id: ev.proxyId,
    carrier_message_id: ev.carrierMessageId,
    fields: described.fields,
    decode_error: described.decodeError,
    raw: described.raw?.toString('base64'),
    redacted: described.redacted,
  };
}

export function pduRecord(ev: PduEvent, ctx: RecordContext): AuditRecord {
  const event = pduAuditEvent(ev, ctx);
  return toRecord(pduSubject(ctx.prefix, ev.side, ev.peer, ev.direction, ev.command), event);
}

export function billingRecord(ev: BillingEvent, ctx: RecordContext): AuditRecord {
  const event: BillingAuditEvent = {
    v: SCHEMA_VERSION,
    type: AuditEventType.billing,
    id: ctx.nextId(),
    ts: iso(ev.acceptedAt),
    instance: ctx.instance,
    proxy_id: ev.proxyId,
    account: ev.account,
    carrier: ev.carrier,
    route: ev.route,
    cost: ev.cost,
    parts: ev.parts,
    destination: ev.destination,
    sender_original: ev.senderOriginal,
    sender_sent: ev.senderSent,
    carrier_message_id: ev.carrierMessageId,
    submitted_at: iso(ev.submittedAt),
    accepted_at: iso(ev.acceptedAt),
  };
  return toRecord(billingSubject(ctx.prefix, ev.account), event);
}

export function dlrRecord(ev: DlrEvent, ctx: RecordContext): AuditRecord {
  const event: DlrAuditEvent = {
    v: SCHEMA_VERSION,
    type: AuditEventType.dlr,
    id: ctx.nextId(),
    ts: iso(ev.receivedAt),
    instance: ctx.instance,
    proxy_id: ev.proxyId,
    account: ev.account,
    carrier: ev.carrier,
    carrier_message_id: ev.carrierMessageId,
    stat: ev.stat,
    err: ev.err,
    message_state: ev.messageState,
    submitted_at: iso(ev.submittedAt),
    received_at: iso(ev.receivedAt),
  };
  return toRecord(dlrSubject(ctx.prefix, ev.account), event);
}

export function bindRecord(ev: BindEvent, ctx: RecordContext): AuditRecord {
  const event: BindAuditEvent = {
    v: SCHEMA_VERSION,
    type: AuditEventType.bind,
    id: ctx.nextId(),
    ts: iso(ev.at),
    instance: ctx.instance,
    session: ev.sessionId,
    side: ev.side,
    peer: ev.peer,
    bind_type: ev.bindType,
    remote: ev.remote,
    up: ev.up,
    reason: ev.reason,
  };
  return toRecord(bindSubject(ctx.prefix, ev.side, ev.peer), event);
}

export function bindRejectedRecord(ev: BindRejectedEvent, ctx: RecordContext): AuditRecord {
  const event: BindRejectedAuditEvent = {
    v: SCHEMA_VERSION,
    type: AuditEventType.bind_rejected,
    id: ctx.nextId(),
    ts: iso(ev.at),
    instance: ctx.instance,
    system_id: ev.systemId,
    remote: ev.remote,
    reason: ev.reason,
  };
  return toRecord(bindRejectedSubject(ctx.prefix), event);
}

/**
 * Parses and checks an event read back from the stream. Consumers (tail, billing-report) use
 * it so a foreign or newer message is reported, not misread.
 */
export type ParsedAuditEvent =
  | { ok: true; event: AuditEvent }
  | { ok: false; reason: string };

export function parseAuditEvent(data: Uint8Array | string): ParsedAuditEvent {
  let value: unknown;
  try {
    value = JSON.parse(typeof data === 'string' ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8'));
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
  if (typeof value !== 'object' || value === null) return { ok: false, reason: 'not an object' };
  const obj = value as Record<string, unknown>;
  if (obj.v !== SCHEMA_VERSION) return { ok: false, reason: `unsupported schema version ${String(obj.v)}` };
  if (typeof obj.id !== 'string' || typeof obj.ts !== 'string' || typeof obj.type !== 'string') {
    return { ok: false, reason: 'missing id, ts or type' };
  }
  if (!Object.values(AuditEventType).includes(obj.type as AuditEventType)) {
    return { ok: false, reason: `unknown event type ${obj.type}` };
  }
  return { ok: true, event: value as AuditEvent };
}
