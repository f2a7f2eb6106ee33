import { setTimeout as sleep } from 'node:timers/promises';
import { SessionError } from '../session/index.js';
import type { MessageResult, MessageSpec, TestEsme } from './test-esme.js';

export interface LoadOptions {
  /** Messages to submit. */
  count: number;
  /** Messages per second, paced from the start of the run; 0 or absent is as fast as the window allows. */
  rate?: number;
  /** Messages in flight at once (each may have several parts). */
  concurrency: number;
  /** The message to send at each index; called once per message, just before it is sent. */
  message: (index: number) => MessageSpec;
  /** Called as each message completes, in completion order. */
  onResult?: (index: number, result: MessageResult) => void;
  /** Stops submitting more messages; those in flight still complete. */
  signal?: AbortSignal;
}

export interface LoadResult {
  /** One per message submitted, by index; fewer than count when stopped early. */
  results: MessageResult[];
  /** From the first submit to the last response. */
  elapsedMs: number;
  /** False when the signal or a closed session ended the run before every message was sent. */
  completed: boolean;
}

/**
 * Submits `count` messages through a TestEsme with at most `concurrency` in flight, paced to
 * `rate`. The session's own window bounds the PDUs on the wire; this bounds the messages waiting
 * for it, so memory stays flat however large count is.
 */
export async function runLoad(esme: TestEsme, options: LoadOptions): Promise<LoadResult> {
  const { count, signal } = options;
  const rate = options.rate ?? 0;
  const concurrency = Math.max(1, options.concurrency);
  const results: MessageResult[] = [];
  let inFlight = 0;
  let slotFreed: (() => void) | undefined;
  let allDone: (() => void) | undefined;
  const start = performance.now();
  let sent = 0;
  let callbackError: { error: unknown } | undefined;
  for (let index = 0; index < count; index++) {
    if (rate > 0) {
      const wait = start + (index * 1000) / rate - performance.now();
      if (wait > 1) await sleep(wait, undefined, signal === undefined ? {} : { signal }).catch(() => undefined);
    }
    while (inFlight >= concurrency) {
      await new Promise<void>((resolve) => {
        slotFreed = resolve;
      });
    }
    if (signal?.aborted === true || esme.isClosed) break;
    inFlight++;
    sent++;
    const settle = (result: MessageResult): void => {
      results[index] = result;
      inFlight--;
      const wake = slotFreed;
      slotFreed = undefined;
      wake?.();
      if (inFlight === 0) allDone?.();
      try {
        options.onResult?.(index, result);
      } catch (error) {
        callbackError ??= { error };
      }
    };
    // submit() reports SMPP failures in its result; a rejection is a PDU that could not be encoded.
    esme.submit(options.message(index)).then(settle, (error: unknown) => settle(unsendable(error)));
  }
  if (inFlight > 0) {
    await new Promise<void>((resolve) => {
      allDone = resolve;
    });
  }
  if (callbackError !== undefined) throw callbackError.error;
  return { results: results.slice(0, sent), elapsedMs: performance.now() - start, completed: sent === count };
}

function unsendable(error: unknown): MessageResult {
  const message = error instanceof Error ? error.message : String(error);
  return {
    ok: false,
    parts: [{ part: 1, of: 1, status: undefined, messageId: undefined, error: new SessionError('INVALID_ARGUMENT', message, { cause: error }) }],
  };
}
