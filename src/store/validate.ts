import { invalidArgument } from './errors.js';
import {
  DeliveryKinds,
  type DeliveryItem,
  type DeliveryKind,
  type FinalOutcome,
  type MessagePatch,
  type MessageRecord,
  type OutboxEvent,
} from './types.js';

/**
 * Strings that become part of a key. Storage engines bound key sizes (LMDB: 1978 bytes); 200
 * UTF-16 code units are at most 600 UTF-8 bytes, so a key of two or three of them still fits,
 * and SMPP ids are at most 64 characters anyway.
 */
export const MAX_KEY_PART_CHARS = 200;

/** Upper bound for peek/read/sweep limits, so one call cannot pin memory for millions of items. */
export const MAX_BATCH_LIMIT = 100_000;

const KIND_VALUES: ReadonlySet<string> = new Set(Object.values(DeliveryKinds));

export function keyPart(name: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw invalidArgument(`${name} must be a non-empty string`);
  }
  if (value.length > MAX_KEY_PART_CHARS) {
    throw invalidArgument(`${name} is longer than ${MAX_KEY_PART_CHARS} characters`);
  }
  return value;
}

export function text(name: string, value: unknown): string {
  if (typeof value !== 'string') throw invalidArgument(`${name} must be a string`);
  return value;
}

export function finite(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw invalidArgument(`${name} must be a finite number`);
  }
  return value;
}

export function nonNegativeInteger(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw invalidArgument(`${name} must be a non-negative integer`);
  }
  return value;
}

export function batchLimit(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1 || value > MAX_BATCH_LIMIT) {
    throw invalidArgument(`${name} must be an integer from 1 to ${MAX_BATCH_LIMIT}`);
  }
  return value;
}

function stringMap(name: string, value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidArgument(`${name} must be an object of strings`);
  }
  const copy: Record<string, string> = {};
  for (const [key, entry] of Object.entries(value)) {
    // Assigning it would replace the copy's prototype, and decoders treat it the same way.
    if (key === '__proto__') throw invalidArgument(`${name} must not have a __proto__ key`);
    copy[key] = text(`${name}.${key}`, entry);
  }
  return copy;
}

function finalOutcome(value: unknown): FinalOutcome {
  if (typeof value !== 'object' || value === null) {
    throw invalidArgument('final must be an object');
  }
  const source = value as Partial<FinalOutcome>;
  const outcome: FinalOutcome = { status: text('final.status', source.status), at: finite('final.at', source.at) };
  if (source.error !== undefined) outcome.error = text('final.error', source.error);
  return outcome;
}

/**
 * A validated copy holding only known fields with defined values, so that what is stored never
 * aliases the caller's objects and reads the same back from every implementation.
 */
export function messageRecord(value: unknown): MessageRecord {
  if (typeof value !== 'object' || value === null) throw invalidArgument('record must be an object');
  const source = value as Partial<MessageRecord>;
  const record: MessageRecord = {
    proxyId: keyPart('proxyId', source.proxyId),
    account: keyPart('account', source.account),
    carrier: keyPart('carrier', source.carrier),
    carrierMessageId: text('carrierMessageId', source.carrierMessageId),
    route: text('route', source.route),
    source: text('source', source.source),
    destination: text('destination', source.destination),
    submittedAt: finite('submittedAt', source.submittedAt),
    registeredDelivery: nonNegativeInteger('registeredDelivery', source.registeredDelivery),
  };
  if (source.parts !== undefined) record.parts = nonNegativeInteger('parts', source.parts);
  if (source.cost !== undefined) record.cost = finite('cost', source.cost);
  if (source.esmeSequence !== undefined) record.esmeSequence = nonNegativeInteger('esmeSequence', source.esmeSequence);
  if (source.extra !== undefined) record.extra = stringMap('extra', source.extra);
  if (source.final !== undefined) record.final = finalOutcome(source.final);
  return record;
}

export function carrierKeys(value: unknown): string[] {
  if (!Array.isArray(value)) throw invalidArgument('carrierKeys must be an array of strings');
  const keys = new Set<string>();
  for (const key of value) keys.add(keyPart('carrier key', key));
  return [...keys];
}

export function messagePatch(value: unknown): MessagePatch {
  if (typeof value !== 'object' || value === null) throw invalidArgument('patch must be an object');
  const source = value as MessagePatch;
  const patch: MessagePatch = {};
  if (source.final !== undefined) patch.final = finalOutcome(source.final);
  if (source.cost !== undefined) patch.cost = finite('cost', source.cost);
  if (source.parts !== undefined) patch.parts = nonNegativeInteger('parts', source.parts);
  if (source.extra !== undefined) patch.extra = stringMap('extra', source.extra);
  return patch;
}

/** The patched record as a new object; the input is left untouched. */
export function applyPatch(record: MessageRecord, patch: MessagePatch): MessageRecord {
  const next = copyRecord(record);
  if (patch.final !== undefined) next.final = { ...patch.final };
  if (patch.cost !== undefined) next.cost = patch.cost;
  if (patch.parts !== undefined) next.parts = patch.parts;
  if (patch.extra !== undefined) next.extra = { ...next.extra, ...patch.extra };
  return next;
}

export function copyRecord(record: MessageRecord): MessageRecord {
  const copy: MessageRecord = { ...record };
  if (record.extra !== undefined) copy.extra = { ...record.extra };
  if (record.final !== undefined) copy.final = { ...record.final };
  return copy;
}

export function deliveryItem(value: unknown): DeliveryItem {
  if (typeof value !== 'object' || value === null) throw invalidArgument('item must be an object');
  const source = value as Partial<DeliveryItem>;
  if (typeof source.kind !== 'string' || !KIND_VALUES.has(source.kind)) {
    throw invalidArgument(`item.kind must be one of ${[...KIND_VALUES].join(', ')}`);
  }
  if (!(source.pdu instanceof Uint8Array) || source.pdu.length === 0) {
    throw invalidArgument('item.pdu must be a non-empty Buffer');
  }
  const item: DeliveryItem = {
    kind: source.kind as DeliveryKind,
    // Copied so that a caller reusing its buffer cannot change what is queued.
    pdu: Buffer.from(source.pdu),
    createdAt: finite('item.createdAt', source.createdAt),
    expiresAt: finite('item.expiresAt', source.expiresAt),
  };
  if (source.proxyId !== undefined) item.proxyId = keyPart('item.proxyId', source.proxyId);
  return item;
}

/** With copy false, Buffer payloads are returned as given (for a store that copies them anyway). */
export function outboxEvents(value: unknown, copy = true): OutboxEvent[] {
  if (!Array.isArray(value)) throw invalidArgument('events must be an array');
  return value.map((entry: unknown, index) => {
    if (typeof entry !== 'object' || entry === null) throw invalidArgument(`events[${index}] must be an object`);
    const source = entry as Partial<OutboxEvent>;
    const id = source.id;
    if (typeof id !== 'string' || id.length === 0) throw invalidArgument(`events[${index}].id must be a non-empty string`);
    const subject = source.subject;
    if (typeof subject !== 'string' || subject.length === 0) {
      throw invalidArgument(`events[${index}].subject must be a non-empty string`);
    }
    const payload = source.payload;
    if (typeof payload === 'string') return { id, subject, payload };
    if (payload instanceof Uint8Array) {
      const bytes = copy || !Buffer.isBuffer(payload) ? Buffer.from(payload) : payload;
      return { id, subject, payload: bytes };
    }
    throw invalidArgument(`events[${index}].payload must be a Buffer or a string`);
  });
}

/** What an outbox entry counts against outboxMaxBytes. */
export function eventBytes(event: OutboxEvent): number {
  const payloadBytes = typeof event.payload === 'string' ? Buffer.byteLength(event.payload) : event.payload.length;
  return payloadBytes + Buffer.byteLength(event.id) + Buffer.byteLength(event.subject);
}

const QUEUE_ID = /^[1-9][0-9]{0,15}$/;

/** Queue ids are decimal sequence numbers; anything else is a caller bug, not an unknown id. */
export function queueSeq(id: unknown): number {
  if (typeof id !== 'string' || !QUEUE_ID.test(id)) throw invalidArgument('id is not a queue item id');
  const seq = Number(id);
  if (!Number.isSafeInteger(seq)) throw invalidArgument('id is not a queue item id');
  return seq;
}

/** defer()'s arguments, checked alike by every store; returns the sequence number in `id`. */
export function deferArguments(account: unknown, id: unknown, notBefore: unknown, attempts: unknown): number {
  keyPart('account', account);
  const seq = queueSeq(id);
  finite('notBefore', notBefore);
  nonNegativeInteger('attempts', attempts);
  return seq;
}

/** drop()'s arguments, checked alike by every store; returns the sequence number in `id`. */
export function dropArguments(account: unknown, id: unknown, reason: unknown): number {
  keyPart('account', account);
  const seq = queueSeq(id);
  text('reason', reason);
  return seq;
}
