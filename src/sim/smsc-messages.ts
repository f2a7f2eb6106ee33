import { MessageState } from '../smpp/index.js';

/**
 * The simulator's own record of each message it accepted: what query_sm, cancel_sm, replace_sm
 * and the receipt need. Bounded: past `limit` messages the oldest are forgotten (queries for them
 * then fail as unknown ids), so a long-running simulator keeps constant memory.
 */
export interface SimMessage {
  readonly respId: string;
  readonly receiptId: string;
  /** system_id of the ESME that submitted it; only that ESME may query, cancel or replace it. */
  readonly systemId: string;
  readonly command: 'submit_sm' | 'data_sm';
  readonly serviceType: string;
  readonly sourceAddr: string;
  readonly sourceTon: number;
  readonly sourceNpi: number;
  readonly destinationAddr: string;
  readonly destTon: number;
  readonly destNpi: number;
  registeredDelivery: number;
  /** First characters of the text, for the receipt's `text:` field. */
  preview: string;
  readonly submittedAt: Date;
  /** When the message reached its final state; undefined while ENROUTE. */
  doneAt: Date | undefined;
  /** A MessageState value. */
  state: number;
  /** The `stat:` word of the final state, once there is one. */
  stat: string | undefined;
  /** Network error code reported in the receipt (`err:`) and query_sm_resp (error_code). */
  err: number;
}

export class SmscMessages {
  private readonly byRespId = new Map<string, SimMessage>();
  /** Only for formats whose receipt id differs from the resp id ('hex-decimal'). */
  private readonly byReceiptId = new Map<string, SimMessage>();

  constructor(private readonly limit: number) {}

  get size(): number {
    return this.byRespId.size;
  }

  add(message: SimMessage): void {
    this.byRespId.set(message.respId, message);
    if (message.receiptId !== message.respId) this.byReceiptId.set(message.receiptId, message);
    // Map iteration follows insertion order, so the first key is always the oldest message.
    while (this.byRespId.size > this.limit) {
      const oldest = this.byRespId.values().next().value as SimMessage;
      this.byRespId.delete(oldest.respId);
      this.byReceiptId.delete(oldest.receiptId);
    }
  }

  /**
   * The message an ESME names by id: the resp form first, then the receipt form; hex ids are
   * matched case-insensitively, as SMSCs do.
   */
  find(id: string): SimMessage | undefined {
    return (
      this.byRespId.get(id) ??
      this.byReceiptId.get(id) ??
      this.byRespId.get(id.toUpperCase()) ??
      this.byReceiptId.get(id.toUpperCase())
    );
  }

  /** Messages of one ESME still waiting for their final state, for cancel_sm without a message_id. */
  *pendingOf(systemId: string): Iterable<SimMessage> {
    for (const message of this.byRespId.values()) {
      if (message.systemId === systemId && isPending(message)) yield message;
    }
  }

  clear(): void {
    this.byRespId.clear();
    this.byReceiptId.clear();
  }
}

export function isPending(message: SimMessage): boolean {
  return message.state === MessageState.ENROUTE;
}

/**
 * An absolute SMPP time (YYMMDDhhmmsstnnp) in UTC, as query_sm_resp final_date carries it:
 * tenths of a second 0 and a zero quarter-hour offset, `+`.
 */
export function smppAbsoluteTime(date: Date): string {
  const two = (n: number): string => String(n).padStart(2, '0');
  return (
    two(date.getUTCFullYear() % 100) +
    two(date.getUTCMonth() + 1) +
    two(date.getUTCDate()) +
    two(date.getUTCHours()) +
    two(date.getUTCMinutes()) +
    two(date.getUTCSeconds()) +
    '000+'
  );
}
