import type { PduEvent } from '../broker/events.js';
import { pduAuditEvent, pduRecord, type AuditRecord, type RecordContext } from './schema.js';
import { pduSubject } from './subject.js';

/**
 * The stored form of a PDU audit event: the facts of the event (who, when, which session, the
 * frame as it crossed the wire) in a small binary record, instead of the JSON document.
 *
 * Why: turning a PDU into its JSON event (decode it again, pick the fields, base64 the frame,
 * stringify) costs more than everything else the audit trail does on the proxy's thread. Only
 * the facts must be durable before the proxy answers; the document is a pure function of them,
 * so it is built when the event is published, on the publisher's thread, and every resend of
 * the event builds the same bytes. Other event kinds are small and are stored as their JSON.
 *
 * Layout (big-endian):
 *   u8  version (FACTS_V1; a JSON payload starts with '{' instead)
 *   u8  flags: 1 carrier side, 2 direction out
 *   f64 at (epoch ms)
 *   u32 command_id, u32 status, u32 sequence
 *   then six strings, each u16 length + UTF-8: instance, session id, peer, command,
 *   proxy id, carrier message id (an absent id is written as length 0xffff)
 *   then the frame to the end.
 */
const FACTS_V1 = 0x01;
const FLAG_CARRIER = 1;
const FLAG_OUT = 2;
const ABSENT = 0xffff;
const FIXED = 1 + 1 + 8 + 4 + 4 + 4;
/** Longest string a fact record holds; longer ones (never seen in practice) are cut. */
const MAX_STRING_BYTES = ABSENT - 1;

export interface PduFacts {
  event: PduEvent;
  instance: string;
}

/** True when a stored payload is a fact record rather than a finished JSON document. */
export function isPduFacts(payload: Buffer | string): boolean {
  return typeof payload !== 'string' && payload.length >= FIXED && payload[0] === FACTS_V1;
}

export function encodePduFacts(ev: PduEvent, instance: string): Buffer {
  const strings = [instance, ev.sessionId, ev.peer, ev.command, ev.proxyId, ev.carrierMessageId];
  let size = FIXED + ev.frame.length;
  const lengths: number[] = [];
  for (const s of strings) {
    const n = s === undefined ? 0 : Math.min(Buffer.byteLength(s, 'utf8'), MAX_STRING_BYTES);
    lengths.push(n);
    size += 2 + n;
  }
  const out = Buffer.allocUnsafe(size);
  out[0] = FACTS_V1;
  out[1] = (ev.side === 'carrier' ? FLAG_CARRIER : 0) | (ev.direction === 'out' ? FLAG_OUT : 0);
  out.writeDoubleBE(ev.at, 2);
  out.writeUInt32BE(ev.commandId >>> 0, 10);
  out.writeUInt32BE(ev.status >>> 0, 14);
  out.writeUInt32BE(ev.sequence >>> 0, 18);
  let at = FIXED;
  for (let i = 0; i < strings.length; i++) {
    const s = strings[i];
    const n = lengths[i]!;
    if (s === undefined) {
      out.writeUInt16BE(ABSENT, at);
      at += 2;
      continue;
    }
    out.writeUInt16BE(n, at);
    at += 2;
    // write() never splits a character, so a cut string may come out a few bytes short.
    const written = out.write(s, at, n, 'utf8');
    if (written < n) out.fill(0x20, at + written, at + n);
    at += n;
  }
  ev.frame.copy(out, at);
  return out;
}

export class PduFactsError extends Error {
  readonly code = 'BAD_PDU_FACTS';
  constructor(message: string) {
    super(message);
    this.name = 'PduFactsError';
  }
}

export function decodePduFacts(buf: Buffer): PduFacts {
  if (!isPduFacts(buf)) throw new PduFactsError('not a PDU fact record');
  const flags = buf[1]!;
  let at = FIXED;
  const next = (): string | undefined => {
    if (at + 2 > buf.length) throw new PduFactsError('PDU fact record cut short');
    const n = buf.readUInt16BE(at);
    at += 2;
    if (n === ABSENT) return undefined;
    if (at + n > buf.length) throw new PduFactsError('PDU fact record cut short');
    const s = buf.toString('utf8', at, at + n);
    at += n;
    return s;
  };
  const instance = next() ?? '';
  const sessionId = next() ?? '';
  const peer = next() ?? '';
  const command = next() ?? '';
  const proxyId = next();
  const carrierMessageId = next();
  const event: PduEvent = {
    side: flags & FLAG_CARRIER ? 'carrier' : 'esme',
    peer,
    sessionId,
    direction: flags & FLAG_OUT ? 'out' : 'in',
    command,
    commandId: buf.readUInt32BE(10),
    status: buf.readUInt32BE(14),
    sequence: buf.readUInt32BE(18),
    frame: buf.subarray(at),
    at: buf.readDoubleBE(2),
    ...(proxyId !== undefined ? { proxyId } : {}),
    ...(carrierMessageId !== undefined ? { carrierMessageId } : {}),
  };
  return { event, instance };
}

/** When the event happened, read from a fact record without decoding the rest. */
export function pduFactsTime(buf: Buffer): number {
  return buf.readDoubleBE(2);
}

/**
 * The bytes to publish for a stored payload: a fact record becomes its JSON document (under the
 * event id it was stored with), anything else is already the document.
 */
export function renderAuditPayload(payload: Buffer | string, id: string): Buffer | string {
  if (typeof payload === 'string' || !isPduFacts(payload)) return payload;
  const { event, instance } = decodePduFacts(payload);
  // The prefix only shapes subjects, which were fixed when the event was stored.
  return Buffer.from(JSON.stringify(pduAuditEvent(event, { prefix: '', instance, nextId: () => id })), 'utf8');
}

/** bind_transmitter, bind_receiver, bind_transceiver, outbind: they carry a password. */
const CREDENTIAL_COMMAND_IDS = new Set([0x00000001, 0x00000002, 0x00000009, 0x0000000b]);

/**
 * The outbox record for a PDU event: its facts, to be rendered when published. Binds are the
 * exception: their document (with the password taken out) is built at once, so a password
 * never reaches the disk.
 */
export function pduFactsRecord(ev: PduEvent, ctx: RecordContext): AuditRecord {
  if (CREDENTIAL_COMMAND_IDS.has(ev.commandId)) return pduRecord(ev, ctx);
  return {
    id: ctx.nextId(),
    subject: pduSubject(ctx.prefix, ev.side, ev.peer, ev.direction, ev.command),
    payload: encodePduFacts(ev, ctx.instance),
  };
}
