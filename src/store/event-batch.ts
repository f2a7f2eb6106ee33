/** An outbox event with its sequence number: what a packed batch holds. */
export interface PackedEvent {
  seq: number;
  id: string;
  subject: string;
  payload: Buffer | string;
}

/**
 * A batch of outbox events packed into one buffer of its own. The outbox stores one such
 * buffer per append (one write instead of one per event), and the audit publisher hands one
 * to its publishing thread per send: one copy into a buffer that is then transferred, not
 * cloned, where posting the events as objects would copy each Buffer's whole backing store
 * (8 KiB per event for pooled Buffers).
 *
 * Per event (big-endian): f64 seq, u16 id length + id, u16 subject length + subject,
 * u8 payload kind (0 bytes, 1 string), u32 payload length + payload.
 */
const PAYLOAD_BYTES = 0;
const PAYLOAD_STRING = 1;

export class EventBatchError extends Error {
  readonly code = 'BAD_EVENT_BATCH';
  constructor(message: string) {
    super(message);
    this.name = 'EventBatchError';
  }
}

export function packEventBatch(events: readonly PackedEvent[]): ArrayBuffer {
  let size = 0;
  for (const e of events) {
    size += 8 + 2 + Buffer.byteLength(e.id, 'utf8') + 2 + Buffer.byteLength(e.subject, 'utf8') + 1 + 4;
    size += typeof e.payload === 'string' ? Buffer.byteLength(e.payload, 'utf8') : e.payload.length;
  }
  // allocUnsafeSlow: a buffer that owns its whole ArrayBuffer, so it can be transferred.
  const out = Buffer.allocUnsafeSlow(size);
  let at = 0;
  for (const e of events) {
    out.writeDoubleBE(e.seq, at);
    at += 8;
    at = writeShortString(out, at, e.id);
    at = writeShortString(out, at, e.subject);
    if (typeof e.payload === 'string') {
      out[at++] = PAYLOAD_STRING;
      const n = Buffer.byteLength(e.payload, 'utf8');
      out.writeUInt32BE(n, at);
      at += 4;
      out.write(e.payload, at, n, 'utf8');
      at += n;
    } else {
      out[at++] = PAYLOAD_BYTES;
      out.writeUInt32BE(e.payload.length, at);
      at += 4;
      e.payload.copy(out, at);
      at += e.payload.length;
    }
  }
  return out.buffer;
}

/** Payloads come back as views into `batch` (no copy); strings as strings. */
export function unpackEventBatch(batch: ArrayBuffer | Uint8Array): PackedEvent[] {
  const buf = batch instanceof Uint8Array ? Buffer.from(batch.buffer, batch.byteOffset, batch.byteLength) : Buffer.from(batch);
  const events: PackedEvent[] = [];
  let at = 0;
  const need = (n: number): void => {
    if (at + n > buf.length) throw new EventBatchError('event batch cut short');
  };
  while (at < buf.length) {
    need(8);
    const seq = buf.readDoubleBE(at);
    at += 8;
    const id = readShortString();
    const subject = readShortString();
    need(5);
    const kind = buf[at++];
    const n = buf.readUInt32BE(at);
    at += 4;
    need(n);
    const payload = kind === PAYLOAD_STRING ? buf.toString('utf8', at, at + n) : buf.subarray(at, at + n);
    at += n;
    events.push({ seq, id, subject, payload });
  }
  return events;

  function readShortString(): string {
    need(2);
    const n = buf.readUInt16BE(at);
    at += 2;
    need(n);
    const s = buf.toString('utf8', at, at + n);
    at += n;
    return s;
  }
}

function writeShortString(out: Buffer, at: number, s: string): number {
  const n = Buffer.byteLength(s, 'utf8');
  if (n > 0xffff) throw new EventBatchError(`event id or subject of ${n} bytes is too long`);
  out.writeUInt16BE(n, at);
  out.write(s, at + 2, n, 'utf8');
  return at + 2 + n;
}
