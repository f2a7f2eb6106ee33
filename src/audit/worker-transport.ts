import { Worker } from 'node:worker_threads';
import { packEventBatch } from '../store/event-batch.js';
import type { TransportLog } from './nats-transport.js';
import { RefusalKind, type OutgoingEvent, type PublishTransport, type TransportListener } from './transport.js';
import type { FromPublishWorker, ToPublishWorker, WorkerTransportSettings } from './worker-protocol.js';

export interface WorkerTransportOptions {
  log?: TransportLog;
  /** Wait before starting a new publishing thread after one died. Default 1 s. */
  restartDelayMs?: number;
  /** How long stop() waits for the thread to close its connection. Default 5 s. */
  stopTimeoutMs?: number;
  /** The worker script; default the built publish-worker.js (see workerScript). */
  script?: URL;
}

/** Events sent to the publishing thread wait at most this long, or until there are this many. */
const COALESCE_MS = 2;
const COALESCE_EVENTS = 512;

/** NATS refuses control lines much longer than this; such an event could never be sent. */
const MAX_TOKEN_BYTES = 4_096;

/**
 * A PublishTransport whose NATS client runs on a thread of its own (publish-worker.ts).
 *
 * Why: with the audit trail on, building each PDU's JSON document and publishing it cost the
 * proxy's thread more than relaying the traffic itself. Here the proxy's thread only packs each
 * batch into one buffer and hands it over; the other thread renders, publishes and reads the
 * acknowledgements, which come back in batches. The publisher's window, cursor and resend
 * decisions are unchanged: they see the same listener calls as from an in-thread transport.
 *
 * If the thread dies, the transport reports itself not ready (so the publisher resends what is
 * outstanding once it is ready again) and starts a new one.
 */
export class WorkerTransport implements PublishTransport {
  private readonly settings: WorkerTransportSettings;
  private readonly options: WorkerTransportOptions;
  private listener: TransportListener | undefined;
  private worker: Worker | undefined;
  private running = false;
  private ready = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private stopped: (() => void) | undefined;
  private queued: OutgoingEvent[] = [];
  private flushTimer: NodeJS.Timeout | undefined;

  constructor(settings: WorkerTransportSettings, options: WorkerTransportOptions = {}) {
    this.settings = settings;
    this.options = options;
  }

  start(listener: TransportListener): void {
    if (this.running) return;
    this.running = true;
    this.listener = listener;
    this.spawn();
  }

  send(batch: readonly OutgoingEvent[]): void {
    if (this.worker === undefined || !this.ready || batch.length === 0) return;
    for (const event of batch) {
      if (tooLong(event)) this.listener?.refused(event.seq, RefusalKind.permanent, 'event id or subject too long for NATS');
      else this.queued.push(event);
    }
    if (this.queued.length >= COALESCE_EVENTS) this.flushQueued();
    else this.flushTimer ??= setTimeout(() => this.flushQueued(), COALESCE_MS);
  }

  /**
   * Batches go over in bunches: each hand-over costs a message between threads and, on the
   * other side, a write to the NATS socket, whatever its size. The publisher's batches are one
   * event-loop turn each, often a handful of events.
   */
  private flushQueued(): void {
    if (this.flushTimer !== undefined) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    const events = this.queued;
    this.queued = [];
    if (events.length === 0 || this.worker === undefined || !this.ready) return;
    const packed = packEventBatch(events);
    this.post({ type: 'send', batch: packed }, [packed]);
  }

  recheckStream(): void {
    this.post({ type: 'recheck' });
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    if (this.restartTimer !== undefined) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    if (this.flushTimer !== undefined) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    this.queued = [];
    const worker = this.worker;
    this.worker = undefined;
    this.ready = false;
    if (worker === undefined) return;
    const closed = new Promise<void>((resolve) => {
      this.stopped = resolve;
      worker.once('exit', () => resolve());
    });
    worker.postMessage({ type: 'stop' } satisfies ToPublishWorker);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.options.stopTimeoutMs ?? 5_000);
    });
    await Promise.race([closed, timeout]);
    clearTimeout(timer);
    this.stopped = undefined;
    await worker.terminate();
  }

  private post(message: ToPublishWorker, transfer: ArrayBuffer[] = []): void {
    this.worker?.postMessage(message, transfer);
  }

  private spawn(): void {
    const worker = new Worker(this.options.script ?? workerScript());
    this.worker = worker;
    worker.on('message', (message: FromPublishWorker) => {
      if (this.worker === worker || message.type === 'stopped') this.onMessage(message);
    });
    worker.on('error', (err) => {
      if (this.worker !== worker) return;
      this.options.log?.error({ err }, 'audit publishing thread failed');
      this.listener?.problem(`publishing thread failed: ${err.message}`);
    });
    worker.on('exit', (code) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      if (this.ready) {
        this.ready = false;
        this.listener?.state({ connected: false, streamReady: false });
      }
      if (!this.running) return;
      this.listener?.problem(`publishing thread exited with code ${code}; starting a new one`);
      this.restartTimer = setTimeout(() => {
        this.restartTimer = undefined;
        if (this.running) this.spawn();
      }, this.options.restartDelayMs ?? 1_000);
    });
    worker.postMessage({ type: 'start', settings: this.settings } satisfies ToPublishWorker);
  }

  private onMessage(message: FromPublishWorker): void {
    const listener = this.listener;
    switch (message.type) {
      case 'state':
        this.ready = message.state.connected && message.state.streamReady;
        // Queued events were sent as far as the publisher knows; it resends them once ready.
        if (!this.ready) this.queued = [];
        listener?.state(message.state);
        break;
      case 'acked':
        for (const seq of message.seqs) listener?.acked(seq, false);
        for (const seq of message.duplicates) listener?.acked(seq, true);
        break;
      case 'refused':
        listener?.refused(message.seq, message.kind, message.reason);
        break;
      case 'problem':
        listener?.problem(message.message);
        break;
      case 'log':
        this.options.log?.[message.level](message.obj, message.msg);
        break;
      case 'stopped':
        this.stopped?.();
        break;
    }
  }
}

function tooLong(event: OutgoingEvent): boolean {
  return event.subject.length > MAX_TOKEN_BYTES || event.id.length > MAX_TOKEN_BYTES;
}

/**
 * The built worker script. Under the test runner this module is TypeScript from src/, which a
 * worker thread cannot load, so it points at the build output (npm test builds first).
 */
export function workerScript(): URL {
  const here = new URL(import.meta.url);
  if (here.pathname.endsWith('.ts')) return new URL('../../dist/audit/publish-worker.js', here);
  return new URL('./publish-worker.js', here);
}
