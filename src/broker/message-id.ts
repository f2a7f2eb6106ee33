import { randomBytes } from 'node:crypto';

/**
 * The proxy's own message ids: what customers see in submit_sm_resp and in their receipts.
 *
 * Unique across restarts and across instances without coordination: 48 bits of millisecond
 * time, then 64 random bits drawn once per generator (per process start), then a counter.
 * Two instances collide only if they draw the same 64 random bits, and one instance cannot
 * repeat itself because the counter is carried over when the clock stalls or steps back.
 * Encoded in Crockford base32 (upper case, no I/L/O/U) so ids are short (26 chars, well under
 * SMPP's 64), case-insensitive for operators reading them, and sort by time.
 */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

function base32(value: bigint, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) {
    out = ALPHABET[Number(value & 31n)] + out;
    value >>= 5n;
  }
  return out;
}

export class MessageIdGenerator {
  private readonly instance: string;
  private lastTime = 0;
  private counter = 0;

  constructor(private readonly now: () => number = Date.now, instanceBytes: Buffer = randomBytes(8)) {
    this.instance = base32(instanceBytes.readBigUInt64BE(0), 13);
  }

  next(): string {
    let t = this.now();
    if (t <= this.lastTime) {
      // Same millisecond, or the clock stepped back: keep the last time and count on, so
      // ids stay unique and ordered within this process.
      t = this.lastTime;
      this.counter++;
      if (this.counter > 0x7fff) {
        // 32k ids in one millisecond: borrow the next millisecond rather than wrap.
        this.lastTime = t = t + 1;
        this.counter = 0;
      }
    } else {
      this.lastTime = t;
      this.counter = 0;
    }
    return base32(BigInt(t), 10) + this.instance + base32(BigInt(this.counter), 3);
  }
}
