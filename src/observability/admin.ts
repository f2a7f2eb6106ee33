import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from './logger.js';
import { assessReadiness } from './readiness.js';
import { buildStatusReport } from './status-report.js';
import type { RuntimeView } from './view.js';

/** What a reload callback answers: applied, or refused with every problem found. */
export type AdminReloadResult = { ok: true } | { ok: false; problems: readonly string[] };

export interface AdminServerOptions extends RuntimeView {
  listen: { host: string; port: number };
  /** When set, every endpoint but /healthz needs `Authorization: Bearer <token>`. */
  token: string | undefined;
  registry: Registry;
  /** Re-reads the configuration file and applies it; the result is sent back as JSON. */
  reload(): Promise<AdminReloadResult>;
  logger?: Logger;
  /** Largest request body read (POST /reload takes none). Default 64 KiB. */
  maxBodyBytes?: number;
  /** How long close() lets requests in progress finish. Default 2 s. */
  closeTimeoutMs?: number;
}

export interface AdminServer {
  readonly address: { host: string; port: number };
  /** http://host:port, with IPv6 hosts in brackets. */
  readonly url: string;
  /** Stops listening, lets requests in progress finish (bounded), then closes every connection. */
  close(): Promise<void>;
}

export const AdminErrorCodes = { LISTEN_FAILED: 'LISTEN_FAILED' } as const;
export type AdminErrorCode = (typeof AdminErrorCodes)[keyof typeof AdminErrorCodes];

export class AdminServerError extends Error {
  readonly code: AdminErrorCode;
  constructor(code: AdminErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'AdminServerError';
    this.code = code;
  }
}

/** The admin API. Probes and scrapes read these paths; test/deploy.test.ts checks deploy files against them. */
export const ADMIN_PATHS = {
  metrics: '/metrics',
  healthz: '/healthz',
  readyz: '/readyz',
  status: '/status',
  reload: '/reload',
} as const;

type Method = 'GET' | 'POST';
type Handler = (res: ServerResponse) => Promise<void> | void;

interface Route {
  methods: readonly Method[];
  /** /healthz answers without the token: an orchestrator's liveness check carries none. */
  public: boolean;
  handle: Handler;
}

const DEFAULT_MAX_BODY = 64 * 1024;
const DEFAULT_CLOSE_TIMEOUT_MS = 2_000;

/**
 * Starts the admin HTTP listener: /metrics, /healthz, /readyz, /status and POST /reload. Every
 * response is JSON except /metrics. Nothing a client sends can crash it: bad paths get 404, bad
 * methods 405, bodies over the limit 413, and a callback that throws becomes a 500 for that
 * request alone.
 */
export async function startAdminServer(options: AdminServerOptions): Promise<AdminServer> {
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY;
  const tokenDigest = options.token === undefined ? undefined : digest(options.token);
  const log = options.logger;
  let reloading = false;

  const routes = new Map<string, Route>([
    [
      ADMIN_PATHS.healthz,
      { methods: ['GET'], public: true, handle: (res) => sendJson(res, 200, { status: 'alive', uptimeSeconds: Math.round(process.uptime()) }) },
    ],
    [
      ADMIN_PATHS.readyz,
      {
        methods: ['GET'],
        public: false,
        handle: (res) => {
          const readiness = assessReadiness(options);
          sendJson(res, readiness.ready ? 200 : 503, { ready: readiness.ready, reasons: readiness.reasons });
        },
      },
    ],
    [ADMIN_PATHS.status, { methods: ['GET'], public: false, handle: (res) => sendJson(res, 200, buildStatusReport(options)) }],
    [
      ADMIN_PATHS.metrics,
      {
        methods: ['GET'],
        public: false,
        handle: async (res) => {
          const text = await options.registry.metrics();
          send(res, 200, options.registry.contentType, text);
        },
      },
    ],
    [
      ADMIN_PATHS.reload,
      {
        methods: ['POST'],
        public: false,
        handle: async (res) => {
          // Two reloads at once would race to apply different readings of the file.
          if (reloading) {
            sendJson(res, 409, { ok: false, problems: ['a reload is already in progress'] });
            return;
          }
          reloading = true;
          try {
            const result = await options.reload();
            sendJson(res, result.ok ? 200 : 422, result);
          } finally {
            reloading = false;
          }
        },
      },
    ],
  ]);

  const authorized = (req: IncomingMessage): boolean => {
    if (tokenDigest === undefined) return true;
    const header = req.headers.authorization;
    if (typeof header !== 'string') return false;
    const match = /^Bearer[ \t]+(.+?)[ \t]*$/i.exec(header);
    // Digests of equal length make the comparison constant-time whatever length was sent.
    return match !== null && timingSafeEqual(digest(match[1]!), tokenDigest);
  };

  const handleRequest = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const bodyOk = await drainBody(req, maxBody);
    if (!bodyOk) {
      res.setHeader('Connection', 'close');
      sendJson(res, 413, { error: `request body over ${maxBody} bytes` });
      return;
    }
    const path = pathOf(req.url);
    if (path === undefined) {
      sendJson(res, 400, { error: 'malformed request target' });
      return;
    }
    const route = routes.get(path);
    // Without the token nothing but /healthz is revealed, not even which paths exist.
    if (route?.public !== true && !authorized(req)) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="smpp-proxy admin"');
      sendJson(res, 401, { error: 'missing or wrong bearer token' });
      return;
    }
    if (route === undefined) {
      sendJson(res, 404, { error: `no such endpoint: ${path}`, endpoints: Object.values(ADMIN_PATHS) });
      return;
    }
    const method = req.method === 'HEAD' ? 'GET' : req.method;
    if (!route.methods.includes(method as Method)) {
      const allowed = route.methods.includes('GET') ? [...route.methods, 'HEAD'] : route.methods;
      res.setHeader('Allow', allowed.join(', '));
      sendJson(res, 405, { error: `${req.method ?? '?'} not allowed on ${path}`, allowed });
      return;
    }
    await route.handle(res);
  };

  const server = createServer({ maxHeaderSize: 16 * 1024 }, (req, res) => {
    handleRequest(req, res).catch((error: unknown) => {
      log?.error({ path: pathOf(req.url), error: error instanceof Error ? error.message : String(error) }, 'admin request failed');
      if (!res.headersSent) sendJson(res, 500, { error: 'internal error', detail: error instanceof Error ? error.message : String(error) });
      else res.destroy();
    });
  });
  // Slow or idle clients must not hold connections (and file descriptors) for long.
  server.requestTimeout = 15_000;
  server.headersTimeout = 10_000;
  server.keepAliveTimeout = 5_000;
  server.maxConnections = 256;
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  const address = await listen(server, options.listen);
  const host = address.address;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
  log?.info({ url, auth: tokenDigest !== undefined }, 'admin listener started');

  let closing: Promise<void> | undefined;
  return {
    address: { host, port: address.port },
    url,
    close() {
      closing ??= closeServer(server, sockets, options.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS);
      return closing;
    },
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** The path of a request target; the query string is ignored. undefined when it cannot be parsed. */
function pathOf(target: string | undefined): string | undefined {
  if (target === undefined || !target.startsWith('/')) return undefined;
  try {
    return new URL(target, 'http://admin.invalid').pathname;
  } catch {
    return undefined;
  }
}

/** Reads and discards the request body; false once it exceeds `limit` (the rest is not read). */
function drainBody(req: IncomingMessage, limit: number): Promise<boolean> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (Number.isFinite(declared) && declared > limit) return Promise.resolve(false);
  return new Promise((resolve) => {
    let seen = 0;
    const finish = (ok: boolean): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      if (!ok) req.pause();
      resolve(ok);
    };
    const onData = (chunk: Buffer): void => {
      seen += chunk.length;
      if (seen > limit) finish(false);
    };
    const onEnd = (): void => finish(true);
    const onError = (): void => finish(false);
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    if (req.complete) finish(true);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  send(res, status, 'application/json; charset=utf-8', `${JSON.stringify(body)}\n`);
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', contentType);
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}

function listen(server: Server, at: { host: string; port: number }): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      reject(new AdminServerError(AdminErrorCodes.LISTEN_FAILED, `admin listener cannot listen on ${at.host}:${at.port}: ${error.code ?? error.message}`, { cause: error }));
    };
    server.once('error', onError);
    server.listen(at.port, at.host, () => {
      server.off('error', onError);
      // Errors after listening (e.g. EMFILE on accept) are the server's to survive, not to crash on.
      server.on('error', () => undefined);
      resolve(server.address() as AddressInfo);
    });
  });
}

async function closeServer(server: Server, sockets: Set<Socket>, timeoutMs: number): Promise<void> {
  if (!server.listening) return;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([closed, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
  clearTimeout(timer);
  if (sockets.size > 0) {
    server.closeAllConnections();
    for (const socket of sockets) socket.destroy();
    await closed;
  }
}
