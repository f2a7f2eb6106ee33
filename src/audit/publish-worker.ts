import { parentPort } from 'node:worker_threads';
import { credsAuthenticator, type ConnectionOptions } from '@nats-io/transport-node';
import { unpackEventBatch } from '../store/event-batch.js';
import { NatsTransport } from './nats-transport.js';
import type { TransportState } from './transport.js';
import type { FromPublishWorker, ToPublishWorker, WorkerTransportSettings } from './worker-protocol.js';

/**
 * The publishing thread: runs a NatsTransport (the NATS connection, building each PDU event's
 * JSON, publishing, reading JetStream's acknowledgements) for a WorkerTransport on the proxy's
 * thread. Acknowledgements go back in batches, one message per turn of this thread's loop.
 */

const port = parentPort;
if (port === null) throw new Error('publish-worker must run as a worker thread');

let transport: NatsTransport | undefined;
let ackedSeqs: number[] = [];
let duplicateSeqs: number[] = [];
let flushScheduled = false;

function post(message: FromPublishWorker): void {
  // Anything else said after acknowledgements must not overtake them.
  if (message.type !== 'acked') flushAcks();
  port!.postMessage(message);
}

function flushAcks(): void {
  if (ackedSeqs.length === 0 && duplicateSeqs.length === 0) return;
  const message: FromPublishWorker = { type: 'acked', seqs: ackedSeqs, duplicates: duplicateSeqs };
  ackedSeqs = [];
  duplicateSeqs = [];
  port!.postMessage(message);
}

function scheduleAckFlush(): void {
  if (flushScheduled) return;
  flushScheduled = true;
  setImmediate(() => {
    flushScheduled = false;
    flushAcks();
  });
}

function cloneable(obj: object): object {
  try {
    structuredClone(obj);
    return obj;
  } catch {
    return { detail: String((obj as { err?: unknown }).err ?? JSON.stringify(obj)) };
  }
}

function connectionOf(settings: WorkerTransportSettings): Partial<ConnectionOptions> {
  const connection: Partial<ConnectionOptions> = { ...settings.connection };
  if (settings.credentials !== undefined) connection.authenticator = credsAuthenticator(settings.credentials);
  return connection;
}

function start(settings: WorkerTransportSettings): void {
  transport = new NatsTransport({
    servers: settings.servers,
    stream: settings.stream,
    connection: connectionOf(settings),
    ...(settings.name !== undefined ? { name: settings.name } : {}),
    ...(settings.apiTimeoutMs !== undefined ? { apiTimeoutMs: settings.apiTimeoutMs } : {}),
    ...(settings.retryInitialMs !== undefined ? { retryInitialMs: settings.retryInitialMs } : {}),
    ...(settings.retryMaxMs !== undefined ? { retryMaxMs: settings.retryMaxMs } : {}),
    log: {
      info: (obj, msg) => post({ type: 'log', level: 'info', obj: cloneable(obj), msg }),
      warn: (obj, msg) => post({ type: 'log', level: 'warn', obj: cloneable(obj), msg }),
      error: (obj, msg) => post({ type: 'log', level: 'error', obj: cloneable(obj), msg }),
    },
  });
  transport.start({
    state: (state: TransportState) => post({ type: 'state', state }),
    acked: (seq, duplicate) => {
      (duplicate ? duplicateSeqs : ackedSeqs).push(seq);
      scheduleAckFlush();
    },
    refused: (seq, kind, reason) => post({ type: 'refused', seq, kind, reason }),
    problem: (message) => post({ type: 'problem', message }),
  });
}

port.on('message', (message: ToPublishWorker) => {
  switch (message.type) {
    case 'start':
      if (transport === undefined) start(message.settings);
      break;
    case 'send':
      try {
        transport?.send(unpackEventBatch(message.batch));
      } catch (err) {
        post({ type: 'problem', message: `unreadable event batch: ${err instanceof Error ? err.message : String(err)}` });
      }
      break;
    case 'recheck':
      transport?.recheckStream();
      break;
    case 'stop':
      void (transport?.stop() ?? Promise.resolve()).finally(() => {
        post({ type: 'stopped' });
        port.close();
      });
      break;
  }
});
