import {
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamManager,
  type StreamConfig,
  type StreamInfo,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';

/** The JetStream stream audit events go to, as configured (nats.stream.*). */
export interface AuditStreamOptions {
  name: string;
  subjects: string[];
  /** 1 for a single server; 3 or 5 in a cluster. */
  replicas: number;
  /** How long events are kept; 0 keeps them until a size limit applies. */
  maxAgeMs: number;
  /** Size limit of the stream in bytes; -1 for none. */
  maxBytes: number;
  /** How long JetStream remembers Nats-Msg-Id values to drop republished copies. */
  duplicateWindowMs: number;
  storage: 'file' | 'memory';
}

/** As the config's default nats.stream.name. */
export const DEFAULT_STREAM_NAME = 'SMPP';

export class AuditStreamError extends Error {
  readonly code: 'INVALID_STREAM_CONFIG' | 'STREAM_CONFLICT';
  constructor(code: 'INVALID_STREAM_CONFIG' | 'STREAM_CONFLICT', message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'AuditStreamError';
    this.code = code;
  }
}

export type EnsureStreamResult = { action: 'created' | 'updated' | 'unchanged'; info: StreamInfo };

export function validateStreamOptions(o: AuditStreamOptions): void {
  if (!/^[^\s.*>]+$/.test(o.name)) {
    throw new AuditStreamError('INVALID_STREAM_CONFIG', `stream name "${o.name}" may not hold spaces, dots or wildcards`);
  }
  if (o.subjects.length === 0) throw new AuditStreamError('INVALID_STREAM_CONFIG', 'stream needs at least one subject');
  if (!Number.isInteger(o.replicas) || o.replicas < 1 || o.replicas > 5) {
    throw new AuditStreamError('INVALID_STREAM_CONFIG', `stream replicas must be 1..5, not ${o.replicas}`);
  }
  if (o.duplicateWindowMs <= 0) {
    // Without a duplicate window a republished event would be stored twice.
    throw new AuditStreamError('INVALID_STREAM_CONFIG', 'duplicate window must be positive');
  }
  if (o.maxAgeMs < 0) throw new AuditStreamError('INVALID_STREAM_CONFIG', 'max age must be >= 0');
  if (o.maxAgeMs > 0 && o.duplicateWindowMs > o.maxAgeMs) {
    throw new AuditStreamError('INVALID_STREAM_CONFIG', 'duplicate window cannot be longer than max age');
  }
}

function desiredConfig(o: AuditStreamOptions): Partial<StreamConfig> & { name: string } {
  return {
    name: o.name,
    subjects: [...o.subjects],
    retention: 'limits',
    storage: o.storage,
    num_replicas: o.replicas,
    max_age: nanos(o.maxAgeMs),
    max_bytes: o.maxBytes,
    duplicate_window: nanos(o.duplicateWindowMs),
    // When a size limit is reached the oldest events go, never the newest: refusing new
    // events would leave the outbox unable to drain.
    discard: 'old',
  };
}

function sameSubjects(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const set = new Set(a);
  return b.every((s) => set.has(s));
}

function isStreamNotFound(err: unknown): boolean {
  return err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound;
}

/**
 * Creates the stream, or brings an existing one to the configured subjects and limits.
 * Storage type and retention cannot change on a live stream; a mismatch there is reported, not
 * papered over, because recreating the stream would throw away the audit trail.
 */
export async function ensureStream(jsm: JetStreamManager, options: AuditStreamOptions): Promise<EnsureStreamResult> {
  validateStreamOptions(options);
  const desired = desiredConfig(options);
  let existing: StreamInfo;
  try {
    existing = await jsm.streams.info(options.name);
  } catch (err) {
    if (!isStreamNotFound(err)) throw err;
    try {
      return { action: 'created', info: await jsm.streams.add(desired) };
    } catch (addErr) {
      // Another instance may have created it between our two calls.
      if (addErr instanceof JetStreamApiError && /already in use|exists/i.test(addErr.message)) {
        existing = await jsm.streams.info(options.name);
      } else {
        throw addErr;
      }
    }
  }
  const current = existing.config;
  if (current.storage !== options.storage || current.retention !== 'limits') {
    throw new AuditStreamError(
      'STREAM_CONFLICT',
      `stream ${options.name} exists with storage=${current.storage} retention=${current.retention}; ` +
        `expected storage=${options.storage} retention=limits (these cannot be changed in place)`,
    );
  }
  const differs =
    !sameSubjects(current.subjects ?? [], desired.subjects ?? []) ||
    current.num_replicas !== desired.num_replicas ||
    current.max_age !== desired.max_age ||
    current.max_bytes !== desired.max_bytes ||
    current.duplicate_window !== desired.duplicate_window ||
    current.discard !== desired.discard;
  if (!differs) return { action: 'unchanged', info: existing };
  const { name: _name, ...rest } = current;
  const update = { ...rest, ...desired };
  delete (update as { name?: string }).name;
  return { action: 'updated', info: await jsm.streams.update(options.name, update) };
}
