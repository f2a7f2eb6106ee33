import { clientKey } from './client-key.js';

/** How a bind that was let through to the credential check ended. */
export const BindOutcome = {
  success: 'success',
  /** Wrong credentials or a source address the account does not allow: counts towards the lockout. */
  failure: 'failure',
  /** Refused for a reason that says nothing about guessing (max_binds, bind type, TLS): not counted. */
  neutral: 'neutral',
} as const;
export type BindOutcome = (typeof BindOutcome)[keyof typeof BindOutcome];

/** A bind admitted to the credential check; report its outcome exactly once. */
export interface BindAttempt {
  /** Records the outcome; true when this failure is the one that locked the client out. Later calls are ignored. */
  finish(outcome: BindOutcome): boolean;
}

export interface BindLockoutOptions {
  /** Failed binds within `windowMs` that lock a client out; 0 turns the lockout off. */
  failures: number;
  windowMs: number;
  durationMs: number;
  /**
   * Clients tracked at once (counting failures) and, separately, clients locked out at once.
   * Past either, the least recently seen idle client (or the lock closest to its end) is
   * forgotten first, so an attacker spreading over many addresses cannot grow memory. Default 100,000.
   */
  maxClients?: number;
  now?: () => number;
}

interface ClientState {
  /** Failures in the current window, which opened at the first of them. */
  failures: number;
  windowStart: number;
  /** Credential checks in progress. */
  running: number;
  /** Binds waiting for a check slot, in arrival order; null when none has ever waited. */
  waiting: Array<(attempt: BindAttempt | null) => void> | null;
}

const DEFAULT_MAX_CLIENTS = 100_000;
/** Expired entries dropped per admit: enough to keep up with arrivals, never a long pause. */
const SWEEP_PER_CALL = 16;
/** Entries looked at when a full table needs an idle one to forget. */
const EVICTION_SCAN = 64;

const NO_LOCKOUT: BindAttempt = { finish: () => false };

/**
 * Failed-bind lockout per client (an IPv4 address or an IPv6 /64, see clientKey).
 *
 * After `failures` failed binds within `windowMs` (counted from the first of them), every bind
 * from that client is refused for `durationMs` without its credentials being checked. A client
 * may have at most `failures - failures so far` credential checks running at once; further
 * binds wait their turn, so opening many connections in parallel does not buy more guesses than
 * sequential attempts would. A successful bind does not clear earlier failures, so a valid
 * account cannot be used to reset the count between guesses.
 */
export class BindLockout {
  private readonly limit: number;
  private readonly windowMs: number;
  private readonly durationMs: number;
  private readonly maxClients: number;
  private readonly now: () => number;
  /** Least recently seen first. */
  private readonly clients = new Map<string, ClientState>();
  /** Lock end times; insertion order is expiry order because every lock lasts durationMs. */
  private readonly locks = new Map<string, number>();

  constructor(options: BindLockoutOptions) {
    const { failures, windowMs, durationMs } = options;
    if (!Number.isInteger(failures) || failures < 0) throw new RangeError(`failures must be an integer >= 0, got ${failures}`);
    for (const [name, value] of [['windowMs', windowMs], ['durationMs', durationMs]] as const) {
      if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be > 0, got ${value}`);
    }
    const maxClients = options.maxClients ?? DEFAULT_MAX_CLIENTS;
    if (!Number.isInteger(maxClients) || maxClients < 1) throw new RangeError(`maxClients must be a positive integer, got ${maxClients}`);
    this.limit = failures;
    this.windowMs = windowMs;
    this.durationMs = durationMs;
    this.maxClients = maxClients;
    this.now = options.now ?? Date.now;
  }

  get enabled(): boolean {
    return this.limit > 0;
  }

  /** Clients whose failures are being counted or who have checks running. */
  get trackedClients(): number {
    return this.clients.size;
  }

  /** Clients locked out right now (expired locks are dropped lazily, so this may briefly include some). */
  get lockedClients(): number {
    return this.locks.size;
  }

  isLocked(address: string | undefined): boolean {
    return this.lockedNow(clientKey(address), this.now());
  }

  /**
   * Admits a bind to the credential check: resolves with the attempt (report its outcome with
   * finish), or null when the client is locked out and the bind must be refused unchecked.
   */
  admit(address: string | undefined): Promise<BindAttempt | null> {
    if (this.limit === 0) return Promise.resolve(NO_LOCKOUT);
    const now = this.now();
    this.sweep(now);
    const key = clientKey(address);
    if (this.lockedNow(key, now)) return Promise.resolve(null);
    const state = this.touch(key, now);
    if (state.running + state.failures < this.limit) {
      state.running++;
      return Promise.resolve(this.attempt(key, state));
    }
    return new Promise((resolve) => (state.waiting ??= []).push(resolve));
  }

  private attempt(key: string, state: ClientState): BindAttempt {
    let finished = false;
    return {
      finish: (outcome) => {
        if (finished) return false;
        finished = true;
        state.running--;
        const locked = outcome === BindOutcome.failure && this.recordFailure(key, state);
        this.admitWaiting(key, state);
        return locked;
      },
    };
  }

  private recordFailure(key: string, state: ClientState): boolean {
    const now = this.now();
    if (state.failures === 0 || now - state.windowStart >= this.windowMs) {
      state.failures = 0;
      state.windowStart = now;
    }
    state.failures++;
    if (state.failures < this.limit) return false;
    state.failures = 0;
    this.lock(key, now);
    return true;
  }

  /** Hands freed check slots to waiting binds, or refuses them all once the client is locked. */
  private admitWaiting(key: string, state: ClientState): void {
    const waiting = state.waiting;
    while (waiting !== null && waiting.length > 0) {
      if (this.lockedNow(key, this.now())) {
        for (const resolve of waiting.splice(0)) resolve(null);
        break;
      }
      if (state.running + state.failures >= this.limit) break;
      state.running++;
      waiting.shift()!(this.attempt(key, state));
    }
    if (isIdle(state) && state.failures === 0 && this.clients.get(key) === state) this.clients.delete(key);
  }

  private lock(key: string, now: number): void {
    this.locks.delete(key);
    if (this.locks.size >= this.maxClients) {
      const soonest = this.locks.keys().next();
      if (soonest.done !== true) this.locks.delete(soonest.value);
    }
    this.locks.set(key, now + this.durationMs);
  }

  private lockedNow(key: string, now: number): boolean {
    const until = this.locks.get(key);
    if (until === undefined) return false;
    if (until > now) return true;
    this.locks.delete(key);
    return false;
  }

  /** The client's state, moved to the most recently seen end, its window rolled over when it ended. */
  private touch(key: string, now: number): ClientState {
    let state = this.clients.get(key);
    if (state !== undefined) {
      this.clients.delete(key);
      if (state.failures > 0 && now - state.windowStart >= this.windowMs) state.failures = 0;
    } else {
      if (this.clients.size >= this.maxClients) this.evictIdle();
      state = { failures: 0, windowStart: now, running: 0, waiting: null };
    }
    this.clients.set(key, state);
    return state;
  }

  /**
   * Forgets the least recently seen client with nothing in progress. Clients with checks running
   * are never forgotten (their bookkeeping must balance); there are at most as many of those as
   * binds in progress, which the connection limits bound.
   */
  private evictIdle(): void {
    let scanned = 0;
    for (const [key, state] of this.clients) {
      if (isIdle(state)) {
        this.clients.delete(key);
        return;
      }
      if (++scanned >= EVICTION_SCAN) return;
    }
  }

  private sweep(now: number): void {
    let budget = SWEEP_PER_CALL;
    for (const [key, until] of this.locks) {
      if (until > now || budget-- === 0) break;
      this.locks.delete(key);
    }
    budget = SWEEP_PER_CALL;
    for (const [key, state] of this.clients) {
      if (!isIdle(state) || (state.failures > 0 && now - state.windowStart < this.windowMs) || budget-- === 0) break;
      this.clients.delete(key);
    }
  }
}

function isIdle(state: ClientState): boolean {
  return state.running === 0 && (state.waiting === null || state.waiting.length === 0);
}
