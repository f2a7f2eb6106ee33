import { readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { Status } from '../../src/smpp/index.js';
import {
  Connector,
  SessionError,
  connectAndBind,
  createSmppServer,
  type CloseReason,
  type RejectedConnection,
  type SmppSession,
} from '../../src/session/index.js';
import { ACCOUNT, RawPeer, acceptAcme, cleanupAll, respondWithId, startServer, submitSm, track } from './helpers.js';

afterEach(cleanupAll);

const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const CERT = fixture('localhost.crt');
const KEY = fixture('localhost.key');

function startConnector(port: number, overrides: Partial<ConstructorParameters<typeof Connector>[0]> = {}): Connector {
  const connector = new Connector({
    host: '127.0.0.1',
    port,
    bindType: 'transceiver',
    bind: { ...ACCOUNT },
    session: { enquireLinkIntervalMs: 0, responseTimeoutMs: 1_000 },
    backoff: { initialMs: 20, maxMs: 400, factor: 2, resetAfterMs: 60_000 },
    random: () => 0.5,
    ...overrides,
  });
  track(() => connector.stop());
  return connector;
}

function nextEvent<T>(emitter: { once(event: string, fn: (value: T) => void): unknown }, event: string): Promise<T> {
  return new Promise((resolve) => emitter.once(event, resolve));
}

async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('Connector', () => {
  it('rebinds after the server drops the bind, backing off while the drops keep coming', async () => {
    let accepted = 0;
    const { port } = await startServer({}, (session) => {
      session.on('bound', () => {
        accepted++;
        // Drop the first two binds right away; keep the third.
        if (accepted <= 2) setImmediate(() => session.close('dropped by test'));
      });
    });
    const connector = startConnector(port);
    const ups: SmppSession[] = [];
    const downs: CloseReason[] = [];
    const retries: number[] = [];
    connector.on('up', (session) => ups.push(session));
    connector.on('down', (reason) => downs.push(reason));
    connector.on('retry', ({ delayMs }) => retries.push(delayMs));
    connector.start();

    await expect.poll(() => ups.length, { timeout: 5_000 }).toBe(3);
    expect(downs).toHaveLength(2);
    // Full jitter at 0.5 of a ceiling that doubles: 20 * 0.5, then 40 * 0.5.
    expect(retries).toEqual([10, 20]);
    expect(connector.session).toBe(ups[2]);
    expect(connector.session?.state).toBe('BOUND_TRX');
    expect(connector.consecutiveFailures).toBe(2);
  });

  it('backs off after refused binds and comes up once the server accepts', async () => {
    let attempts = 0;
    const { port } = await startServer({
      authenticate: async (bind) => {
        attempts++;
        return attempts <= 2 ? { status: Status.ESME_RBINDFAIL } : acceptAcme(bind);
      },
    });
    const connector = startConnector(port);
    const failures: unknown[] = [];
    const retries: number[] = [];
    connector.on('attempt_failed', (error) => failures.push(error));
    connector.on('retry', ({ delayMs }) => retries.push(delayMs));
    const up = nextEvent<SmppSession>(connector, 'up');
    connector.start();
    const session = await up;
    expect(session.state).toBe('BOUND_TRX');
    expect(failures).toHaveLength(2);
    expect(failures.every((e) => e instanceof SessionError && e.code === 'BIND_FAILED' && e.status === Status.ESME_RBINDFAIL)).toBe(true);
    expect(retries).toEqual([10, 20]);
  });

  it('resets the backoff after a session that stayed up long enough', async () => {
    let accepted = 0;
    const { port } = await startServer({}, (session) =>
      session.on('bound', () => {
        if (++accepted <= 2) setImmediate(() => session.close('dropped'));
      }),
    );
    const connector = startConnector(port, { backoff: { initialMs: 20, maxMs: 400, resetAfterMs: 0 } });
    const retries: number[] = [];
    connector.on('retry', ({ delayMs }) => retries.push(delayMs));
    const ups: SmppSession[] = [];
    connector.on('up', (s) => ups.push(s));
    connector.start();
    await expect.poll(() => ups.length, { timeout: 5_000 }).toBe(3);
    expect(retries).toEqual([10, 10]);
  });

  it('keeps retrying an unreachable peer with growing, capped delays until stopped', async () => {
    const port = await unusedPort();
    const connector = startConnector(port, { backoff: { initialMs: 5, maxMs: 20, factor: 2 }, random: () => 0.999 });
    const failures: unknown[] = [];
    const retries: number[] = [];
    connector.on('attempt_failed', (error) => failures.push(error));
    connector.on('retry', ({ delayMs }) => retries.push(delayMs));
    connector.start();
    await expect.poll(() => failures.length, { timeout: 5_000 }).toBeGreaterThanOrEqual(4);
    await connector.stop();
    const settled = failures.length;
    expect(failures[0]).toMatchObject({ code: 'CONNECT_FAILED' });
    expect(retries.slice(0, 4)).toEqual([4, 9, 19, 19]);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(failures.length).toBe(settled);
  });

  it('stop() unbinds the live session and does not reconnect', async () => {
    const { port, nextSession } = await startServer();
    const connector = startConnector(port);
    const up = nextEvent<SmppSession>(connector, 'up');
    connector.start();
    const session = await up;
    const server = await nextSession();
    const down = nextEvent<CloseReason>(connector, 'down');
    await connector.stop();
    expect((await down).code).toBe('UNBOUND');
    expect((await server.whenClosed()).code).toBe('PEER_UNBOUND');
    expect(session.isClosed).toBe(true);
    expect(connector.session).toBeUndefined();
  });
});

describe('connectAndBind', () => {
  it('rejects with BIND_FAILED and the status when the bind is refused, and closes the socket', async () => {
    const { port, nextSession } = await startServer();
    const attempt = connectAndBind({
      host: '127.0.0.1',
      port,
      bindType: 'transmitter',
      bind: { system_id: ACCOUNT.system_id, password: 'nope' },
    });
    await expect(attempt).rejects.toMatchObject({ code: 'BIND_FAILED', status: Status.ESME_RBINDFAIL });
    const server = await nextSession();
    expect((await server.whenClosed()).code).toBe('PEER_CLOSED');
  });

  it('rejects with ABORTED when its signal fires during the bind', async () => {
    const { port } = await startServer({ authenticate: () => new Promise(() => undefined) });
    const controller = new AbortController();
    const attempt = connectAndBind({ host: '127.0.0.1', port, bindType: 'transceiver', bind: { ...ACCOUNT }, signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    await expect(attempt).rejects.toMatchObject({ code: 'ABORTED' });
  });
});

describe('TLS', () => {
  async function startTlsServer(extra: { tlsHandshakeTimeoutMs?: number } = {}) {
    const tlsErrors: Error[] = [];
    const server = createSmppServer(
      { host: '127.0.0.1', port: 0, tls: { certFile: CERT, keyFile: KEY }, ...extra },
      { authenticate: acceptAcme, systemId: 'TLSSMSC', enquireLinkIntervalMs: 0 },
      (session) => session.on('request', (req) => respondWithId(req, 'tls-ok')),
    );
    server.on('tls_error', (error) => tlsErrors.push(error));
    const { port } = await server.listen();
    track(() => server.close());
    return { server, port, tlsErrors };
  }

  /** A client that checks the server's certificate against the test CA. */
  async function bindVerifiedTlsClient(port: number): Promise<SmppSession> {
    const client = await connectAndBind({
      host: '127.0.0.1',
      port,
      tls: { ca: readFileSync(CERT), servername: 'localhost' },
      bindType: 'transceiver',
      bind: { ...ACCOUNT },
      session: { enquireLinkIntervalMs: 0 },
    });
    track(() => client.close());
    return client;
  }

  it('binds over TLS with the certificate verified against the given CA', async () => {
    const { server, port } = await startTlsServer();
    const client = await bindVerifiedTlsClient(port);
    expect(client.isTls).toBe(true);
    expect([...server.sessions][0]?.isTls).toBe(true);
    expect((await client.request(submitSm()))?.body.message_id).toBe('tls-ok');
  });

  it('close() unbinds TLS sessions before letting go of their sockets', async () => {
    const { server, port } = await startTlsServer();
    const client = await bindVerifiedTlsClient(port);
    await server.close();
    expect((await client.whenClosed()).code).toBe('PEER_UNBOUND');
  });

  it('refuses a certificate it cannot verify (verification is on by default)', async () => {
    const { port } = await startTlsServer();
    const attempt = connectAndBind({ host: '127.0.0.1', port, tls: true, bindType: 'transceiver', bind: { ...ACCOUNT } });
    await expect(attempt).rejects.toMatchObject({ code: 'CONNECT_FAILED' });
  });

  it('reports a plain-TCP client on the TLS port without affecting the server', async () => {
    const { port, tlsErrors, server } = await startTlsServer();
    const attempt = connectAndBind({
      host: '127.0.0.1',
      port,
      bindType: 'transceiver',
      bind: { ...ACCOUNT },
      session: { responseTimeoutMs: 2_000 },
    });
    await expect(attempt).rejects.toBeInstanceOf(SessionError);
    await expect.poll(() => tlsErrors.length).toBe(1);
    expect(server.sessions.size).toBe(0);
  });

  it('times out a TLS connect whose handshake never completes', async () => {
    const sockets: Socket[] = [];
    const mute: Server = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => mute.listen(0, '127.0.0.1', resolve));
    track(() => {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => mute.close(() => resolve()));
    });
    const attempt = connectAndBind({
      host: '127.0.0.1',
      port: (mute.address() as { port: number }).port,
      tls: true,
      connectTimeoutMs: 50,
      bindType: 'transceiver',
      bind: { ...ACCOUNT },
    });
    await expect(attempt).rejects.toMatchObject({ code: 'CONNECT_TIMEOUT' });
  });
});

describe('SmppServer', () => {
  it('drops connections beyond maxConnections and reports them', async () => {
    const server = createSmppServer(
      { host: '127.0.0.1', port: 0, maxConnections: 1 },
      { authenticate: acceptAcme, enquireLinkIntervalMs: 0 },
      () => undefined,
    );
    const rejected: RejectedConnection[] = [];
    server.on('rejected', (info) => rejected.push(info));
    const { port } = await server.listen();
    track(() => server.close());
    const first = await RawPeer.connect(port);
    await expect.poll(() => server.sessions.size).toBe(1);
    const second = await RawPeer.connect(port);
    await second.closed;
    expect(rejected.map((r) => r.reason)).toEqual(['max_connections']);
    expect(first.isClosed).toBe(false);
  });

  it('closes a session whose handler throws and keeps serving others', async () => {
    let calls = 0;
    const server = createSmppServer({ host: '127.0.0.1', port: 0 }, { authenticate: acceptAcme }, () => {
      if (++calls === 1) throw new Error('handler bug');
    });
    const errors: unknown[] = [];
    server.on('handler_error', (error) => errors.push(error));
    const { port } = await server.listen();
    track(() => server.close());
    const first = await RawPeer.connect(port);
    await first.closed;
    expect(errors).toHaveLength(1);
    const second = await RawPeer.connect(port);
    await expect.poll(() => server.sessions.size).toBe(1);
    expect(second.isClosed).toBe(false);
  });

  it('rejects listen() on a port already in use with the socket error', async () => {
    const { port } = await startServer();
    const clash = createSmppServer({ host: '127.0.0.1', port }, { authenticate: acceptAcme }, () => undefined);
    await expect(clash.listen()).rejects.toMatchObject({ code: 'EADDRINUSE' });
    await clash.close();
  });
});
