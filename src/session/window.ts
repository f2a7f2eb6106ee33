import { EventEmitter } from 'node:events';
import { SessionError } from './errors.js';
import type { TimerHandle, Timers } from './timers.js';

export interface RequestWindowOptions {
  /** Most requests awaiting a response at once (the SMPP "window"). */
  size: number;
  /** Default per-request response timeout; 0 disables expiry. */
  timeoutMs: number;
  timers: Timers;
}

export interface AddOptions {
  /** Overrides the window's default timeout for this request (unbind uses its own bound). */
  timeoutMs?: number;
  /**
   * Admit the request even when the window is full. Only for session control PDUs (unbind)
   * that must go out regardless; application traffic always respects the limit.
   */
  force?: boolean;
}

/** What a listener learns about a request that expired. */
export interface ExpiredRequest {
  sequence: number;
  commandId: number;
  waitedMs: number;
}

interface Pending<T> {
  sequence: number;
  commandId: number;
  sentAt: number;
  timer: TimerHandle | undefined;
  resolve: (value: T) => void;
  reject: (error: Error) => void;
}

export interface RequestWindowEvents {
  /** Space freed after the window had been full: callers refused earlier may try again. */
  drain: [];
  /** The last pending request settled. */
  idle: [];
  /** A request expired; its promise has already been rejected with RESPONSE_TIMEOUT. */
  timeout: [ExpiredRequest];
}

/**
 * Outstanding requests keyed by sequence number. Admission is a return value (null when full),
 * never a queue: the caller owns what to do with work it cannot send yet.
 */
export class RequestWindow<T> extends EventEmitter<RequestWindowEvents> {
  readonly size: number;
  private readonly timeoutMs: number;
  private readonly timers: Timers;
  private readonly entries = new Map<number, Pending<T>>();
  private wasFull = false;

  constructor(options: RequestWindowOptions) {
    super();
    if (!Number.isInteger(options.size) || options.size < 1) {
      throw new SessionError('INVALID_ARGUMENT', `window size must be a positive integer, got ${options.size}`);
    }
    if (!(options.timeoutMs >= 0)) {
      throw new SessionError('INVALID_ARGUMENT', `response timeout must be >= 0, got ${options.timeoutMs}`);
    }
    this.size = options.size;
    this.timeoutMs = options.timeoutMs;
    this.timers = options.timers;
  }

  get pending(): number {
    return this.entries.size;
  }

  get isFull(): boolean {
    return this.entries.size >= this.size;
  }

  has(sequence: number): boolean {
    return this.entries.has(sequence);
  }

  /** command_id of the pending request with this sequence number, to check a response against. */
  commandOf(sequence: number): number | undefined {
    return this.entries.get(sequence)?.commandId;
  }

  /**
   * Registers a request about to be sent. Returns null when the window is full (the caller should
   * wait for 'drain'); the promise settles with the response, a timeout or failAll.
   */
  add(sequence: number, commandId: number, options: AddOptions = {}): Promise<T> | null {
    if (this.entries.has(sequence)) {
      throw new SessionError('INVALID_ARGUMENT', `sequence ${sequence} is already pending`, { sequence, commandId });
    }
    if (this.isFull && options.force !== true) {
      this.wasFull = true;
      return null;
    }
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    const promise = new Promise<T>((resolve, reject) => {
      const entry: Pending<T> = {
        sequence,
        commandId,
        sentAt: this.timers.now(),
        timer: undefined,
        resolve,
        reject,
      };
      if (timeoutMs > 0) entry.timer = this.timers.setTimeout(() => this.expire(sequence), timeoutMs);
      this.entries.set(sequence, entry);
    });
    if (this.isFull) this.wasFull = true;
    return promise;
  }

  /** Settles the request with its response. false when nothing with that sequence is pending. */
  resolve(sequence: number, value: T): boolean {
    const entry = this.take(sequence);
    if (entry === undefined) return false;
    entry.resolve(value);
    this.afterRemoval();
    return true;
  }

  reject(sequence: number, error: Error): boolean {
    const entry = this.take(sequence);
    if (entry === undefined) return false;
    entry.reject(error);
    this.afterRemoval();
    return true;
  }

  /**
   * Rejects every pending request with SESSION_CLOSED so no caller waits forever on a dead
   * session. No 'drain' follows: the window is being torn down, not freed for more work.
   */
  failAll(reason: string, cause?: unknown): number {
    const entries = [...this.entries.values()];
    this.entries.clear();
    this.wasFull = false;
    for (const entry of entries) {
      if (entry.timer !== undefined) this.timers.clearTimeout(entry.timer);
      entry.reject(
        new SessionError('SESSION_CLOSED', `session closed before the response arrived: ${reason}`, {
          commandId: entry.commandId,
          sequence: entry.sequence,
          cause,
        }),
      );
    }
    if (entries.length > 0) this.emit('idle');
    return entries.length;
  }

  private take(sequence: number): Pending<T> | undefined {
    const entry = this.entries.get(sequence);
    if (entry === undefined) return undefined;
    this.entries.delete(sequence);
    if (entry.timer !== undefined) this.timers.clearTimeout(entry.timer);
    return entry;
  }

  private expire(sequence: number): void {
    const entry = this.entries.get(sequence);
    if (entry === undefined) return;
    entry.timer = undefined;
    this.entries.delete(sequence);
    const waitedMs = this.timers.now() - entry.sentAt;
    entry.reject(
      new SessionError('RESPONSE_TIMEOUT', `no response within ${Math.round(waitedMs)} ms`, {
        commandId: entry.commandId,
        sequence,
      }),
    );
    this.emit('timeout', { sequence, commandId: entry.commandId, waitedMs });
    this.afterRemoval();
  }

  private afterRemoval(): void {
    if (this.wasFull && !this.isFull) {
      this.wasFull = false;
      this.emit('drain');
    }
    if (this.entries.size === 0) this.emit('idle');
  }
}
