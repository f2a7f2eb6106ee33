import { connect } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { AdminServerError, startAdminServer, type AdminReloadResult, type AdminServer } from '../../src/observability/admin.js';
import type { StatusReport } from '../../src/observability/status-report.js';
import type { CarrierSimulator } from '../../src/sim/carrier-sim.js';
import { account, cleanupAll, makeConfig, remoteCarrier, startCarrier, TestEsme, waitFor } from '../e2e/harness.js';
import { ADMIN_TOKEN, startObserved, type Observed } from './helpers.js';

/** A raw HTTP exchange, for requests fetch() refuses to send. Resolves with what came back before the server closed. */
function rawRequest(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (received += chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(received));
    socket.on('connect', () => socket.end(text));
  });
}

describe('against a running proxy', () => {
  let alpha: CarrierSimulator;
  let observed: Observed;

  beforeAll(async () => {
    alpha = await startCarrier('alpha');
    const config = makeConfig({
      accounts: { acme: account() },
      carriers: { alpha: remoteCarrier(alpha, 'alpha') },
      routes: [{ name: 'uk', prefix: ['447'], carriers: [{ carrier: 'alpha', cost: 0.01 }] }],
    });
    observed = await startObserved(config);
  });
  afterAll(cleanupAll);

  it('answers /healthz without a token', async () => {
    const response = await observed.http('/healthz', { token: null });
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({ status: 'alive' });
  });

  it('flips /readyz to 503 when the only carrier of a route goes down, and back when it returns', async () => {
    const ready = await observed.http('/readyz');
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.body)).toEqual({ ready: true, reasons: [] });

    await alpha.stop();
    let down = ready;
    await waitFor(async () => (down = await observed.http('/readyz')).status === 503, '/readyz to answer 503');
    expect(JSON.parse(down.body)).toEqual({ ready: false, reasons: ['route uk has no bound carrier'] });

    await alpha.start();
    await waitFor(async () => (await observed.http('/readyz')).status === 200, '/readyz to answer 200 again');
  });

  it('reports binds, windows, queues, routes, the store and NATS on /status', async () => {
    const esme = await TestEsme.bind(observed.running.port, 'acme');
    const response = await observed.http('/status');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const report = JSON.parse(response.body) as StatusReport;
    expect(report).toMatchObject({
      ready: true,
      reasons: [],
      accepting: true,
      accounts: [{ name: 'acme', binds: 1, windowUsed: 0, window: 10, submitting: 0, queued: 0 }],
      carriers: [{ name: 'alpha', kind: 'remote', boundSenders: 1, boundReceivers: 0, configuredSessions: 1, inFlight: 0, window: 10, circuitOpen: false }],
      routes: [{ name: 'uk', ready: true }],
      nats: { enabled: false },
      process: { pid: process.pid },
    });
    expect(report.accounts[0]!.sessions).toEqual([
      { id: expect.any(String), bindType: 'transceiver', remote: expect.stringMatching(/127\.0\.0\.1$/), tls: false, windowUsed: 0, window: 10, submitting: 0 },
    ]);
    expect(report.store).toEqual({ sizeBytes: expect.any(Number), outboxDepth: 0, outboxBytes: 0, outboxFull: false });
    await esme.close();
  });

  it('refuses every endpoint but /healthz without the right token, without revealing which paths exist', async () => {
    for (const [path, method] of [['/status', 'GET'], ['/metrics', 'GET'], ['/readyz', 'GET'], ['/reload', 'POST'], ['/no-such-path', 'GET']] as const) {
      const missing = await observed.http(path, { method, token: null });
      expect(missing.status, `${method} ${path} without a token`).toBe(401);
      expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer/);
      const wrong = await observed.http(path, { method, token: `${ADMIN_TOKEN}x` });
      expect(wrong.status, `${method} ${path} with a wrong token`).toBe(401);
    }
    const shorter = await observed.http('/status', { token: ADMIN_TOKEN.slice(0, -1) });
    expect(shorter.status).toBe(401);
    const basic = await fetch(`${observed.admin.url}/status`, { headers: { authorization: `Basic ${Buffer.from(`x:${ADMIN_TOKEN}`).toString('base64')}` } });
    expect(basic.status).toBe(401);
    // The scheme is case-insensitive (RFC 9110).
    const lower = await fetch(`${observed.admin.url}/status`, { headers: { authorization: `bearer ${ADMIN_TOKEN}` } });
    expect(lower.status).toBe(200);
  });

  it('answers 404 for unknown paths and 405 with Allow for wrong methods', async () => {
    const unknown = await observed.http('/statusx');
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.body)).toMatchObject({ error: expect.stringContaining('/statusx') });
    const query = await observed.http('/healthz?verbose=1');
    expect(query.status).toBe(200);

    const postStatus = await observed.http('/status', { method: 'POST' });
    expect(postStatus.status).toBe(405);
    expect(postStatus.headers.get('allow')).toBe('GET, HEAD');
    const getReload = await observed.http('/reload');
    expect(getReload.status).toBe(405);
    expect(getReload.headers.get('allow')).toBe('POST');
    const deleteMetrics = await observed.http('/metrics', { method: 'DELETE' });
    expect(deleteMetrics.status).toBe(405);

    const head = await observed.http('/healthz', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
  });

  it('refuses oversized bodies and malformed requests, and keeps serving', async () => {
    const big = await observed.http('/reload', { method: 'POST', body: 'x'.repeat(200 * 1024) });
    expect(big.status).toBe(413);

    const relative = await rawRequest(observed.admin.address.port, 'GET status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(relative).toMatch(/^HTTP\/1\.1 400/);
    const garbage = await rawRequest(observed.admin.address.port, '\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03garbage\r\n\r\n');
    expect(garbage).toMatch(/^HTTP\/1\.1 400/);
    const chunkedFlood = await rawRequest(
      observed.admin.address.port,
      `POST /reload HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${ADMIN_TOKEN}\r\nTransfer-Encoding: chunked\r\n\r\n${`10000\r\n${'y'.repeat(0x10000)}\r\n`.repeat(3)}0\r\n\r\n`,
    );
    expect(chunkedFlood).toMatch(/^HTTP\/1\.1 413/);

    expect((await observed.http('/healthz')).status).toBe(200);
  });

  it('serves /metrics in the Prometheus text format', async () => {
    const response = await observed.http('/metrics');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(response.body).toContain('# TYPE smpp_pdus_total counter');
  });
});

describe('reload, readiness without a proxy, and lifecycle', () => {
  const servers: AdminServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  async function start(reload: () => Promise<AdminReloadResult>, token: string | undefined = undefined): Promise<AdminServer> {
    const server = await startAdminServer({
      listen: { host: '127.0.0.1', port: 0 },
      token,
      registry: new Registry(),
      status: () => undefined,
      store: () => undefined,
      publisher: () => undefined,
      reload,
    });
    servers.push(server);
    return server;
  }

  it('answers POST /reload with 200 when applied and 422 with the problems when refused', async () => {
    let next: AdminReloadResult = { ok: true };
    const server = await start(async () => next);
    const applied = await fetch(`${server.url}/reload`, { method: 'POST' });
    expect(applied.status).toBe(200);
    expect(await applied.json()).toEqual({ ok: true });

    next = { ok: false, problems: ['proxy.yaml:3:5 routes: expected a list'] };
    const refused = await fetch(`${server.url}/reload`, { method: 'POST' });
    expect(refused.status).toBe(422);
    expect(await refused.json()).toEqual({ ok: false, problems: ['proxy.yaml:3:5 routes: expected a list'] });
  });

  it('passes extra fields of the reload result through', async () => {
    const server = await start(async () => ({ ok: true, summary: { accounts: { added: ['new'] } } }) as AdminReloadResult);
    const response = await fetch(`${server.url}/reload`, { method: 'POST' });
    expect(await response.json()).toEqual({ ok: true, summary: { accounts: { added: ['new'] } } });
  });

  it('turns a throwing reload into a 500 and keeps serving', async () => {
    const server = await start(async () => {
      throw new Error('disk on fire');
    });
    const response = await fetch(`${server.url}/reload`, { method: 'POST' });
    expect(response.status).toBe(500);
    expect(await response.json()).toMatchObject({ error: 'internal error', detail: 'disk on fire' });
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  it('refuses a second reload while one is running', async () => {
    let finish!: (result: AdminReloadResult) => void;
    let calls = 0;
    const server = await start(() => {
      calls++;
      // Only the first reload is held open; later ones finish at once.
      return calls === 1 ? new Promise((resolve) => (finish = resolve)) : Promise.resolve({ ok: true });
    });
    const first = fetch(`${server.url}/reload`, { method: 'POST' });
    await waitFor(() => calls === 1, 'the first reload to start');
    const second = await fetch(`${server.url}/reload`, { method: 'POST' });
    expect(second.status).toBe(409);
    finish({ ok: true });
    expect((await first).status).toBe(200);
    expect(calls).toBe(1);
    expect((await fetch(`${server.url}/reload`, { method: 'POST' })).status).toBe(200);
    expect(calls).toBe(2);
  });

  it('is not ready, and says why, while the proxy does not run and the store is closed', async () => {
    const server = await start(async () => ({ ok: true }));
    const response = await fetch(`${server.url}/readyz`);
    expect(response.status).toBe(503);
    const body = (await response.json()) as { reasons: string[] };
    expect(body.reasons).toEqual([expect.stringMatching(/^proxy not running/), 'store not open']);
    const status = (await (await fetch(`${server.url}/status`)).json()) as StatusReport;
    expect(status).toMatchObject({ ready: false, accepting: null, accounts: [], carriers: [], store: null, nats: { enabled: false } });
  });

  it('reports a throwing status callback as a reason instead of failing', async () => {
    const server = await startAdminServer({
      listen: { host: '127.0.0.1', port: 0 },
      token: undefined,
      registry: new Registry(),
      status: () => {
        throw new Error('snapshot failed');
      },
      store: () => ({ sizeBytes: 1, outboxDepth: 0, outboxBytes: 0, outboxFull: false }),
      publisher: () => undefined,
      reload: async () => ({ ok: true }),
    });
    servers.push(server);
    const response = await fetch(`${server.url}/readyz`);
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ ready: false, reasons: ['proxy status unavailable: snapshot failed'] });
    expect((await fetch(`${server.url}/status`)).status).toBe(200);
  });

  it('fails to start with a typed error when the port is taken', async () => {
    const first = await start(async () => ({ ok: true }));
    const attempt = startAdminServer({
      listen: { host: '127.0.0.1', port: first.address.port },
      token: undefined,
      registry: new Registry(),
      status: () => undefined,
      store: () => undefined,
      publisher: () => undefined,
      reload: async () => ({ ok: true }),
    });
    await expect(attempt).rejects.toBeInstanceOf(AdminServerError);
    await expect(attempt).rejects.toMatchObject({ code: 'LISTEN_FAILED' });
  });

  it('closes promptly even with a keep-alive connection open, and only once', async () => {
    const server = await start(async () => ({ ok: true }));
    const socket = connect({ host: '127.0.0.1', port: server.address.port });
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    await new Promise<void>((resolve) => socket.once('data', () => resolve()));
    const closedSocket = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    await Promise.all([server.close(), server.close()]);
    await closedSocket;
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
  });
});
