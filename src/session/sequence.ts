import { SessionError } from './errors.js';

/** SMPP 3.4 section 3.2: sequence_number runs 0x00000001..0x7FFFFFFF; 0 is never used for a request. */
export const MIN_SEQUENCE = 1;
export const MAX_SEQUENCE = 0x7fffffff;

export function isValidSequence(value: number): boolean {
  return Number.isInteger(value) && value >= MIN_SEQUENCE && value <= MAX_SEQUENCE;
}

/** Hands out request sequence numbers, wrapping from 0x7FFFFFFF back to 1. */
export class SequenceGenerator {
  private nextValue: number;

  /** start lets tests begin just below the wrap point instead of sending two billion PDUs. */
  constructor(start: number = MIN_SEQUENCE) {
    if (!isValidSequence(start)) {
      throw new SessionError('INVALID_ARGUMENT', `sequence start must be an integer in 1..${MAX_SEQUENCE}, got ${start}`);
    }
    this.nextValue = start;
  }

  /** The number next() will return, without consuming it. */
  peek(): number {
    return this.nextValue;
  }

  next(): number {
    const value = this.nextValue;
    this.nextValue = value === MAX_SEQUENCE ? MIN_SEQUENCE : value + 1;
    return value;
  }
}
