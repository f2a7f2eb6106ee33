import type { HostPort, IpAllowList } from './net.js';
import type { Credential } from './password.js';

/**
 * The validated, deep-frozen configuration. Durations are milliseconds, regular expressions are
 * compiled, CIDR blocks are matchers: nothing at run time reads the YAML again. Property names
 * are the YAML keys in camelCase (`max_binds` -> `maxBinds`); the README configuration reference documents
 * each key with its default.
 */
export interface Config {
  /** The file this configuration came from, as it was named to the loader. */
  readonly file: string;
  readonly server: ServerConfig;
  readonly admin: AdminConfig;
  readonly store: StoreConfig;
  readonly nats: NatsConfig;
  readonly log: LogConfig;
  /** By account name (the SMPP system_id). A null-prototype object, so any name is a safe key. */
  readonly accounts: Readonly<Record<string, AccountConfig>>;
  /** By carrier name, null-prototype like accounts. */
  readonly carriers: Readonly<Record<string, CarrierConfig>>;
  /** In file order; the order breaks ties between routes with the same prefix. */
  readonly routes: readonly RouteConfig[];
  /** In file order; the first matching rule wins. */
  readonly senderRewrite: readonly SenderRewriteRule[];
  readonly moRoutes: readonly MoRouteConfig[];
}

export type { HostPort, IpAllowList, Credential };

/** Session timers shared by every ESME session (all milliseconds). */
export interface SessionTimeouts {
  readonly enquireLinkInterval: number;
  readonly inactivityTimeout: number;
  readonly sessionInitTimeout: number;
  readonly responseTimeout: number;
  readonly unbindTimeout: number;
  readonly partialPduTimeout: number;
}

export interface ServerConfig extends SessionTimeouts {
  /** Plain SMPP listener; undefined when `listen: false` (TLS only). */
  readonly listen: HostPort | undefined;
  readonly tls: ServerTlsConfig | undefined;
  readonly systemId: string;
  readonly maxConnections: number;
  readonly maxConnectionsPerIp: number;
  readonly maxPduSize: number;
  readonly maxPduSizeBeforeBind: number;
  /** Default window (outstanding deliver_sm per session) for accounts that set none. */
  readonly window: number;
  readonly shutdownTimeout: number;
  readonly bindLockout: BindLockoutConfig;
}

export interface ServerTlsConfig {
  readonly listen: HostPort;
  readonly cert: string;
  readonly key: string;
  readonly ca: string | undefined;
  /** Require a client certificate signed by `ca`. */
  readonly clientAuth: boolean;
}

export interface BindLockoutConfig {
  /** Failed binds from one IP within `window` that trigger the lockout; 0 disables it. */
  readonly failures: number;
  readonly window: number;
  readonly duration: number;
}

export interface AdminConfig {
  /** undefined when `listen: false` (no admin listener). */
  readonly listen: HostPort | undefined;
  readonly token: string | undefined;
}

export interface StoreConfig {
  readonly path: string;
  readonly receiptTtl: number;
  readonly moTtl: number;
  readonly idMapTtl: number;
}

export interface NatsConfig {
  readonly enabled: boolean;
  readonly servers: readonly string[];
  readonly subjectPrefix: string;
  readonly stream: NatsStreamConfig;
  readonly outboxMaxEvents: number;
  readonly token: string | undefined;
  readonly user: string | undefined;
  readonly password: string | undefined;
  /** Path of a NATS `.creds` file. */
  readonly credentials: string | undefined;
}

export interface NatsStreamConfig {
  readonly name: string;
  readonly replicas: number;
  /** 0 means events are kept until removed by other limits. */
  readonly maxAge: number;
  readonly duplicateWindow: number;
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface LogConfig {
  readonly level: LogLevel;
  readonly pretty: boolean;
}

export const BIND_TYPES = ['transmitter', 'receiver', 'transceiver'] as const;
export type BindType = (typeof BIND_TYPES)[number];

export interface AccountConfig {
  readonly name: string;
  readonly credential: Credential;
  readonly allowedIps: IpAllowList;
  readonly maxBinds: number;
  readonly bindTypes: readonly BindType[];
  /** submit_sm per second; 0 means unlimited. */
  readonly throughput: number;
  /** The only route names this account may use; undefined means every route. */
  readonly routes: readonly string[] | undefined;
  /** Sender-ID allow list; undefined means any sender. */
  readonly senderIds: SenderAllowList | undefined;
  readonly requireTls: boolean;
  readonly window: number;
}

/** Entries starting with `^` are regular expressions; every other entry is an exact, case-sensitive sender. */
export interface SenderAllowList {
  readonly literals: readonly string[];
  readonly patterns: readonly RegExp[];
}

export const CARRIER_BIND_TYPES = ['transceiver', 'transmitter'] as const;
export type CarrierBindType = (typeof CARRIER_BIND_TYPES)[number];

export const MESSAGE_ID_FORMATS = ['auto', 'hex', 'decimal', 'string'] as const;
export type MessageIdFormat = (typeof MESSAGE_ID_FORMATS)[number];

/** Settings every carrier has, whether it is a real SMSC or an in-process simulator. */
export interface CarrierCommon {
  readonly name: string;
  readonly bind: CarrierBindType;
  /** Extra receiver binds for receipts and MO; non-zero only with `bind: transmitter`. */
  readonly receiverSessions: number;
  readonly sessions: number;
  readonly window: number;
  /** submit_sm per second over all sessions of this carrier; 0 means unlimited. */
  readonly throughput: number;
  readonly enquireLinkInterval: number;
  readonly responseTimeout: number;
  readonly reconnect: ReconnectConfig;
  readonly circuitBreaker: CircuitBreakerConfig;
  /** How this carrier writes message ids, for matching receipts to submit_sm_resp ids. */
  readonly messageIdFormat: MessageIdFormat;
}

export interface ReconnectConfig {
  readonly initial: number;
  readonly max: number;
}

export interface CircuitBreakerConfig {
  /** Consecutive temporary failures that open the circuit. */
  readonly failures: number;
  readonly cooldown: number;
}

export interface RemoteCarrierConfig extends CarrierCommon {
  readonly kind: 'remote';
  readonly host: string;
  readonly port: number;
  readonly systemId: string;
  readonly password: string;
  readonly systemType: string;
  readonly tls: CarrierTlsConfig | undefined;
}

export interface CarrierTlsConfig {
  readonly ca: string | undefined;
  readonly servername: string | undefined;
  readonly verify: boolean;
}

export const RECEIPT_STATUSES = ['DELIVRD', 'EXPIRED', 'DELETED', 'UNDELIV', 'ACCEPTD', 'UNKNOWN', 'REJECTD'] as const;
export type ReceiptStatus = (typeof RECEIPT_STATUSES)[number];

export const SIMULATOR_ID_FORMATS = ['hex', 'decimal', 'string'] as const;
export type SimulatorIdFormat = (typeof SIMULATOR_ID_FORMATS)[number];

export interface SimulatorConfig {
  readonly dlrStatus: ReceiptStatus;
  readonly dlrDelay: number;
  /** Share of submits (0..1) answered with failStatus instead of ESME_ROK. */
  readonly failRatio: number;
  readonly failStatus: number;
  readonly messageIdFormat: SimulatorIdFormat;
  /** Submits per second the simulator accepts before answering ESME_RTHROTTLED; 0 means unlimited. */
  readonly throughput: number;
}

export interface SimulatorCarrierConfig extends CarrierCommon {
  readonly kind: 'simulator';
  readonly simulator: SimulatorConfig;
}

export type CarrierConfig = RemoteCarrierConfig | SimulatorCarrierConfig;

export interface RouteCarrier {
  readonly carrier: string;
  readonly cost: number;
}

export interface RouteConfig {
  readonly name: string;
  /** Digit prefixes; "" matches every destination. */
  readonly prefixes: readonly string[];
  /** In file order. */
  readonly carriers: readonly RouteCarrier[];
}

export interface SenderRewriteRule {
  /** Position in `sender_rewrite`, reported by rewriteSender and the route explanation. */
  readonly index: number;
  readonly match: {
    readonly account: string | undefined;
    readonly carrier: string | undefined;
    readonly destinationPrefixes: readonly string[] | undefined;
    readonly sender: RegExp | undefined;
  };
  readonly set: {
    readonly sender: string | undefined;
    /** Replacement for `match.sender` (String.prototype.replace syntax: $1, $<name>, $&, $$). */
    readonly replace: string | undefined;
    readonly ton: number | undefined;
    readonly npi: number | undefined;
  };
}

export interface MoRouteConfig {
  readonly prefixes: readonly string[];
  readonly account: string;
}
