import type { Logger } from 'pino';
import type { AccountConfig, CarrierConfig, Config, RemoteCarrierConfig, SimulatorCarrierConfig } from '../config/types.js';
import { BindRefusal, decideBind, type BindDecision } from '../downstream/auth.js';
import { PerClientConnectionLimit } from '../downstream/connection-limits.js';
import { BindLockout, BindOutcome } from '../downstream/lockout.js';
import { DEFAULT_BIND_REFUSAL_FLOOR_MS, waitForRefusalFloor } from '../downstream/refusal-delay.js';
import { EsmeRegistry } from '../downstream/registry.js';
import {
  createSmppServer,
  type AuthContext,
  type AuthResult,
  type BindCommand,
  type IncomingRequest,
  type ListenAddress,
  type SessionOptions,
  type SmppServer,
  type SmppSession,
} from '../session/index.js';
import { Status, type PduOf } from '../smpp/index.js';
import { openStore, startSweeper, type Store, type Sweeper } from '../store/index.js';
import { CarrierPool, type CarrierEndpoint } from '../upstream/carrier-pool.js';
import { DeliveryFlow, type CarrierDelivery } from './deliveries.js';
import { EarlyReceipts } from './early-receipts.js';
import { ProxyEvents } from './events.js';
import { forwardMessageOp } from './message-ops.js';
import { MessageIdGenerator } from './message-id.js';
import { attachPduEventsOnceIdentified } from './pdu-events.js';
import { SubmitFlow } from './submit.js';

/** A carrier that runs inside this process (sandbox), reachable on loopback like any SMSC. */
export interface SandboxCarrier {
  endpoint: CarrierEndpoint;
  stop(): Promise<void>;
}

export type SandboxFactory = (carrier: SimulatorCarrierConfig) => Promise<SandboxCarrier>;

export interface ProxyOptions {
  logger: Logger;
  events?: ProxyEvents;
  /** Starts the in-process simulator for `simulator:` carriers. */
  sandbox?: SandboxFactory;
  /** An already-open store (tests); otherwise the lmdb store at config.store.path is opened. */
  store?: Store;
  /** True while the audit outbox is full: new submits are refused with ESME_RMSGQFUL. */
  auditFull?: () => boolean;
  /**
   * Resolves once every audit event emitted so far is durable. When given, answers to submits
   * are held on the wire until it resolves, so an ESME never holds an ESME_ROK whose events a
   * crash could lose.
   */
  auditBarrier?: () => Promise<void>;
  /** How long a receipt may wait for its submit's id to be stored. Default 5 s. */
  earlyReceiptHoldMs?: number;
  /** Every refused bind is answered no earlier than this after it arrived. Default DEFAULT_BIND_REFUSAL_FLOOR_MS. */
  bindRefusalFloorMs?: number;
}

export interface NamedDiff {
  added: string[];
  removed: string[];
  changed: string[];
}

export interface ReloadSummary {
  accounts: NamedDiff;
  carriers: NamedDiff;
  /** Sections that changed but apply only after a restart (listeners, store, NATS, admin). */
  restartNeeded: string[];
}

export interface ProxyStatus {
  accepting: boolean;
  accounts: {
    name: string;
    /** Receipts and MO waiting in the durable queue. */
    queued: number;
    sessions: {
      id: string;
      bindType: string;
      remote: string;
      tls: boolean;
      /** deliver_sm sent to the ESME awaiting its response (our window). */
      pendingRequests: number;
      /** ESME requests being worked on (submits waiting for a carrier). */
      pendingResponses: number;
      window: number;
    }[];
  }[];
  carriers: {
    name: string;
    kind: 'remote' | 'simulator';
    boundSenders: number;
    boundReceivers: number;
    configuredSessions: number;
    inFlight: number;
    /** Window over all sending sessions. */
    window: number;
    circuitOpen: boolean;
  }[];
  routes: { name: string; ready: boolean }[];
  pendingWork: number;
}

export interface ProxyAddresses {
  smpp: ListenAddress | undefined;
  tls: ListenAddress | undefined;
}

/**
 * The running proxy: SMSC listeners for customers, carrier pools, the submit and delivery
 * flows, and the store they share. start() brings everything up; stop() drains it.
 */
export class SmppProxy {
  readonly events: ProxyEvents;
  readonly registry = new EsmeRegistry();
  readonly pools = new Map<string, CarrierPool>();
  private readonly sandboxes = new Map<string, SandboxCarrier>();
  private readonly servers: SmppServer[] = [];
  private store!: Store;
  private ownsStore = false;
  private sweeper: Sweeper | undefined;
  private submit!: SubmitFlow;
  private deliveries!: DeliveryFlow;
  private earlyReceipts!: EarlyReceipts;
  private accepting = true;
  private readonly inFlight = new Set<Promise<void>>();
  /** Listener limits are fixed at start, like the listeners themselves (a reload reports them as restart-only). */
  private readonly lockout: BindLockout;
  private readonly connectionLimit: PerClientConnectionLimit;
  addresses: ProxyAddresses = { smpp: undefined, tls: undefined };

  private constructor(
    private current: Config,
    private readonly options: ProxyOptions,
  ) {
    this.events = options.events ?? new ProxyEvents();
    const lockout = current.server.bindLockout;
    this.lockout = new BindLockout({ failures: lockout.failures, windowMs: lockout.window, durationMs: lockout.duration });
    this.connectionLimit = new PerClientConnectionLimit(current.server.maxConnectionsPerIp);
  }

  /** The configuration in force; replaced as a whole by reload(). */
  get config(): Config {
    return this.current;
  }

  static async start(config: Config, options: ProxyOptions): Promise<SmppProxy> {
    const proxy = new SmppProxy(config, options);
    try {
      await proxy.startAll();
    } catch (error) {
      await proxy.stop(1_000).catch(() => undefined);
      throw error;
    }
    return proxy;
  }

  get storeHandle(): Store {
    return this.store;
  }

  private async startAll(): Promise<void> {
    const { config, options } = this;
    const log = options.logger;
    if (options.store) this.store = options.store;
    else {
      this.store = await openStore({ path: config.store.path, idMapTtlMs: config.store.idMapTtl, outboxMaxEvents: config.nats.outboxMaxEvents });
      this.ownsStore = true;
    }
    this.sweeper = startSweeper(this.store, {});
    this.earlyReceipts = new EarlyReceipts(options.earlyReceiptHoldMs ?? 5_000);

    for (const carrier of Object.values(config.carriers)) this.pools.set(carrier.name, await this.createPool(carrier));

    const ids = new MessageIdGenerator();
    this.submit = new SubmitFlow({
      config,
      pools: this.pools,
      messages: this.store.messages,
      ids,
      events: this.events,
      earlyReceipts: this.earlyReceipts,
      auditFull: options.auditFull ?? (() => false),
    });
    this.deliveries = new DeliveryFlow({
      config,
      messages: this.store.messages,
      queues: this.store.queues,
      registry: this.registry,
      events: this.events,
      earlyReceipts: this.earlyReceipts,
      warn: (message, details) => log.warn(details, message),
    });

    for (const pool of this.pools.values()) pool.start();

    const sessionOptions = this.esmeSessionOptions();
    const onSession = (session: SmppSession): void => this.onEsmeSession(session);
    if (config.server.listen) {
      const server = createSmppServer(
        {
          host: config.server.listen.host,
          port: config.server.listen.port,
          maxConnections: config.server.maxConnections,
          connectionGate: this.connectionLimit,
        },
        sessionOptions,
        onSession,
      );
      this.servers.push(server);
      this.addresses.smpp = await server.listen();
    }
    if (config.server.tls) {
      const t = config.server.tls;
      const server = createSmppServer(
        {
          host: t.listen.host,
          port: t.listen.port,
          maxConnections: config.server.maxConnections,
          connectionGate: this.connectionLimit,
          tls: {
            certFile: t.cert,
            keyFile: t.key,
            ...(t.ca ? { caFile: t.ca } : {}),
            requestCert: t.clientAuth,
            rejectUnauthorized: t.clientAuth,
          },
        },
        sessionOptions,
        onSession,
      );
      this.servers.push(server);
      this.addresses.tls = await server.listen();
    }
    for (const server of this.servers) {
      server.on('tls_error', (error, info) => log.debug({ remote: info.remoteAddress, error: error.message }, 'TLS handshake failed'));
      server.on('server_error', (error) => log.error({ error: error.message }, 'SMPP listener failed'));
      // Debug only: a flood of refused connections must not become a flood of log lines.
      server.on('rejected', (info) =>
        log.debug({ remote: info.remoteAddress, reason: info.reason === 'connection_gate' ? 'max_connections_per_ip' : info.reason }, 'connection refused'),
      );
    }
  }

  /** A pool for one carrier, with its in-process simulator started first when it is a sandbox. */
  private async createPool(carrier: CarrierConfig): Promise<CarrierPool> {
    let endpoint: CarrierEndpoint;
    if (carrier.kind === 'simulator') {
      if (!this.options.sandbox) throw new Error(`carrier ${carrier.name} is a simulator but no sandbox factory was given`);
      const sandbox = await this.options.sandbox(carrier);
      this.sandboxes.set(carrier.name, sandbox);
      endpoint = sandbox.endpoint;
    } else {
      endpoint = remoteEndpoint(carrier);
    }
    const pool = new CarrierPool(carrier, endpoint, {
      events: this.events,
      unbindTimeoutMs: this.config.server.unbindTimeout,
      maxPdu: this.config.server.maxPduSize,
    });
    pool.on('deliver', (req, session) => this.track(this.fromCarrier(pool, req, session)));
    return pool;
  }

  /**
   * A receipt or MO from a carrier. Like a submit's answer, the deliver_sm_resp is held on the
   * wire until the audit events it settles (the dlr record above all) are durable: once the
   * carrier has our ESME_ROK it never sends the receipt again, so a crash in between would lose
   * the record for good.
   */
  private async fromCarrier(pool: CarrierPool, req: CarrierDelivery, session: SmppSession): Promise<void> {
    await this.deliveries.fromCarrier(pool, req);
    // Still the same turn of the event loop as the answer, so it has not left yet.
    if (this.options.auditBarrier) session.holdWritesUntil(this.options.auditBarrier());
  }

  /**
   * Applies a new configuration atomically for everything that reads it per message (routes,
   * sender rules, MO routes, accounts' limits): binds of unchanged accounts and carriers are
   * untouched, removed ones are drained and closed, changed ones are rebound (an ESME of a
   * changed account is unbound and binds again under the new terms). Listener addresses, TLS
   * files, the store and NATS settings take effect only on restart; the result lists them.
   */
  async reload(next: Config): Promise<ReloadSummary> {
    const previous = this.current;
    const summary: ReloadSummary = { accounts: diffNamed(previous.accounts, next.accounts), carriers: diffNamed(previous.carriers, next.carriers), restartNeeded: [] };
    for (const key of ['server', 'store', 'nats', 'admin'] as const) {
      if (fingerprint(previous[key]) !== fingerprint(next[key])) summary.restartNeeded.push(key);
    }
    const retired: string[] = [...summary.carriers.removed, ...summary.carriers.changed];
    const retiredPools = retired.map((name) => ({ name, pool: this.pools.get(name), sandbox: this.sandboxes.get(name) }));
    // Carriers first: new and changed pools start binding before routes point at them.
    const started = new Map<string, CarrierPool>();
    for (const name of [...summary.carriers.added, ...summary.carriers.changed]) {
      const pool = await this.createPool(next.carriers[name]!);
      pool.start();
      started.set(name, pool);
    }
    // The switch itself is synchronous, so no message sees half of each configuration.
    this.current = next;
    this.submit.setConfig(next, [...summary.accounts.changed, ...summary.accounts.removed]);
    this.deliveries.setConfig(next);
    for (const name of retired) {
      this.pools.delete(name);
      if (!started.has(name)) this.sandboxes.delete(name);
    }
    for (const [name, pool] of started) this.pools.set(name, pool);
    // Then drain what left: old carrier binds finish their in-flight requests, and ESMEs of
    // removed or changed accounts are unbound (changed ones will bind again under the new terms).
    const drains: Promise<unknown>[] = [];
    for (const r of retiredPools) {
      if (r.pool && !r.sandbox) drains.push(r.pool.stop());
      // The old simulator goes once its pool has unbound from it.
      if (r.sandbox) drains.push((r.pool ? r.pool.stop() : Promise.resolve()).then(() => r.sandbox!.stop()).catch(() => undefined));
    }
    for (const name of [...summary.accounts.removed, ...summary.accounts.changed]) {
      for (const session of this.registry.sessions(name)) drains.push(session.unbind());
    }
    await Promise.all(drains);
    this.options.logger.info(summary, 'configuration reloaded');
    return summary;
  }

  private esmeSessionOptions(): Omit<SessionOptions, 'role'> {
    const s = this.config.server;
    // The account is known only after the bind, so every session gets the largest window any
    // account has, and deliveries keep each account to its own (EsmeRegistry.receiver).
    const windowSize = Math.max(s.window, ...Object.values(this.config.accounts).map((a) => a.window));
    return {
      windowSize,
      responseTimeoutMs: s.responseTimeout,
      enquireLinkIntervalMs: s.enquireLinkInterval,
      inactivityTimeoutMs: s.inactivityTimeout,
      sessionInitTimeoutMs: s.sessionInitTimeout,
      unbindTimeoutMs: s.unbindTimeout,
      partialPduTimeoutMs: s.partialPduTimeout,
      maxPduBeforeBind: s.maxPduSizeBeforeBind,
      maxPdu: s.maxPduSize,
      systemId: s.systemId,
      authenticate: (bind, context) => this.authenticateEsme(bind, context),
    };
  }

  /**
   * Bind auth with the failed-bind lockout in front: a locked-out client is refused without its
   * credentials being checked, and every refusal, whatever its reason, is answered after the same
   * floor so the answer time reveals nothing.
   */
  private async authenticateEsme(bind: PduOf<BindCommand>, context: AuthContext): Promise<AuthResult> {
    const arrivedAt = performance.now();
    const refuse = async (reason: string): Promise<AuthResult> => {
      this.events.emit('bind_rejected', { systemId: bind.body.system_id, remote: context.remoteAddress ?? '', reason, at: Date.now() });
      // The event-log listener writes the log line (at debug level for a locked-out client).
      await waitForRefusalFloor(arrivedAt, this.options.bindRefusalFloorMs ?? DEFAULT_BIND_REFUSAL_FLOOR_MS);
      return { status: Status.ESME_RBINDFAIL };
    };
    if (!this.accepting) return refuse('not accepting binds: shutting down');
    const attempt = await this.lockout.admit(context.remoteAddress);
    if (attempt === null) return refuse('client locked out after failed binds');
    let decision: BindDecision;
    try {
      decision = await decideBind(this.config, bind, context, (name) => this.registry.count(name));
    } catch (error) {
      attempt.finish(BindOutcome.neutral);
      throw error;
    }
    if (decision.status === Status.ESME_ROK && decision.account !== undefined) {
      attempt.finish(BindOutcome.success);
      return { status: Status.ESME_ROK, systemId: this.config.server.systemId };
    }
    const guess = decision.refusal === BindRefusal.credentials || decision.refusal === BindRefusal.source_address;
    if (attempt.finish(guess ? BindOutcome.failure : BindOutcome.neutral)) {
      this.options.logger.warn(
        { remote: context.remoteAddress, failures: this.config.server.bindLockout.failures },
        'client locked out after repeated failed binds',
      );
    }
    return refuse(decision.reason ?? 'refused');
  }

  /** Connections open on the SMPP listeners (TLS handshakes included). */
  get openConnections(): number {
    return this.connectionLimit.openConnections;
  }

  /** Clients refused every bind right now after too many failures. */
  get lockedOutClients(): number {
    return this.lockout.lockedClients;
  }

  private onEsmeSession(session: SmppSession): void {
    let account: AccountConfig | undefined;
    const identify = attachPduEventsOnceIdentified(session, this.events, 'esme');
    session.on('bound', (info) => {
      const found = Object.hasOwn(this.config.accounts, info.peerSystemId) ? this.config.accounts[info.peerSystemId] : undefined;
      if (found === undefined) {
        session.close('bound to an account that no longer exists');
        return;
      }
      account = found;
      this.registry.add(found.name, session);
      identify(found.name);
      this.events.emit('bind', {
        side: 'esme',
        peer: found.name,
        sessionId: session.id,
        bindType: info.bindType,
        remote: `${session.remoteAddress ?? ''}:${session.remotePort ?? ''}`,
        up: true,
        at: Date.now(),
      });
      if (info.bindType !== 'transmitter') this.deliveries.kick(found.name);
    });
    session.on('request', (req) => {
      if (account === undefined) {
        if (!req.responded) req.respond(Status.ESME_RINVBNDSTS);
        return;
      }
      this.track(this.onEsmeRequest(account, req, session));
    });
    session.on('drain', () => {
      if (account !== undefined) this.deliveries.kick(account.name);
    });
    session.on('close', (reason) => {
      if (account === undefined) return;
      this.registry.remove(account.name, session);
      this.events.emit('bind', {
        side: 'esme',
        peer: account.name,
        sessionId: session.id,
        bindType: session.bindType ?? 'transceiver',
        remote: `${session.remoteAddress ?? ''}:${session.remotePort ?? ''}`,
        up: false,
        reason: `${reason.code}: ${reason.message}`,
        at: Date.now(),
      });
    });
  }

  private async onEsmeRequest(account: AccountConfig, req: IncomingRequest, session: SmppSession): Promise<void> {
    try {
      switch (req.command) {
        case 'submit_sm':
        case 'data_sm':
          if (!this.accepting) {
            // Stopping: new work is turned away at once (retry later, elsewhere), so what is in
            // flight can finish and each session's unbind goes out as soon as it has, instead
            // of at the unbind timeout with answers still owed.
            req.respond(Status.ESME_RMSGQFUL);
            return;
          }
          await this.submit.handle(account, req as Parameters<SubmitFlow['handle']>[1]);
          // Still the same turn of the event loop as the answer, so it has not left yet.
          if (this.options.auditBarrier) session.holdWritesUntil(this.options.auditBarrier());
          return;
        case 'query_sm':
        case 'cancel_sm':
        case 'replace_sm':
          await forwardMessageOp(this.config, account, req as Parameters<typeof forwardMessageOp>[2], this.store.messages, this.pools);
          return;
        case 'submit_multi':
          // Not routed: every destination could need a different carrier and id. Refused as a
          // permanent failure so the ESME sends one submit_sm per destination instead.
          req.respond(Status.ESME_RSUBMITFAIL);
          return;
        default:
          if (!req.responded && responds(req)) req.respond(Status.ESME_RINVCMDID);
      }
    } catch (error) {
      this.options.logger.error({ account: account.name, command: req.command, error: String(error) }, 'request failed');
      if (!req.responded && responds(req)) req.respond(Status.ESME_RSYSERR);
    }
  }

  private track(work: Promise<void>): void {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  /** A snapshot for /status, readiness and gauges: binds, windows and queues. */
  status(): ProxyStatus {
    const queued = this.store.queues.depths();
    return {
      accepting: this.accepting,
      accounts: Object.values(this.config.accounts).map((a) => ({
        name: a.name,
        queued: queued.get(a.name) ?? 0,
        sessions: this.registry.sessions(a.name).map((s) => ({
          id: s.id,
          bindType: s.bindType ?? 'transceiver',
          remote: s.remoteAddress ?? '',
          tls: s.isTls,
          pendingRequests: s.pendingRequests,
          pendingResponses: s.pendingResponses,
          window: a.window,
        })),
      })),
      carriers: [...this.pools.values()].map((p) => ({
        name: p.name,
        kind: p.config.kind,
        boundSenders: p.boundSenders,
        boundReceivers: p.boundReceivers,
        configuredSessions: p.config.sessions,
        inFlight: p.inFlight,
        window: p.config.window * p.config.sessions,
        circuitOpen: p.health().circuitOpen,
      })),
      routes: this.config.routes.map((r) => ({
        name: r.name,
        ready: r.carriers.some((c) => this.pools.get(c.carrier)?.health().bound === true),
      })),
      pendingWork: this.inFlight.size,
    };
  }

  /** Ready to serve: accepting, and every route has at least one bound carrier. */
  isReady(): boolean {
    const s = this.status();
    return s.accepting && s.routes.every((r) => r.ready);
  }

  /** Requests being worked on (submits waiting for a carrier, receipts being stored). */
  get pendingWork(): number {
    return this.inFlight.size;
  }

  /**
   * Graceful stop: refuse new binds, unbind every ESME (their in-flight submits finish first),
   * wait for work in progress up to the deadline, unbind carriers, stop the sandbox, close the store.
   */
  async stop(deadlineMs = this.config.server.shutdownTimeout): Promise<void> {
    this.accepting = false;
    const deadline = Date.now() + deadlineMs;
    const remaining = (): number => Math.max(0, deadline - Date.now());
    await withTimeout(Promise.all(this.registry.all().map((s) => s.unbind())), remaining());
    await withTimeout(Promise.allSettled([...this.inFlight]), remaining());
    await Promise.all(this.servers.map((s) => s.close()));
    this.deliveries?.stop();
    await withTimeout(Promise.all([...this.pools.values()].map((p) => p.stop())), remaining());
    await Promise.all([...this.sandboxes.values()].map((s) => s.stop().catch(() => undefined)));
    await this.sweeper?.stop();
    if (this.ownsStore) await this.store?.close();
  }
}

function responds(req: IncomingRequest): boolean {
  return req.command !== 'alert_notification' && req.command !== 'outbind';
}

function remoteEndpoint(carrier: RemoteCarrierConfig): CarrierEndpoint {
  return {
    host: carrier.host,
    port: carrier.port,
    tls:
      carrier.tls === undefined
        ? undefined
        : {
            ...(carrier.tls.ca !== undefined ? { ca: carrier.tls.ca } : {}),
            ...(carrier.tls.servername !== undefined ? { servername: carrier.tls.servername } : {}),
            rejectUnauthorized: carrier.tls.verify,
          },
    systemId: carrier.systemId,
    password: carrier.password,
    systemType: carrier.systemType,
  };
}

async function withTimeout(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([work, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  if (timer !== undefined) clearTimeout(timer);
}

function diffNamed(before: Readonly<Record<string, unknown>>, after: Readonly<Record<string, unknown>>): NamedDiff {
  const diff: NamedDiff = { added: [], removed: [], changed: [] };
  for (const name of Object.keys(after)) {
    if (!Object.hasOwn(before, name)) diff.added.push(name);
    else if (fingerprint(before[name]) !== fingerprint(after[name])) diff.changed.push(name);
  }
  for (const name of Object.keys(before)) if (!Object.hasOwn(after, name)) diff.removed.push(name);
  return diff;
}

/** A stable text form of a frozen config section, to tell changed from unchanged. */
function fingerprint(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'bigint') return `${v}n`;
    if (v instanceof RegExp) return `/${v.source}/${v.flags}`;
    return v;
  });
}
