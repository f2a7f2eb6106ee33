import { Status } from './status.js';

/**
 * One registry of everything the codec can reject. Each code has the command_status the peer is
 * answered with and whether the byte stream can still be trusted:
 *
 * - fatal: the framing itself is broken (the next PDU boundary is unknown), so the session sends
 *   generic_nack with the status and closes.
 * - non-fatal: the frame boundary is sound but its contents are not; the session answers this one
 *   PDU (see errorResponseFor) and carries on.
 *
 * A status of `'field'` means the status depends on which field was bad; FIELD_STATUS below says
 * which, following the per-field error codes of SMPP 3.4 section 5.1.3.
 */
export const ERROR_REGISTRY = {
  /** command_length below 16 or above the configured cap: resynchronising is impossible. */
  COMMAND_LENGTH_OUT_OF_RANGE: { status: Status.ESME_RINVCMDLEN, fatal: true },
  /** decodePdu was handed a buffer whose length disagrees with its own command_length. */
  FRAME_LENGTH_MISMATCH: { status: Status.ESME_RINVCMDLEN, fatal: true },
  /** A sane frame with a command_id SMPP 3.4 does not define: generic_nack, keep going. */
  UNKNOWN_COMMAND_ID: { status: Status.ESME_RINVCMDID, fatal: false },
  /** The body ends where a mandatory field should start; the frame is too short for its command. */
  BODY_TRUNCATED: { status: Status.ESME_RINVCMDLEN, fatal: false },
  /** Bytes follow the last mandatory field of a PDU that allows no TLVs. */
  BODY_TRAILING_BYTES: { status: Status.ESME_RINVCMDLEN, fatal: false },
  /** A PDU defined with an empty body (enquire_link, unbind, ...) carries bytes. */
  BODY_NOT_EMPTY: { status: Status.ESME_RINVCMDLEN, fatal: false },
  /** A C-octet string starts but the body ends before its NUL. */
  CSTRING_UNTERMINATED: { status: 'field', fatal: false },
  /** A C-octet string has no NUL within its maximum size (NUL included). */
  CSTRING_TOO_LONG: { status: 'field', fatal: false },
  /** Encode only: a string holds a NUL or a character above U+00FF, which cannot be a C-octet string. */
  CSTRING_INVALID_CHAR: { status: 'field', fatal: false },
  /** A time field is neither empty nor YYMMDDhhmmsstnnp (16 characters, p one of + - R). */
  TIME_FORMAT_INVALID: { status: 'field', fatal: false },
  /** sm_length points past the end of the body. */
  SM_LENGTH_MISMATCH: { status: Status.ESME_RINVMSGLEN, fatal: false },
  /** sm_length (or a short_message to encode) above the SMPP 3.4 limit of 254 octets. */
  SM_LENGTH_TOO_LONG: { status: Status.ESME_RINVMSGLEN, fatal: false },
  /** message_payload TLV present while short_message is not empty. */
  PAYLOAD_WITH_SHORT_MESSAGE: { status: Status.ESME_RINVMSGLEN, fatal: false },
  /** submit_multi number_of_dests is 0 or above 254. */
  DEST_COUNT_INVALID: { status: Status.ESME_RINVNUMDESTS, fatal: false },
  /** submit_multi dest_flag is neither 1 (SME address) nor 2 (distribution list). */
  DEST_FLAG_INVALID: { status: Status.ESME_RINVDESTFLAG, fatal: false },
  /** Fewer than 4 octets left for a TLV tag and length. */
  TLV_HEADER_TRUNCATED: { status: Status.ESME_RINVOPTPARSTREAM, fatal: false },
  /** A TLV length runs past the end of the PDU. */
  TLV_LENGTH_OVERFLOW: { status: Status.ESME_RINVPARLEN, fatal: false },
  /** A standard TLV whose length is not the size SMPP 3.4 sets for its tag. */
  TLV_LENGTH_INVALID: { status: Status.ESME_RINVPARLEN, fatal: false },
  /** Encode only: a mandatory field is missing from the body object. */
  FIELD_MISSING: { status: Status.ESME_RSYSERR, fatal: false },
  /** Encode only: an integer field outside its octet range (or not an integer). */
  FIELD_OUT_OF_RANGE: { status: Status.ESME_RSYSERR, fatal: false },
  /** Encode only: TLVs given for a command that allows none. */
  TLV_NOT_ALLOWED: { status: Status.ESME_ROPTPARNOTALLWD, fatal: false },
  /** Encode only: a TLV tag outside 0..0xFFFF or a value longer than 65535 octets. */
  TLV_INVALID: { status: Status.ESME_RINVOPTPARSTREAM, fatal: false },
  /** A bug in the codec surfaced as an exception; the frame boundary is still sound. */
  INTERNAL_ERROR: { status: Status.ESME_RSYSERR, fatal: false },
  /** Encode only: TLVs given for a response whose body was left out, which no decoder could read back. */
  TLVS_WITHOUT_BODY: { status: Status.ESME_RSYSERR, fatal: false },
} as const satisfies Record<string, { status: number | 'field'; fatal: boolean }>;

export type SmppErrorCode = keyof typeof ERROR_REGISTRY;

/**
 * Status for field-level errors. Bind fields use the specific ESME_RINVSYSID/ESME_RINVPASWD codes
 * the specification names; a server that must not reveal which accounts exist may still answer
 * every failed bind with ESME_RBINDFAIL, which is the session's decision, not the codec's.
 */
export const FIELD_STATUS: Readonly<Record<string, number>> = {
  system_id: Status.ESME_RINVSYSID,
  password: Status.ESME_RINVPASWD,
  system_type: Status.ESME_RINVSYSTYP,
  // SMPP 3.4 has no address_range status; a malformed one can only fail the bind.
  address_range: Status.ESME_RBINDFAIL,
  service_type: Status.ESME_RINVSERTYP,
  source_addr: Status.ESME_RINVSRCADR,
  esme_addr: Status.ESME_RINVSRCADR,
  destination_addr: Status.ESME_RINVDSTADR,
  dl_name: Status.ESME_RINVDLNAME,
  message_id: Status.ESME_RINVMSGID,
  schedule_delivery_time: Status.ESME_RINVSCHED,
  validity_period: Status.ESME_RINVEXPIRY,
  // final_date only appears in query_sm_resp; a bad response is never answered, so this is informative.
  final_date: Status.ESME_RQUERYFAIL,
};

export function fieldStatus(field: string): number {
  return FIELD_STATUS[field] ?? Status.ESME_RSYSERR;
}

export interface SmppErrorContext {
  commandId?: number;
  sequence?: number;
  field?: string;
}

export class SmppError extends Error {
  /** Stable machine code, a key of ERROR_REGISTRY. */
  readonly code: SmppErrorCode;
  /** The command_status to answer with. */
  readonly status: number;
  /** true: the stream is out of sync -> generic_nack(status) and close; false: answer this PDU and go on. */
  readonly fatal: boolean;
  /** command_id from the header, when the header could be read. */
  readonly commandId?: number;
  /** sequence_number from the header, when the header could be read. */
  readonly sequence?: number;
  /** The body field or TLV the error is about, when there is one. */
  readonly field?: string;

  constructor(code: SmppErrorCode, message: string, context: SmppErrorContext = {}) {
    super(message);
    this.name = 'SmppError';
    const entry = ERROR_REGISTRY[code];
    this.code = code;
    this.fatal = entry.fatal;
    this.status = entry.status === 'field' ? fieldStatus(context.field ?? '') : entry.status;
    if (context.commandId !== undefined) this.commandId = context.commandId;
    if (context.sequence !== undefined) this.sequence = context.sequence;
    if (context.field !== undefined) this.field = context.field;
  }
}

export function isSmppError(value: unknown): value is SmppError {
  return value instanceof SmppError;
}
