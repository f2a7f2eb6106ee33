export const StoreErrorCodes = {
  /** The caller passed something the store cannot hold; nothing was written. */
  INVALID_ARGUMENT: 'STORE_INVALID_ARGUMENT',
  /** The store was closed before the call. */
  CLOSED: 'STORE_CLOSED',
  /** The storage engine refused or failed the write; the write did not happen. */
  WRITE_FAILED: 'STORE_WRITE_FAILED',
  /** The store could not be opened (missing permissions, corrupt or incompatible files). */
  OPEN_FAILED: 'STORE_OPEN_FAILED',
} as const;
export type StoreErrorCode = (typeof StoreErrorCodes)[keyof typeof StoreErrorCodes];

export class StoreError extends Error {
  override readonly name = 'StoreError';
  readonly code: StoreErrorCode;

  constructor(code: StoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

export function isStoreError(error: unknown, code?: StoreErrorCode): error is StoreError {
  return error instanceof StoreError && (code === undefined || error.code === code);
}

export function invalidArgument(message: string): StoreError {
  return new StoreError(StoreErrorCodes.INVALID_ARGUMENT, message);
}

export function storeClosed(): StoreError {
  return new StoreError(StoreErrorCodes.CLOSED, 'store is closed');
}

export function writeFailed(what: string, cause: unknown): StoreError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new StoreError(StoreErrorCodes.WRITE_FAILED, `${what}: ${detail}`, { cause });
}
