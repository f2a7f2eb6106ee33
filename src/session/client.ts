import { EventEmitter } from 'node:events';
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions, type SecureVersion } from 'node:tls';
import { SessionError } from './errors.js';
import type { CloseReason } from './events.js';
import type { SessionOptions } from './options.js';
import { SmppSession, type BindParams } from './session.js';
import type { BindType } from './states.js';
import { realTimers, type TimerHandle, type Timers } from './timers.js';

export interface TlsClientOptions {
  /** Trusted CA certificates (PEM); the system store when omitted. */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Name to verify the certificate against (and send as SNI); defaults to host when it is a name. */
  servername?: string;
  /** Certificate verification is on unless this is explicitly false. */
  rejectUnauthorized?: boolean;
  /** Client certificate and key, for carriers that require mutual TLS. */
  cert?: string | Buffer;
  key?: string | Buffer;
  minVersion?: SecureVersion;
}

export interface ConnectOptions {
  host: string;
  port: number;
  /** true or options for TLS; plain TCP when absent or false. */
  tls?: boolean | TlsClientOptions;
  /** TCP connect plus TLS handshake must finish within this. Default 10 s. */
  connectTimeoutMs?: number;
  bindType: BindType;
  bind: BindParams;
  session?: Omit<SessionOptions, 'role' | 'authenticate'>;
  signal?: AbortSignal;
  /**
   * Called with the new session before the bind is sent, so request handlers and PDU listeners
   * are in place for whatever the SMSC sends right behind its bind_resp (queued receipts, MO).
   */
  onSession?: (session: SmppSession) => void;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/**
 * Connects (TCP or TLS), binds, and resolves with the bound session. On any failure the socket is
 * closed and the promise rejects with a SessionError: CONNECT_TIMEOUT, CONNECT_FAILED, ABORTED,
 * or the bind's own failure (BIND_FAILED with the status, RESPONSE_TIMEOUT, ...).
 */
export async function connectAndBind(options: ConnectOptions): Promise<SmppSession> {
  const timers = options.session?.timers ?? realTimers;
  const socket = await openSocket(options, timers);
  const session = new SmppSession(socket, { ...options.session, role: 'esme' });
  options.onSession?.(session);
  const signal = options.signal;
  const onAbort = (): void => session.close('connect aborted');
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await session.bind(options.bindType, options.bind);
    return session;
  } catch (error) {
    session.close('bind failed');
    if (signal?.aborted === true) throw new SessionError('ABORTED', 'connect aborted', { cause: error });
    throw error;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

function openSocket(options: ConnectOptions, timers: Timers): Promise<Socket> {
  const { host, port, signal } = options;
  const timeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  return new Promise<Socket>((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(new SessionError('ABORTED', 'connect aborted'));
      return;
    }
    const tlsOptions = options.tls === true ? {} : options.tls === false ? undefined : options.tls;
    const socket = tlsOptions === undefined ? netConnect({ host, port }) : tlsConnect(tlsConnectionOptions(host, port, tlsOptions));
    const readyEvent = tlsOptions === undefined ? 'connect' : 'secureConnect';
    let timer: TimerHandle | undefined;

    const cleanup = (): void => {
      if (timer !== undefined) timers.clearTimeout(timer);
      socket.off(readyEvent, onReady);
      socket.off('error', onError);
      signal?.removeEventListener('abort', onAbort);
    };
    const fail = (error: SessionError): void => {
      cleanup();
      // Swallow anything the dying socket still reports; the caller already has the error.
      socket.on('error', () => undefined);
      socket.destroy();
      reject(error);
    };
    const onReady = (): void => {
      cleanup();
      resolve(socket);
    };
    const onError = (error: Error): void =>
      fail(new SessionError('CONNECT_FAILED', `connect to ${host}:${port} failed: ${error.message}`, { cause: error }));
    const onAbort = (): void => fail(new SessionError('ABORTED', 'connect aborted'));

    socket.once(readyEvent, onReady);
    socket.on('error', onError);
    signal?.addEventListener('abort', onAbort, { once: true });
    timer = timers.setTimeout(
      () => fail(new SessionError('CONNECT_TIMEOUT', `connect to ${host}:${port} took over ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
}

function tlsConnectionOptions(host: string, port: number, options: TlsClientOptions): ConnectionOptions {
  const servername = options.servername ?? (isIP(host) === 0 ? host : undefined);
  const result: ConnectionOptions = { host, port, rejectUnauthorized: options.rejectUnauthorized !== false };
  if (servername !== undefined) result.servername = servername;
  if (options.ca !== undefined) result.ca = options.ca;
  if (options.cert !== undefined) result.cert = options.cert;
  if (options.key !== undefined) result.key = options.key;
  if (options.minVersion !== undefined) result.minVersion = options.minVersion;
  return result;
}

export interface BackoffOptions {
  /** Ceiling of the first retry delay. Default 500 ms. */
  initialMs?: number;
  /** Largest ceiling. Default 30 s. */
  maxMs?: number;
  /** Growth of the ceiling per consecutive failure. Default 2. */
  factor?: number;
  /**
   * A session that stayed up this long resets the backoff; one that dropped sooner counts as a
   * failure, so a carrier that accepts binds and drops them at once is not hammered. Default maxMs.
   */
  resetAfterMs?: number;
}

export interface ConnectorOptions extends Omit<ConnectOptions, 'signal'> {
  backoff?: BackoffOptions;
  /** Source of jitter in [0, 1); injectable for tests. */
  random?: () => number;
}

export interface ConnectorEvents {
  /** A session is bound and ready. */
  up: [SmppSession];
  /** The bound session ended (including through stop()). */
  down: [CloseReason];
  /** A connect or bind attempt failed ('retry' follows). */
  attempt_failed: [error: unknown];
  /** The next attempt starts after delayMs; `failures` counts consecutive failures before it. */
  retry: [{ delayMs: number; failures: number }];
  /** A listener of the events above threw; the connector carried on. */
  handler_error: [unknown];
}

/**
 * Keeps one bind up: connect, bind, and after any loss or failed attempt try again after an
 * exponentially growing, fully jittered delay (a random point between 0 and the ceiling), so a
 * fleet of binds that lost a carrier together does not reconnect in lock-step.
 */
export class Connector extends EventEmitter<ConnectorEvents> {
  private readonly options: ConnectorOptions;
  private readonly timers: Timers;
  private readonly random: () => number;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly factor: number;
  private readonly resetAfterMs: number;

  private started = false;
  private stopped = false;
  private failures = 0;
  private current: SmppSession | undefined;
  private upAt = 0;
  private retryTimer: TimerHandle | undefined;
  private abort: AbortController | undefined;
  private stopPromise: Promise<void> | undefined;

  constructor(options: ConnectorOptions) {
    super();
    this.options = options;
    this.timers = options.session?.timers ?? realTimers;
    this.random = options.random ?? Math.random;
    this.initialMs = options.backoff?.initialMs ?? 500;
    this.maxMs = options.backoff?.maxMs ?? 30_000;
    this.factor = options.backoff?.factor ?? 2;
    this.resetAfterMs = options.backoff?.resetAfterMs ?? this.maxMs;
    if (!(this.initialMs > 0) || !(this.maxMs >= this.initialMs) || !(this.factor >= 1) || !(this.resetAfterMs >= 0)) {
      throw new SessionError('INVALID_ARGUMENT', 'backoff needs initialMs > 0, maxMs >= initialMs, factor >= 1');
    }
  }

  /** The bound session, when one is up. */
  get session(): SmppSession | undefined {
    return this.current;
  }

  /** Consecutive failed attempts (or short-lived sessions) since the last stable one. */
  get consecutiveFailures(): number {
    return this.failures;
  }

  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    void this.attempt();
  }

  /** Cancels any pending retry or attempt and unbinds the current session. Resolves once it is closed. */
  stop(): Promise<void> {
    if (this.stopPromise === undefined) {
      this.stopped = true;
      if (this.retryTimer !== undefined) this.timers.clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
      this.abort?.abort();
      const session = this.current;
      this.stopPromise = session === undefined ? Promise.resolve() : session.unbind();
    }
    return this.stopPromise;
  }

  /** The delay before the next attempt after `failures` consecutive failures. */
  delayFor(failures: number): number {
    const ceiling = Math.min(this.maxMs, this.initialMs * this.factor ** Math.min(failures, 64));
    return Math.floor(this.random() * ceiling);
  }

  private async attempt(): Promise<void> {
    const abort = new AbortController();
    this.abort = abort;
    let session: SmppSession;
    try {
      session = await connectAndBind({ ...this.options, signal: abort.signal });
    } catch (error) {
      if (!this.stopped) this.retryLater(error);
      return;
    } finally {
      if (this.abort === abort) this.abort = undefined;
    }
    if (this.stopped) {
      await session.unbind();
      return;
    }
    this.current = session;
    this.upAt = this.timers.now();
    if (session.isClosed) {
      this.onSessionClosed(session.closeReason!);
      return;
    }
    session.once('close', (reason) => this.onSessionClosed(reason));
    this.fire('up', session);
  }

  /** A throwing listener must not turn into an unhandled rejection of the reconnect loop. */
  private fire<K extends keyof ConnectorEvents>(event: K, ...args: ConnectorEvents[K]): void {
    try {
      (this.emit as (event: K, ...args: ConnectorEvents[K]) => boolean)(event, ...args);
    } catch (error) {
      if (event === 'handler_error') return;
      try {
        this.emit('handler_error', error);
      } catch {
        // Nowhere left to report a throwing error handler.
      }
    }
  }

  private onSessionClosed(reason: CloseReason): void {
    this.current = undefined;
    this.fire('down', reason);
    if (this.stopped) return;
    if (this.timers.now() - this.upAt >= this.resetAfterMs) this.failures = 0;
    this.retryLater(undefined);
  }

  private retryLater(error: unknown): void {
    const delay = this.delayFor(this.failures);
    this.failures++;
    if (error !== undefined) this.fire('attempt_failed', error);
    this.fire('retry', { delayMs: delay, failures: this.failures });
    if (this.stopped) return; // a listener may have called stop()
    this.retryTimer = this.timers.setTimeout(() => {
      this.retryTimer = undefined;
      if (!this.stopped) void this.attempt();
    }, delay);
  }
}
