import { SmppError } from './errors.js';

/** Every PDU starts with command_length, command_id, command_status, sequence_number (4 x uint32 BE). */
export const HEADER_LENGTH = 16;

/** A bind PDU is well under 200 octets, so a small cap before bind stops garbage early. */
export const DEFAULT_MAX_LENGTH_UNBOUND = 512;

/** Room for a 64 KiB message_payload plus every mandatory field and a generous TLV tail. */
export const DEFAULT_MAX_LENGTH_BOUND = 65_536 + 4_096;

export interface PduHeader {
  commandLength: number;
  commandId: number;
  commandStatus: number;
  sequence: number;
}

/** Reads the header of a frame that holds at least HEADER_LENGTH octets; undefined otherwise. */
export function readHeader(frame: Buffer): PduHeader | undefined {
  if (frame.length < HEADER_LENGTH) return undefined;
  return {
    commandLength: frame.readUInt32BE(0),
    commandId: frame.readUInt32BE(4),
    commandStatus: frame.readUInt32BE(8),
    sequence: frame.readUInt32BE(12),
  };
}

/**
 * Cuts a TCP byte stream into whole PDUs. Chunks are kept in a list and only the octets of a frame
 * that straddles chunks are copied, so feeding one byte at a time stays linear. The length is
 * checked as soon as its 4 octets are known, before any body is buffered, so a peer announcing
 * 0x7FFFFFFF octets (or speaking HTTP: "HTTP" = 0x48545450) is rejected at once.
 */
export class FrameSplitter {
  maxLength: number;
  private readonly chunks: Buffer[] = [];
  /** Index of the first live chunk; consumed chunks before it are dropped in batches. */
  private head = 0;
  /** Offset of the first unconsumed octet in chunks[head]. */
  private offset = 0;
  private total = 0;
  private failure: SmppError | undefined;
  private failureReported = false;

  constructor(maxLength: number) {
    this.maxLength = maxLength;
  }

  /** Octets held that do not yet make a whole PDU (plus any whole PDUs not yet taken with next()). */
  get buffered(): number {
    return this.total;
  }

  /** True once a fatal framing error was found; the stream cannot be resynchronised. */
  get failed(): boolean {
    return this.failure !== undefined;
  }

  push(chunk: Buffer): void {
    if (this.failure !== undefined || chunk.length === 0) return;
    this.chunks.push(chunk);
    this.total += chunk.length;
    this.checkPendingLength();
  }

  next(): Buffer | SmppError | undefined {
    if (this.failure !== undefined) return this.reportFailure();
    if (this.total < 4) return undefined;
    const length = this.peekUInt32(0);
    if (length < HEADER_LENGTH || length > this.maxLength) {
      this.fail(length);
      return this.reportFailure();
    }
    if (this.total < length) return undefined;
    return this.take(length);
  }

  /** Validates the pending frame's length as soon as it is readable, so a bad one is never buffered further. */
  private checkPendingLength(): void {
    if (this.total < 4) return;
    const length = this.peekUInt32(0);
    if (length < HEADER_LENGTH || length > this.maxLength) this.fail(length);
  }

  private fail(length: number): void {
    const context: { commandId?: number; sequence?: number } = {};
    if (this.total >= HEADER_LENGTH) {
      context.commandId = this.peekUInt32(4);
      context.sequence = this.peekUInt32(12);
    }
    this.failure = new SmppError(
      'COMMAND_LENGTH_OUT_OF_RANGE',
      `command_length ${length} outside ${HEADER_LENGTH}..${this.maxLength}`,
      context,
    );
    this.chunks.length = 0;
    this.head = 0;
    this.offset = 0;
    this.total = 0;
  }

  private reportFailure(): SmppError | undefined {
    if (this.failureReported) return undefined;
    this.failureReported = true;
    return this.failure;
  }

  /** Reads a big-endian uint32 at a position relative to the first unconsumed octet; total must cover it. */
  private peekUInt32(position: number): number {
    let value = 0;
    let index = this.head;
    let at = this.offset + position;
    let chunk = this.chunks[index]!;
    while (at >= chunk.length) {
      at -= chunk.length;
      chunk = this.chunks[++index]!;
    }
    for (let i = 0; i < 4; i++) {
      while (at >= chunk.length) {
        at = 0;
        chunk = this.chunks[++index]!;
      }
      value = value * 256 + chunk[at++]!;
    }
    return value;
  }

  private take(length: number): Buffer {
    const first = this.chunks[this.head]!;
    const available = first.length - this.offset;
    let frame: Buffer;
    if (available >= length) {
      // The common case: the whole frame sits in one chunk, so hand out a view instead of a copy.
      frame = first.subarray(this.offset, this.offset + length);
      this.offset += length;
      if (this.offset === first.length) this.advanceChunk();
    } else {
      // length was checked against maxLength, so this allocation is bounded.
      frame = Buffer.allocUnsafe(length);
      let written = 0;
      while (written < length) {
        const chunk = this.chunks[this.head]!;
        const n = Math.min(chunk.length - this.offset, length - written);
        chunk.copy(frame, written, this.offset, this.offset + n);
        written += n;
        this.offset += n;
        if (this.offset === chunk.length) this.advanceChunk();
      }
    }
    this.total -= length;
    return frame;
  }

  private advanceChunk(): void {
    this.chunks[this.head] = EMPTY;
    this.head++;
    this.offset = 0;
    if (this.head === this.chunks.length) {
      this.chunks.length = 0;
      this.head = 0;
    } else if (this.head >= 1024) {
      // Drop consumed slots in one go so the list stays short without shifting on every frame.
      this.chunks.splice(0, this.head);
      this.head = 0;
    }
  }
}

const EMPTY = Buffer.alloc(0);
