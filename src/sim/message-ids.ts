import { SimError } from './errors.js';

/**
 * How the simulator writes message ids, in submit_sm_resp and in the receipt:
 * - 'hex': upper-case hex in both;
 * - 'decimal': decimal in both;
 * - 'string': an opaque text id (`SIM-` + base 36) in both;
 * - 'hex-decimal': hex in submit_sm_resp, the same number in decimal in the receipt, the mix
 *   real carriers produce and the proxy has to normalise before it can match a receipt.
 */
export const SimIdFormat = { hex: 'hex', decimal: 'decimal', string: 'string', hexDecimal: 'hex-decimal' } as const;
export type SimIdFormat = (typeof SimIdFormat)[keyof typeof SimIdFormat];

export const SIM_ID_FORMATS: readonly SimIdFormat[] = Object.values(SimIdFormat);

export function isSimIdFormat(value: string): value is SimIdFormat {
  return (SIM_ID_FORMATS as readonly string[]).includes(value);
}

export interface SimMessageId {
  /** What submit_sm_resp (and data_sm_resp) carries, and what query_sm/cancel_sm/replace_sm name. */
  respId: string;
  /** What the receipt carries in receipted_message_id and in its text. */
  receiptId: string;
}

/**
 * Ids are consecutive numbers rendered in the chosen format. The default first number is the
 * current time in microseconds, so a simulator restarted under a running proxy does not hand
 * out ids the proxy still maps to earlier messages.
 */
export class SimMessageIds {
  private next: number;

  constructor(
    readonly format: SimIdFormat,
    firstNumber: number = Date.now() * 1000,
  ) {
    if (!isSimIdFormat(format)) throw new SimError('INVALID_OPTION', `unknown message id format ${JSON.stringify(format)}`);
    if (!Number.isSafeInteger(firstNumber) || firstNumber < 1) {
      throw new SimError('INVALID_OPTION', `first message number must be a positive safe integer, got ${firstNumber}`);
    }
    this.next = firstNumber;
  }

  take(): SimMessageId {
    const n = this.next;
    // Past 2^53 the numbers would stop being exact; start over rather than repeat ids silently.
    this.next = n >= Number.MAX_SAFE_INTEGER ? 1 : n + 1;
    switch (this.format) {
      case SimIdFormat.hex: {
        const id = n.toString(16).toUpperCase();
        return { respId: id, receiptId: id };
      }
      case SimIdFormat.decimal: {
        const id = String(n);
        return { respId: id, receiptId: id };
      }
      case SimIdFormat.string: {
        const id = `SIM-${n.toString(36).toUpperCase()}`;
        return { respId: id, receiptId: id };
      }
      case SimIdFormat.hexDecimal:
        return { respId: n.toString(16).toUpperCase(), receiptId: String(n) };
    }
  }
}
