import { readFileSync } from 'node:fs';
import { CommandId, type BodyMap, type CommandName, type Pdu, type Tlv } from '../../src/smpp/index.js';

export interface VectorTlv {
  tag: string;
  name: string;
  hex: string;
}

export interface Vector {
  name: string;
  command: CommandName;
  command_id: string;
  command_status: number;
  sequence_number: number;
  hex: string;
  fields: Record<string, unknown>;
  tlvs: VectorTlv[];
  notes: string;
}

export const vectors: Vector[] = JSON.parse(
  readFileSync(new URL('../fixtures/vectors.json', import.meta.url), 'utf8'),
) as Vector[];

/** Length prefixes the vectors list but the PDU model derives on encode. */
const DERIVED = new Set(['sm_length', 'number_of_dests', 'no_unsuccess']);

/** The vector's fields as a PDU body: short_message as octets, length prefixes dropped. */
export function bodyFromVector(fields: Record<string, unknown>): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (DERIVED.has(key)) continue;
    body[key] = key === 'short_message' ? Buffer.from(value as string, 'hex') : value;
  }
  return body;
}

export function tlvsFromVector(tlvs: VectorTlv[]): Tlv[] {
  return tlvs.map((t) => ({ tag: Number.parseInt(t.tag, 16), value: Buffer.from(t.hex, 'hex') }));
}

/** A decoded body in the vector's notation, keys in wire order, length prefixes included. */
export function vectorFieldsOf(pdu: Pdu): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(pdu.body as Record<string, unknown>)) {
    if (key === 'short_message') {
      const sm = value as Buffer;
      out['sm_length'] = sm.length;
      out['short_message'] = sm.toString('hex');
    } else if (key === 'dest_address') {
      out['number_of_dests'] = (value as unknown[]).length;
      out[key] = value;
    } else if (key === 'unsuccess_sme') {
      out['no_unsuccess'] = (value as unknown[]).length;
      out[key] = value;
    } else {
      out[key] = value;
    }
  }
  return out;
}

/** Builds a frame from a command id and body hex, with a correct command_length. */
export function frame(commandId: number, bodyHex: string, opts: { status?: number; sequence?: number } = {}): Buffer {
  const body = Buffer.from(bodyHex.replace(/\s+/g, ''), 'hex');
  const header = Buffer.alloc(16);
  header.writeUInt32BE(16 + body.length, 0);
  header.writeUInt32BE(commandId >>> 0, 4);
  header.writeUInt32BE(opts.status ?? 0, 8);
  header.writeUInt32BE(opts.sequence ?? 1, 12);
  return Buffer.concat([header, body]);
}

/** Hex of a latin1 C-octet string with its NUL. */
export function cstr(text: string): string {
  return Buffer.from(text + '\0', 'latin1').toString('hex');
}

export function byName(name: string): Vector {
  const v = vectors.find((x) => x.name === name);
  if (v === undefined) throw new Error(`no vector ${name}`);
  return v;
}

export function idOf(command: CommandName): number {
  return CommandId[command];
}

export type AnyBody = BodyMap[CommandName];
