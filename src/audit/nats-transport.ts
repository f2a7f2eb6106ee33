import { jetstreamManager } from '@nats-io/jetstream';
import {
  connect,
  createInbox,
  headers as natsHeaders,
  InvalidArgumentError,
  InvalidSubjectError,
  type ConnectionOptions,
  type Msg,
  type NatsConnection,
} from '@nats-io/transport-node';
import { PduFactsError, renderAuditPayload } from './pdu-facts.js';
import { ensureStream, type AuditStreamOptions } from './stream.js';
import {
  RefusalKind,
  type OutgoingEvent,
  type PublishTransport,
  type TransportListener,
} from './transport.js';

/** The subset of a pino logger the transport writes to. */
export interface TransportLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface NatsTransportOptions {
  servers: string | string[];
  stream: AuditStreamOptions;
  /** Extra connection options (credentials, TLS). Reconnect behaviour is set here. */
  connection?: Partial<ConnectionOptions>;
  name?: string;
  /** Timeout for JetStream API calls (stream set-up). */
  apiTimeoutMs?: number;
  retryInitialMs?: number;
  retryMaxMs?: number;
  log?: TransportLog;
}

/** JetStream error codes that no resend can cure. */
const PERMANENT_PUBLISH_ERRORS = new Set([
  10054, // message size exceeds maximum allowed
]);
const STREAM_NOT_FOUND = 10059;

const DUPLICATE_FLAG = /"duplicate":\s*true/;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Publishes events as plain NATS messages with a Nats-Msg-Id header and a reply subject under
 * one wildcard inbox subscription, where JetStream's PubAcks arrive. The token after the inbox
 * prefix is the outbox sequence the ack is for. Measured on the project's machine at about
 * 58,000 acknowledged events/s against about 10,000 for js.publish with many promises in flight.
 *
 * Connection and stream set-up retry forever with backoff; the client reconnects by itself and
 * the transport re-checks the stream after every reconnect (the server may be a new one).
 */
export class NatsTransport implements PublishTransport {
  private readonly options: NatsTransportOptions;
  private readonly retryInitialMs: number;
  private readonly retryMaxMs: number;
  private listener: TransportListener | undefined;
  private nc: NatsConnection | undefined;
  private inboxPrefix = '';
  private running = false;
  private connected = false;
  private streamReady = false;
  private ensuring = false;
  private connecting: Promise<void> | undefined;

  constructor(options: NatsTransportOptions) {
    this.options = options;
    this.retryInitialMs = options.retryInitialMs ?? 250;
    this.retryMaxMs = Math.max(this.retryInitialMs, options.retryMaxMs ?? 10_000);
  }

  start(listener: TransportListener): void {
    if (this.running) return;
    this.running = true;
    this.listener = listener;
    this.connecting = this.connectUntilUp();
  }

  send(batch: readonly OutgoingEvent[]): void {
    const nc = this.nc;
    if (nc === undefined || !this.connected || !this.streamReady) return;
    for (const event of batch) {
      const h = natsHeaders();
      h.set('Nats-Msg-Id', event.id);
      try {
        // Stored PDU events are facts; their JSON is built here, off the SMPP path's clock.
        nc.publish(event.subject, renderAuditPayload(event.payload, event.id), { headers: h, reply: this.inboxPrefix + event.seq });
      } catch (err) {
        if (err instanceof PduFactsError) {
          this.listener?.refused(event.seq, RefusalKind.permanent, err.message);
          continue;
        }
        // A bad subject or an event over the server's max_payload fails the same way every time.
        if (err instanceof InvalidSubjectError || err instanceof InvalidArgumentError) {
          this.listener?.refused(event.seq, RefusalKind.permanent, err.message);
          continue;
        }
        // Closed or draining: the publisher resends everything when the transport is ready again.
        this.listener?.problem(`publish failed: ${err instanceof Error ? err.message : String(err)}`);
        return;
      }
    }
  }

  recheckStream(): void {
    if (!this.running || this.nc === undefined) return;
    this.setState(this.connected, false);
    void this.prepareStream();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    const nc = this.nc;
    this.nc = undefined;
    this.connected = false;
    this.streamReady = false;
    if (nc !== undefined && !nc.isClosed()) await nc.close().catch(() => undefined);
    await this.connecting?.catch(() => undefined);
  }

  private setState(connected: boolean, streamReady: boolean): void {
    if (this.connected === connected && this.streamReady === streamReady) return;
    this.connected = connected;
    this.streamReady = streamReady;
    this.listener?.state({ connected, streamReady });
  }

  private async connectUntilUp(): Promise<void> {
    let delay = this.retryInitialMs;
    const connection = this.options.connection ?? {};
    while (this.running && this.nc === undefined) {
      try {
        const nc = await connect({
          ...connection,
          servers: this.options.servers,
          name: this.options.name ?? 'smpp-proxy-audit',
          reconnect: true,
          maxReconnectAttempts: -1,
          reconnectTimeWait: Math.min(1_000, this.retryMaxMs),
          pingInterval: connection.pingInterval ?? 10_000,
          maxPingOut: connection.maxPingOut ?? 3,
        });
        if (!this.running) {
          await nc.close().catch(() => undefined);
          return;
        }
        this.attach(nc);
        this.options.log?.info({ server: nc.getServer() }, 'audit publisher connected to NATS');
      } catch (err) {
        this.listener?.problem(`connect to NATS failed: ${err instanceof Error ? err.message : String(err)}`);
        this.options.log?.warn({ err, retryInMs: delay }, 'audit publisher cannot reach NATS; retrying');
        await sleep(delay);
        delay = Math.min(delay * 2, this.retryMaxMs);
      }
    }
    if (this.running && this.nc !== undefined) await this.prepareStream();
  }

  private attach(nc: NatsConnection): void {
    this.nc = nc;
    this.inboxPrefix = createInbox() + '.';
    nc.subscribe(this.inboxPrefix + '*', { callback: (err, msg) => this.onAck(err, msg) });
    this.setState(true, false);
    void this.watchStatus(nc);
    void nc.closed().then((err) => {
      if (this.nc !== nc) return;
      // Closed behind our back (e.g. authorisation revoked): start over with a new connection.
      this.nc = undefined;
      this.setState(false, false);
      if (err) this.listener?.problem(`NATS connection closed: ${err.message}`);
      if (this.running) {
        this.options.log?.warn({ err }, 'audit publisher lost its NATS connection; reconnecting');
        this.connecting = this.connectUntilUp();
      }
    });
  }

  private async watchStatus(nc: NatsConnection): Promise<void> {
    for await (const status of nc.status()) {
      if (this.nc !== nc) return;
      switch (status.type) {
        case 'disconnect':
          this.setState(false, false);
          this.listener?.problem('disconnected from NATS');
          this.options.log?.warn({ server: status.server }, 'audit publisher disconnected from NATS');
          break;
        case 'reconnect':
          this.setState(true, false);
          this.options.log?.info({ server: status.server }, 'audit publisher reconnected to NATS');
          void this.prepareStream();
          break;
        case 'error':
          this.listener?.problem(`NATS error: ${status.error.message}`);
          break;
        default:
          break;
      }
    }
  }

  private async prepareStream(): Promise<void> {
    if (this.ensuring) return;
    this.ensuring = true;
    let delay = this.retryInitialMs;
    try {
      while (this.running && this.nc !== undefined && this.connected && !this.streamReady) {
        const nc = this.nc;
        try {
          const jsm = await jetstreamManager(nc, { timeout: this.options.apiTimeoutMs ?? 5_000 });
          const result = await ensureStream(jsm, this.options.stream);
          if (result.action !== 'unchanged') {
            this.options.log?.info({ stream: this.options.stream.name, action: result.action }, 'audit stream ready');
          }
          if (this.nc !== nc || !this.connected) continue;
          this.setState(true, true);
        } catch (err) {
          this.listener?.problem(`JetStream stream set-up failed: ${err instanceof Error ? err.message : String(err)}`);
          this.options.log?.warn({ err, retryInMs: delay }, 'audit stream not ready; retrying');
          await sleep(delay);
          delay = Math.min(delay * 2, this.retryMaxMs);
        }
      }
    } finally {
      this.ensuring = false;
    }
  }

  private onAck(err: Error | null, msg: Msg): void {
    const listener = this.listener;
    if (listener === undefined) return;
    if (err) {
      listener.problem(`ack subscription error: ${err.message}`);
      return;
    }
    const seq = Number(msg.subject.slice(this.inboxPrefix.length));
    if (!Number.isSafeInteger(seq)) return;
    if (msg.headers?.hasError) {
      // 503 "no responders": nothing stores this subject (stream deleted, JetStream not up yet).
      const kind = msg.headers.code === 503 ? RefusalKind.streamMissing : RefusalKind.temporary;
      listener.refused(seq, kind, `JetStream unavailable (${msg.headers.code} ${msg.headers.description})`);
      return;
    }
    // The server writes a PubAck as {"stream":..,"seq":..} (with "duplicate": true for a dropped
    // copy), an error as {"error":{..}}. The common case is recognised without a full parse.
    const text = msg.string();
    if (text.startsWith('{"stream"')) {
      listener.acked(seq, DUPLICATE_FLAG.test(text));
      return;
    }
    let parsed: { error?: { err_code?: number; description?: string }; seq?: unknown; duplicate?: unknown } = {};
    try {
      parsed = JSON.parse(text) as typeof parsed;
    } catch {
      // Unreadable: handled like a refusal below.
    }
    if (parsed.error === undefined && typeof parsed.seq === 'number') {
      listener.acked(seq, parsed.duplicate === true);
      return;
    }
    const code = parsed.error?.err_code ?? 0;
    const reason = `JetStream refused event: ${parsed.error?.description ?? 'unreadable acknowledgement'} (${code})`;
    const kind = PERMANENT_PUBLISH_ERRORS.has(code)
      ? RefusalKind.permanent
      : code === STREAM_NOT_FOUND
        ? RefusalKind.streamMissing
        : RefusalKind.temporary;
    listener.refused(seq, kind, reason);
  }
}
