import { EventEmitter } from 'node:events';
import { readFile } from 'node:fs/promises';
import { createServer as createNetServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket, type TlsOptions } from 'node:tls';
import { SessionError } from './errors.js';
import type { SessionOptions } from './options.js';
import { SmppSession } from './session.js';
import { isBound } from './states.js';

export interface SmppServerTlsOptions extends TlsOptions {
  /** PEM files, read when listen() is called; alternatives to passing cert/key/ca contents. */
  certFile?: string;
  keyFile?: string;
  caFile?: string;
}

/**
 * Admission of raw TCP connections, consulted at accept before anything else (for a TLS listener,
 * before the handshake). A refused connection is closed at once and reported as 'rejected'.
 */
export interface ConnectionGate {
  /** false refuses the connection. */
  admit(remoteAddress: string | undefined): boolean;
  /** Called exactly once for every admitted connection, when it has closed. */
  release(remoteAddress: string | undefined): void;
}

export interface SmppServerOptions {
  /** Interface to bind; Node's default (all interfaces) when omitted. */
  host?: string;
  /** 0 picks a free port (tests); listen() reports the one chosen. */
  port: number;
  /** Serve SMPP over TLS with these options; plain TCP when absent. */
  tls?: SmppServerTlsOptions;
  /** Connections beyond this are dropped on accept. Default: unlimited. */
  maxConnections?: number;
  /** Per-client admission (e.g. a per-IP cap), shared between listeners when they share the instance. */
  connectionGate?: ConnectionGate;
  /** A TLS handshake that takes longer is abandoned. Default 10 s. */
  tlsHandshakeTimeoutMs?: number;
}

export interface ListenAddress {
  address: string;
  port: number;
}

export interface RejectedConnection {
  remoteAddress: string | undefined;
  remotePort: number | undefined;
  reason: 'max_connections' | 'connection_gate';
}

export interface SmppServerEvents {
  session: [SmppSession];
  /** A connection refused before a session existed. */
  rejected: [RejectedConnection];
  /** A TLS handshake failed (bad client, plain TCP on the TLS port, timeout). */
  tls_error: [Error, { remoteAddress: string | undefined }];
  /** The listening socket itself failed after listen() succeeded. */
  server_error: [Error];
  /** The onSession callback threw; that session was closed. */
  handler_error: [unknown];
}

export type SessionHandler = (session: SmppSession) => void;

const DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS = 10_000;

/**
 * The SMPP listener, plain or TLS. Every accepted connection becomes an smsc-role session handed
 * to onSession. Every socket gets an error listener before anything else can happen to it, so no
 * client behaviour can take the process down.
 */
export class SmppServer extends EventEmitter<SmppServerEvents> {
  private server: Server | undefined;
  private readonly liveSessions = new Set<SmppSession>();
  /** Raw sockets accepted by the TLS listener (handshaking, or under a TLS session). */
  private readonly handshaking = new Set<Socket>();
  private closing: Promise<void> | undefined;

  constructor(
    private readonly options: SmppServerOptions,
    private readonly sessionOptions: Omit<SessionOptions, 'role'>,
    private readonly onSession: SessionHandler,
  ) {
    super();
  }

  get sessions(): ReadonlySet<SmppSession> {
    return this.liveSessions;
  }

  async listen(): Promise<ListenAddress> {
    if (this.server !== undefined || this.closing !== undefined) {
      throw new SessionError('INVALID_ARGUMENT', 'listen() may be called once');
    }
    const server = this.options.tls === undefined ? this.createPlainServer() : await this.createTlsServer(this.options.tls);
    this.server = server;
    if (this.options.maxConnections !== undefined) server.maxConnections = this.options.maxConnections;
    server.on('drop', (data) =>
      this.emit('rejected', { remoteAddress: data?.remoteAddress, remotePort: data?.remotePort, reason: 'max_connections' }),
    );
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error): void => reject(error);
      server.once('error', onError);
      server.listen({ host: this.options.host, port: this.options.port }, () => {
        server.off('error', onError);
        resolve();
      });
    });
    server.on('error', (error) => this.emit('server_error', error));
    const address = server.address() as AddressInfo;
    return { address: address.address, port: address.port };
  }

  /**
   * Stops accepting, unbinds bound sessions gracefully (each bounded by its unbindTimeoutMs),
   * closes the rest, and resolves once the listener has released every connection.
   */
  close(): Promise<void> {
    if (this.closing === undefined) this.closing = this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    const server = this.server;
    const released = new Promise<void>((resolve) => {
      if (server === undefined || !server.listening) resolve();
      else server.close(() => resolve());
    });
    await Promise.all(
      [...this.liveSessions].map(async (session) => {
        if (isBound(session.state)) await session.unbind();
        else session.close('server shutting down');
        await session.whenClosed();
      }),
    );
    // Only now: the raw socket under a TLS session cannot be told apart from one still in its
    // handshake, and every session has finished its unbind exchange by this point.
    for (const socket of this.handshaking) socket.destroy();
    await released;
  }

  private createPlainServer(): Server {
    return createNetServer((socket) => {
      if (this.admitConnection(socket)) this.accept(socket);
    });
  }

  /** Applies the connection gate; a refused socket is destroyed before it is read from. */
  private admitConnection(socket: Socket): boolean {
    const gate = this.options.connectionGate;
    if (gate === undefined) return true;
    const remoteAddress = socket.remoteAddress;
    if (!gate.admit(remoteAddress)) {
      socket.on('error', () => undefined);
      socket.destroy();
      this.emit('rejected', { remoteAddress, remotePort: socket.remotePort, reason: 'connection_gate' });
      return false;
    }
    socket.once('close', () => gate.release(remoteAddress));
    return true;
  }

  private async createTlsServer(options: SmppServerTlsOptions): Promise<Server> {
    const { certFile, keyFile, caFile, ...tlsOptions } = options;
    const [cert, key, ca] = await Promise.all([certFile, keyFile, caFile].map((file) => (file === undefined ? undefined : readFile(file))));
    if (cert !== undefined) tlsOptions.cert = cert;
    if (key !== undefined) tlsOptions.key = key;
    if (ca !== undefined) tlsOptions.ca = ca;
    const server = createTlsServer({
      ...tlsOptions,
      handshakeTimeout: this.options.tlsHandshakeTimeoutMs ?? DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS,
    });
    // Ahead of the TLS layer's own listener, so a refused client costs no handshake.
    server.prependListener('connection', (socket: Socket) => {
      socket.on('error', () => undefined); // handshake failures arrive as tlsClientError below
      if (!this.admitConnection(socket)) return;
      this.handshaking.add(socket);
      socket.once('close', () => this.handshaking.delete(socket));
    });
    server.on('secureConnection', (socket: TLSSocket) => this.accept(socket));
    server.on('tlsClientError', (error, socket) => {
      this.emit('tls_error', error, { remoteAddress: socket.remoteAddress });
      socket.destroy();
    });
    return server;
  }

  private accept(socket: Socket): void {
    if (this.closing !== undefined) {
      socket.on('error', () => undefined);
      socket.destroy();
      return;
    }
    let session: SmppSession;
    try {
      session = new SmppSession(socket, { ...this.sessionOptions, role: 'smsc' });
    } catch (error) {
      // Only a configuration error can land here; refuse the connection rather than crash.
      socket.on('error', () => undefined);
      socket.destroy();
      this.emit('handler_error', error);
      return;
    }
    this.liveSessions.add(session);
    session.once('close', () => this.liveSessions.delete(session));
    try {
      this.onSession(session);
      this.emit('session', session);
    } catch (error) {
      session.close('session handler failed');
      this.emit('handler_error', error);
    }
  }
}

/** Creates (does not start) an SMPP listener; call listen(). */
export function createSmppServer(
  options: SmppServerOptions,
  sessionOptions: Omit<SessionOptions, 'role'>,
  onSession: SessionHandler,
): SmppServer {
  return new SmppServer(options, sessionOptions, onSession);
}
