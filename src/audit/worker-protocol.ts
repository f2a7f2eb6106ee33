import type { ConnectionOptions } from '@nats-io/transport-node';
import type { AuditStreamOptions } from './stream.js';
import type { RefusalKind, TransportState } from './transport.js';

/** What the publishing thread needs to connect: plain data only (it crosses a thread boundary). */
export interface WorkerTransportSettings {
  servers: string | string[];
  stream: AuditStreamOptions;
  /** Connection options that are plain data (user, pass, token, timeouts); no functions. */
  connection?: Partial<Omit<ConnectionOptions, 'authenticator' | 'reconnectDelayHandler'>>;
  /** The bytes of a .creds file; the worker builds the authenticator from them. */
  credentials?: Uint8Array;
  name?: string;
  apiTimeoutMs?: number;
  retryInitialMs?: number;
  retryMaxMs?: number;
}

export type ToPublishWorker =
  | { type: 'start'; settings: WorkerTransportSettings }
  /** A packed event batch (event-batch.ts), transferred. */
  | { type: 'send'; batch: ArrayBuffer }
  | { type: 'recheck' }
  | { type: 'stop' };

export type FromPublishWorker =
  | { type: 'state'; state: TransportState }
  | { type: 'acked'; seqs: number[]; duplicates: number[] }
  | { type: 'refused'; seq: number; kind: RefusalKind; reason: string }
  | { type: 'problem'; message: string }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; obj: object; msg: string }
  | { type: 'stopped' };
