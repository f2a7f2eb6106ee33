import { CommandId } from './commands.js';
import { SmppError, type SmppErrorCode } from './errors.js';
import { HEADER_LENGTH } from './framing.js';
import { FieldKind, type BodyLayout, type FieldSpec, LAYOUTS, MAX_DESTINATIONS, MULTI_ADDRESS_MAX, SHORT_MESSAGE_MAX, isValidTime } from './layout.js';
import type { Pdu } from './pdu.js';
import { TlvTag, tlvSpecOf, type Tlv } from './tlv.js';

/**
 * Encodes a PDU; the byte-exact inverse of decodePdu. Everything the decoder would reject is
 * rejected here too (as a thrown SmppError), so this codec never puts a PDU on the wire that it
 * would refuse to read. command_length, sm_length, number_of_dests and no_unsuccess are derived.
 */
export function encodePdu(pdu: Pdu): Buffer {
  const layout = Object.hasOwn(LAYOUTS, pdu.command) ? LAYOUTS[pdu.command] : undefined;
  if (layout === undefined) {
    throw new SmppError('UNKNOWN_COMMAND_ID', `cannot encode unknown command ${String(pdu.command)}`);
  }
  const commandId = CommandId[layout.command];
  const ctx = new EncodeContext(commandId, pdu.sequence);
  checkUInt32(ctx, pdu.status, 'command_status');
  checkUInt32(ctx, pdu.sequence, 'sequence_number');
  const body = pdu.body as unknown as Record<string, unknown>;
  const tlvs = pdu.tlvs ?? [];
  if (!Array.isArray(tlvs)) ctx.fail('TLV_INVALID', 'tlvs is not an array', 'tlvs');

  const withBody = !layout.bodyOptional || hasAnyField(layout, body);
  if (!withBody && tlvs.length > 0) {
    ctx.fail('TLVS_WITHOUT_BODY', `${layout.command} without body cannot carry TLVs`);
  }
  if (!layout.tlvsAllowed && tlvs.length > 0) {
    ctx.fail('TLV_NOT_ALLOWED', `${layout.command} takes no TLVs`);
  }

  let size = HEADER_LENGTH;
  if (withBody) size += measureFields(ctx, layout, body);
  size += measureTlvs(ctx, tlvs);
  if (layout.hasShortMessage && withBody && tlvs.length > 0) checkPayloadExclusive(ctx, body, tlvs);

  const out = Buffer.allocUnsafe(size);
  out.writeUInt32BE(size, 0);
  out.writeUInt32BE(commandId, 4);
  out.writeUInt32BE(pdu.status, 8);
  out.writeUInt32BE(pdu.sequence, 12);
  let pos = HEADER_LENGTH;
  if (withBody) pos = writeFields(out, pos, layout, body);
  pos = writeTlvs(out, pos, tlvs);
  return out;
}

class EncodeContext {
  constructor(
    readonly commandId: number,
    readonly sequence: unknown,
  ) {}

  fail(code: SmppErrorCode, message: string, field?: string): never {
    const context: { commandId: number; sequence?: number; field?: string } = { commandId: this.commandId };
    if (typeof this.sequence === 'number') context.sequence = this.sequence;
    if (field !== undefined) context.field = field;
    throw new SmppError(code, message, context);
  }
}

function checkUInt32(ctx: EncodeContext, value: unknown, field: string): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    ctx.fail('FIELD_OUT_OF_RANGE', `${field} ${String(value)} is not a uint32`, field);
  }
}

function hasAnyField(layout: BodyLayout, body: Record<string, unknown>): boolean {
  if (body === null || typeof body !== 'object') return false;
  for (const field of layout.fields) if (body[field.name] !== undefined) return true;
  return false;
}

// ---- measuring (validates every value, so writing cannot fail half way) ----

function measureFields(ctx: EncodeContext, layout: BodyLayout, body: Record<string, unknown>): number {
  if (body === null || typeof body !== 'object') ctx.fail('FIELD_MISSING', `${layout.command} body is not an object`);
  const fields = layout.fields;
  let size = 0;
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i]!;
    size += measureField(ctx, field, body[field.name]);
  }
  return size;
}

function measureField(ctx: EncodeContext, field: FieldSpec, value: unknown): number {
  if (value === undefined) ctx.fail('FIELD_MISSING', `${field.name} missing`, field.name);
  switch (field.kind) {
    case FieldKind.u8:
      checkU8(ctx, value, field.name);
      return 1;
    case FieldKind.cstring:
      return measureCString(ctx, value, field.name, field.max);
    case FieldKind.time: {
      const size = measureCString(ctx, value, field.name, field.max);
      if (!isValidTime(value as string)) {
        ctx.fail('TIME_FORMAT_INVALID', `${field.name} is not empty nor YYMMDDhhmmsstnnp`, field.name);
      }
      return size;
    }
    case FieldKind.shortMessage: {
      if (!(value instanceof Uint8Array)) ctx.fail('FIELD_MISSING', 'short_message is not a Buffer', field.name);
      if (value.length > SHORT_MESSAGE_MAX) {
        ctx.fail('SM_LENGTH_TOO_LONG', `short_message of ${value.length} octets above ${SHORT_MESSAGE_MAX}`, field.name);
      }
      return 1 + value.length;
    }
    case FieldKind.destAddresses:
      return measureDestAddresses(ctx, value);
    case FieldKind.unsuccessSmes:
      return measureUnsuccessSmes(ctx, value);
  }
}

function checkU8(ctx: EncodeContext, value: unknown, name: string): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0xff) {
    ctx.fail('FIELD_OUT_OF_RANGE', `${name} ${String(value)} is not an octet`, name);
  }
}

function measureCString(ctx: EncodeContext, value: unknown, name: string, max: number): number {
  if (typeof value !== 'string') ctx.fail('FIELD_MISSING', `${name} is not a string`, name);
  if (value.length + 1 > max) ctx.fail('CSTRING_TOO_LONG', `${name} longer than ${max - 1} octets`, name);
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0 || c > 0xff) {
      ctx.fail('CSTRING_INVALID_CHAR', `${name} holds U+${c.toString(16).padStart(4, '0')}`, name);
    }
  }
  return value.length + 1;
}

function measureDestAddresses(ctx: EncodeContext, value: unknown): number {
  if (!Array.isArray(value)) ctx.fail('FIELD_MISSING', 'dest_address is not a list', 'dest_address');
  if (value.length === 0 || value.length > MAX_DESTINATIONS) {
    ctx.fail('DEST_COUNT_INVALID', `${value.length} destinations outside 1..${MAX_DESTINATIONS}`, 'number_of_dests');
  }
  let size = 1;
  for (const dest of value as unknown[]) {
    const d = (dest ?? {}) as Record<string, unknown>;
    if (d['dest_flag'] === 1) {
      checkU8(ctx, d['dest_addr_ton'], 'dest_addr_ton');
      checkU8(ctx, d['dest_addr_npi'], 'dest_addr_npi');
      size += 3 + measureCString(ctx, d['destination_addr'], 'destination_addr', MULTI_ADDRESS_MAX);
    } else if (d['dest_flag'] === 2) {
      size += 1 + measureCString(ctx, d['dl_name'], 'dl_name', MULTI_ADDRESS_MAX);
    } else {
      ctx.fail('DEST_FLAG_INVALID', `dest_flag ${String(d['dest_flag'])} is neither 1 nor 2`, 'dest_flag');
    }
  }
  return size;
}

function measureUnsuccessSmes(ctx: EncodeContext, value: unknown): number {
  if (!Array.isArray(value)) ctx.fail('FIELD_MISSING', 'unsuccess_sme is not a list', 'unsuccess_sme');
  if (value.length > 0xff) ctx.fail('FIELD_OUT_OF_RANGE', `${value.length} unsuccess_sme entries above 255`, 'no_unsuccess');
  let size = 1;
  for (const entry of value as unknown[]) {
    const e = (entry ?? {}) as Record<string, unknown>;
    checkU8(ctx, e['dest_addr_ton'], 'dest_addr_ton');
    checkU8(ctx, e['dest_addr_npi'], 'dest_addr_npi');
    checkUInt32(ctx, e['error_status_code'], 'error_status_code');
    size += 6 + measureCString(ctx, e['destination_addr'], 'destination_addr', MULTI_ADDRESS_MAX);
  }
  return size;
}

function measureTlvs(ctx: EncodeContext, tlvs: readonly Tlv[]): number {
  let size = 0;
  for (let i = 0; i < tlvs.length; i++) {
    const tlv = tlvs[i]!;
    if (tlv === null || typeof tlv !== 'object') ctx.fail('TLV_INVALID', 'TLV is not an object', 'tlvs');
    const { tag, value } = tlv;
    if (typeof tag !== 'number' || !Number.isInteger(tag) || tag < 0 || tag > 0xffff) {
      ctx.fail('TLV_INVALID', `TLV tag ${String(tag)} is not a uint16`, 'tlvs');
    }
    if (!(value instanceof Uint8Array) || value.length > 0xffff) {
      ctx.fail('TLV_INVALID', `TLV 0x${tag.toString(16)} value is not a Buffer of at most 65535 octets`, 'tlvs');
    }
    const spec = tlvSpecOf(tag);
    if (spec !== undefined && (value.length < spec.minLength || value.length > spec.maxLength)) {
      ctx.fail('TLV_LENGTH_INVALID', `TLV ${spec.name} has length ${value.length}`, spec.name);
    }
    size += 4 + value.length;
  }
  return size;
}

function checkPayloadExclusive(ctx: EncodeContext, body: Record<string, unknown>, tlvs: readonly Tlv[]): void {
  const sm = body['short_message'] as Uint8Array;
  if (sm.length === 0) return;
  for (let i = 0; i < tlvs.length; i++) {
    if (tlvs[i]!.tag === TlvTag.message_payload) {
      ctx.fail('PAYLOAD_WITH_SHORT_MESSAGE', 'message_payload TLV together with a non-empty short_message', 'message_payload');
    }
  }
}

// ---- writing (values already validated and the buffer sized exactly) ----

function writeFields(out: Buffer, pos: number, layout: BodyLayout, body: Record<string, unknown>): number {
  const fields = layout.fields;
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i]!;
    const value = body[field.name];
    switch (field.kind) {
      case FieldKind.u8:
        out[pos++] = value as number;
        break;
      case FieldKind.cstring:
      case FieldKind.time:
        pos = writeCString(out, pos, value as string);
        break;
      case FieldKind.shortMessage: {
        const sm = value as Uint8Array;
        out[pos++] = sm.length;
        out.set(sm, pos);
        pos += sm.length;
        break;
      }
      case FieldKind.destAddresses:
        pos = writeDestAddresses(out, pos, value as Record<string, unknown>[]);
        break;
      case FieldKind.unsuccessSmes:
        pos = writeUnsuccessSmes(out, pos, value as Record<string, unknown>[]);
        break;
    }
  }
  return pos;
}

function writeCString(out: Buffer, pos: number, value: string): number {
  for (let i = 0; i < value.length; i++) out[pos++] = value.charCodeAt(i);
  out[pos++] = 0;
  return pos;
}

function writeDestAddresses(out: Buffer, pos: number, list: Record<string, unknown>[]): number {
  out[pos++] = list.length;
  for (const d of list) {
    if (d['dest_flag'] === 1) {
      out[pos++] = 1;
      out[pos++] = d['dest_addr_ton'] as number;
      out[pos++] = d['dest_addr_npi'] as number;
      pos = writeCString(out, pos, d['destination_addr'] as string);
    } else {
      out[pos++] = 2;
      pos = writeCString(out, pos, d['dl_name'] as string);
    }
  }
  return pos;
}

function writeUnsuccessSmes(out: Buffer, pos: number, list: Record<string, unknown>[]): number {
  out[pos++] = list.length;
  for (const e of list) {
    out[pos++] = e['dest_addr_ton'] as number;
    out[pos++] = e['dest_addr_npi'] as number;
    pos = writeCString(out, pos, e['destination_addr'] as string);
    out.writeUInt32BE(e['error_status_code'] as number, pos);
    pos += 4;
  }
  return pos;
}

function writeTlvs(out: Buffer, pos: number, tlvs: readonly Tlv[]): number {
  for (let i = 0; i < tlvs.length; i++) {
    const { tag, value } = tlvs[i]!;
    out[pos] = tag >>> 8;
    out[pos + 1] = tag & 0xff;
    out[pos + 2] = value.length >>> 8;
    out[pos + 3] = value.length & 0xff;
    out.set(value, pos + 4);
    pos += 4 + value.length;
  }
  return pos;
}
