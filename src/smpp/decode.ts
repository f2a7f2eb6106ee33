import { CommandId, commandNameOf, isResponseId, responseNameOf } from './commands.js';
import { SmppError, type SmppErrorCode } from './errors.js';
import { HEADER_LENGTH } from './framing.js';
import { FieldKind, type BodyLayout, type FieldSpec, MAX_DESTINATIONS, MULTI_ADDRESS_MAX, SHORT_MESSAGE_MAX, TIME_LENGTH, layoutOfId } from './layout.js';
import { makePdu, type DestAddress, type Pdu, type UnsuccessSme } from './pdu.js';
import { TlvTag, tlvSpecOf, type Tlv } from './tlv.js';

export type DecodeResult = { ok: true; pdu: Pdu } | { ok: false; error: SmppError };

export interface DecodeOptions {
  /** Largest command_length accepted; the frame splitter normally enforces this already. */
  maxLength?: number;
}

const NO_LIMIT = 0xffffffff;

/**
 * Decodes exactly one whole PDU. Never throws: every problem comes back as an SmppError whose
 * status and fatal flag tell the session how to answer. Variable-length data (strings, short_message,
 * TLV values) is bounded by the frame before it is read; short_message and TLV values are views into
 * the frame, not copies, so the frame must not be modified while the PDU is in use.
 */
export function decodePdu(frame: Buffer, options?: DecodeOptions): DecodeResult {
  try {
    return { ok: true, pdu: decodeOrThrow(frame, options?.maxLength ?? NO_LIMIT) };
  } catch (error) {
    if (error instanceof SmppError) return { ok: false, error };
    // Unreachable by design; kept so a decoder bug still yields a typed, answerable error.
    return { ok: false, error: new SmppError('INTERNAL_ERROR', `decoder failure: ${String(error)}`, headerContext(frame)) };
  }
}

/** command_id and sequence_number for error reports, when the frame is long enough to hold them. */
function headerContext(frame: Buffer): { commandId?: number; sequence?: number } {
  return frame.length >= HEADER_LENGTH ? { commandId: frame.readUInt32BE(4), sequence: frame.readUInt32BE(12) } : {};
}

function decodeOrThrow(frame: Buffer, maxLength: number): Pdu {
  const size = frame.length;
  if (size < 4) {
    throw new SmppError('FRAME_LENGTH_MISMATCH', `frame of ${size} octets has no command_length`);
  }
  const commandLength = frame.readUInt32BE(0);
  if (commandLength < HEADER_LENGTH || commandLength > maxLength) {
    throw new SmppError('COMMAND_LENGTH_OUT_OF_RANGE', `command_length ${commandLength} out of range`, headerContext(frame));
  }
  if (commandLength !== size) {
    throw new SmppError('FRAME_LENGTH_MISMATCH', `command_length ${commandLength} but frame holds ${size} octets`, headerContext(frame));
  }
  const commandId = frame.readUInt32BE(4);
  const status = frame.readUInt32BE(8);
  const sequence = frame.readUInt32BE(12);
  const layout = layoutOfId(commandId);
  if (layout === undefined) {
    throw new SmppError('UNKNOWN_COMMAND_ID', `unknown command_id 0x${commandId.toString(16).padStart(8, '0')}`, {
      commandId,
      sequence,
    });
  }
  const reader = new BodyReader(frame, commandId, sequence);
  let body: Record<string, unknown> = {};
  let tlvs: Tlv[] = [];
  if (!(size === HEADER_LENGTH && layout.bodyOptional)) {
    body = { ...layout.template };
    readFields(reader, layout, body);
    tlvs = readTail(reader, layout);
    if (layout.hasShortMessage && tlvs.length > 0) checkPayloadExclusive(reader, body, tlvs);
  }
  return makePdu(layout.command, body as never, { status, sequence, tlvs });
}

/** Cursor over one frame's body; carries the header context every error needs. */
class BodyReader {
  pos = HEADER_LENGTH;
  readonly end: number;

  constructor(
    readonly frame: Buffer,
    readonly commandId: number,
    readonly sequence: number,
  ) {
    this.end = frame.length;
  }

  fail(code: SmppErrorCode, message: string, field?: string): never {
    const context: { commandId: number; sequence: number; field?: string } = {
      commandId: this.commandId,
      sequence: this.sequence,
    };
    if (field !== undefined) context.field = field;
    throw new SmppError(code, message, context);
  }

  u8(field: string): number {
    if (this.pos >= this.end) this.fail('BODY_TRUNCATED', `body ends before ${field}`, field);
    return this.frame[this.pos++]!;
  }

  u32(field: string): number {
    if (this.end - this.pos < 4) this.fail('BODY_TRUNCATED', `body ends before ${field}`, field);
    const value = this.frame.readUInt32BE(this.pos);
    this.pos += 4;
    return value;
  }

  /** Reads a C-octet string of at most `max` octets including the NUL; returns it without the NUL. */
  cstring(field: string, max: number): string {
    const { frame, pos, end } = this;
    if (pos >= end) this.fail('BODY_TRUNCATED', `body ends before ${field}`, field);
    const limit = pos + max < end ? pos + max : end;
    let nul = pos;
    // Short strings dominate; a plain loop beats indexOf's native call overhead for them.
    while (nul < limit && frame[nul] !== 0) nul++;
    if (nul === limit) {
      if (limit === end && end - pos < max) {
        this.fail('CSTRING_UNTERMINATED', `${field} has no NUL before the end of the body`, field);
      }
      this.fail('CSTRING_TOO_LONG', `${field} longer than ${max - 1} octets`, field);
    }
    this.pos = nul + 1;
    return nul === pos ? '' : frame.toString('latin1', pos, nul);
  }

  time(field: string): string {
    const start = this.pos;
    const value = this.cstring(field, TIME_LENGTH + 1);
    const length = this.pos - 1 - start;
    if (length !== 0 && !isTimeOctets(this.frame, start, length)) {
      this.fail('TIME_FORMAT_INVALID', `${field} is not empty nor YYMMDDhhmmsstnnp`, field);
    }
    return value;
  }

  shortMessage(): Buffer {
    const smLength = this.u8('sm_length');
    if (smLength > SHORT_MESSAGE_MAX) {
      this.fail('SM_LENGTH_TOO_LONG', `sm_length ${smLength} above ${SHORT_MESSAGE_MAX}`, 'short_message');
    }
    if (this.end - this.pos < smLength) {
      this.fail('SM_LENGTH_MISMATCH', `sm_length ${smLength} but ${this.end - this.pos} octets left`, 'short_message');
    }
    const start = this.pos;
    this.pos += smLength;
    return this.frame.subarray(start, this.pos);
  }
}

function isTimeOctets(frame: Buffer, start: number, length: number): boolean {
  if (length !== TIME_LENGTH) return false;
  for (let i = start; i < start + TIME_LENGTH - 1; i++) {
    const c = frame[i]!;
    if (c < 0x30 || c > 0x39) return false;
  }
  const p = frame[start + TIME_LENGTH - 1];
  return p === 0x2b || p === 0x2d || p === 0x52;
}

function readFields(reader: BodyReader, layout: BodyLayout, body: Record<string, unknown>): void {
  const fields = layout.fields;
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i]!;
    body[field.name] = readField(reader, field);
  }
}

function readField(reader: BodyReader, field: FieldSpec): unknown {
  switch (field.kind) {
    case FieldKind.u8:
      return reader.u8(field.name);
    case FieldKind.cstring:
      return reader.cstring(field.name, field.max);
    case FieldKind.time:
      return reader.time(field.name);
    case FieldKind.shortMessage:
      return reader.shortMessage();
    case FieldKind.destAddresses:
      return readDestAddresses(reader);
    case FieldKind.unsuccessSmes:
      return readUnsuccessSmes(reader);
  }
}

function readDestAddresses(reader: BodyReader): DestAddress[] {
  const count = reader.u8('number_of_dests');
  if (count === 0 || count > MAX_DESTINATIONS) {
    reader.fail('DEST_COUNT_INVALID', `number_of_dests ${count} outside 1..${MAX_DESTINATIONS}`, 'number_of_dests');
  }
  const list: DestAddress[] = [];
  for (let i = 0; i < count; i++) {
    const flag = reader.u8('dest_flag');
    if (flag === 1) {
      const dest_addr_ton = reader.u8('dest_addr_ton');
      const dest_addr_npi = reader.u8('dest_addr_npi');
      const destination_addr = reader.cstring('destination_addr', MULTI_ADDRESS_MAX);
      list.push({ dest_flag: 1, dest_addr_ton, dest_addr_npi, destination_addr });
    } else if (flag === 2) {
      list.push({ dest_flag: 2, dl_name: reader.cstring('dl_name', MULTI_ADDRESS_MAX) });
    } else {
      reader.fail('DEST_FLAG_INVALID', `dest_flag ${flag} is neither 1 nor 2`, 'dest_flag');
    }
  }
  return list;
}

function readUnsuccessSmes(reader: BodyReader): UnsuccessSme[] {
  const count = reader.u8('no_unsuccess');
  const list: UnsuccessSme[] = [];
  for (let i = 0; i < count; i++) {
    const dest_addr_ton = reader.u8('dest_addr_ton');
    const dest_addr_npi = reader.u8('dest_addr_npi');
    const destination_addr = reader.cstring('destination_addr', MULTI_ADDRESS_MAX);
    const error_status_code = reader.u32('error_status_code');
    list.push({ dest_addr_ton, dest_addr_npi, destination_addr, error_status_code });
  }
  return list;
}

/** Reads the optional parameters, or insists the body is over when the command allows none. */
function readTail(reader: BodyReader, layout: BodyLayout): Tlv[] {
  const { frame, end } = reader;
  if (!layout.tlvsAllowed) {
    if (reader.pos !== end) {
      const code = layout.fields.length === 0 ? 'BODY_NOT_EMPTY' : 'BODY_TRAILING_BYTES';
      reader.fail(code, `${end - reader.pos} unexpected octets after the body of ${layout.command}`);
    }
    return [];
  }
  const tlvs: Tlv[] = [];
  let pos = reader.pos;
  while (pos < end) {
    if (end - pos < 4) reader.fail('TLV_HEADER_TRUNCATED', `${end - pos} octets left where a TLV header needs 4`);
    const tag = frame.readUInt16BE(pos);
    const length = frame.readUInt16BE(pos + 2);
    const start = pos + 4;
    if (length > end - start) {
      reader.fail('TLV_LENGTH_OVERFLOW', `TLV 0x${hex4(tag)} length ${length} runs past the PDU`, tlvLabel(tag));
    }
    const spec = tlvSpecOf(tag);
    if (spec !== undefined && (length < spec.minLength || length > spec.maxLength)) {
      reader.fail('TLV_LENGTH_INVALID', `TLV ${spec.name} has length ${length}`, spec.name);
    }
    pos = start + length;
    tlvs.push({ tag, value: frame.subarray(start, pos) });
  }
  reader.pos = pos;
  return tlvs;
}

function checkPayloadExclusive(reader: BodyReader, body: Record<string, unknown>, tlvs: Tlv[]): void {
  const sm = body['short_message'] as Buffer;
  if (sm.length === 0) return;
  for (let i = 0; i < tlvs.length; i++) {
    if (tlvs[i]!.tag === TlvTag.message_payload) {
      reader.fail('PAYLOAD_WITH_SHORT_MESSAGE', 'message_payload TLV together with a non-empty short_message', 'message_payload');
    }
  }
}

function hex4(tag: number): string {
  return tag.toString(16).padStart(4, '0');
}

function tlvLabel(tag: number): string {
  return tlvSpecOf(tag)?.name ?? `tlv_0x${hex4(tag)}`;
}

/**
 * The PDU that answers a rejected one.
 * - Fatal error: generic_nack with the status (the session sends it, then closes).
 * - A request (or a command that has no response, such as outbind): its *_resp with the status and
 *   no body, or generic_nack when no response command exists.
 * - An unknown command_id: generic_nack.
 * - A known response: undefined; answering a response would invite a loop of errors.
 */
export function errorResponseFor(error: SmppError): Pdu | undefined {
  const sequence = error.sequence ?? 0;
  const nack = (): Pdu => makePdu('generic_nack', {}, { status: error.status, sequence });
  if (error.fatal || error.commandId === undefined) return nack();
  const name = commandNameOf(error.commandId);
  if (name === undefined) return nack();
  if (isResponseId(CommandId[name])) return undefined;
  const response = responseNameOf(name);
  if (response === undefined) return nack();
  return makePdu(response, {} as never, { status: error.status, sequence });
}

/** A copy of a whole frame with a new sequence_number; the original frame is left untouched. */
export function patchSequence(frame: Buffer, sequence: number): Buffer {
  if (frame.length < HEADER_LENGTH) {
    throw new SmppError('FRAME_LENGTH_MISMATCH', `frame of ${frame.length} octets has no header`);
  }
  if (!Number.isInteger(sequence) || sequence < 0 || sequence > 0xffffffff) {
    throw new SmppError('FIELD_OUT_OF_RANGE', `sequence ${sequence} is not a uint32`, { field: 'sequence_number' });
  }
  const copy = Buffer.allocUnsafe(frame.length);
  frame.copy(copy);
  copy.writeUInt32BE(sequence, 12);
  return copy;
}
