import { randomBytes } from 'node:crypto';

/**
 * Event ids double as JetStream's Nats-Msg-Id, so they must never repeat: not across restarts
 * of one instance, not across instances. Each process start draws a boot prefix from the clock
 * and 40 random bits; a counter follows. The id is fixed when the event is recorded and stored
 * with it in the outbox, so every republish of the event carries the same id and the stream's
 * duplicate window can drop the copies.
 *
 * Plain string concatenation of a base36 counter keeps this cheap enough to run for every PDU.
 */
export class EventIdGenerator {
  private readonly boot: string;
  private counter = 0;

  constructor(now: number = Date.now(), random: Buffer = randomBytes(5)) {
    this.boot = `${now.toString(36)}${random.toString('hex')}-`;
  }

  next(): string {
    return this.boot + (++this.counter).toString(36);
  }

  /** How many ids this generator has handed out. */
  get issued(): number {
    return this.counter;
  }
}
