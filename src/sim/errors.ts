/**
 * Failures of the simulator and the test ESME, as stable machine codes: callers (the CLI, tests,
 * the proxy's sandbox wiring) branch on `code`, never on message text.
 */
export const SimErrorCode = {
  /** An option is missing, out of range or contradicts another. */
  INVALID_OPTION: 'INVALID_OPTION',
  /** The text cannot be written in the requested data_coding (a character outside the alphabet). */
  TEXT_NOT_ENCODABLE: 'TEXT_NOT_ENCODABLE',
  /** The text needs more than 255 parts, the most a concatenation header can number. */
  TEXT_TOO_LONG: 'TEXT_TOO_LONG',
  /** start() was called twice, or an operation needs a running simulator. */
  INVALID_STATE: 'INVALID_STATE',
} as const;
export type SimErrorCode = (typeof SimErrorCode)[keyof typeof SimErrorCode];

export class SimError extends Error {
  readonly code: SimErrorCode;

  constructor(code: SimErrorCode, message: string) {
    super(message);
    this.name = 'SimError';
    this.code = code;
  }
}

export function isSimError(value: unknown): value is SimError {
  return value instanceof SimError;
}
