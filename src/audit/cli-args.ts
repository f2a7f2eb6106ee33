import type { ConnectionOptions } from '@nats-io/transport-node';
import { loadConfig } from '../config/index.js';
import { auditSettingsFromConfig } from './nats-settings.js';
import { DEFAULT_STREAM_NAME } from './stream.js';
import { validateSubjectPrefix } from './subject.js';

/** Shared plumbing for the audit CLIs (tail, billing-report). */

export interface CliIo {
  stdout: { write(chunk: string): unknown };
  stderr: { write(chunk: string): unknown };
  /** Stops a long-running command (tail); without it, SIGINT/SIGTERM do. */
  signal?: AbortSignal;
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface FlagSpec {
  /** Flags that take a value. */
  values: readonly string[];
  /** Flags that are on or off. */
  switches: readonly string[];
}

export interface ParsedFlags {
  values: Map<string, string>;
  switches: Set<string>;
}

/** `--name value`, `--name=value` and `--switch`; anything else is a usage error. */
export function parseFlags(argv: readonly string[], spec: FlagSpec): ParsedFlags {
  const values = new Map<string, string>();
  const switches = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new UsageError(`unexpected argument "${arg}"`);
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    if (spec.switches.includes(name)) {
      if (eq !== -1) throw new UsageError(`--${name} takes no value`);
      switches.add(name);
      continue;
    }
    if (!spec.values.includes(name)) throw new UsageError(`unknown option --${name}`);
    let value: string | undefined;
    if (eq !== -1) value = arg.slice(eq + 1);
    else value = argv[++i];
    if (value === undefined || (eq === -1 && value.startsWith('--'))) throw new UsageError(`--${name} needs a value`);
    values.set(name, value);
  }
  return { values, switches };
}

export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';

/** Where to reach NATS and what the audit subjects and stream are called. */
export interface NatsTarget {
  servers: string[];
  subjectPrefix: string;
  stream: string;
  connection: Partial<ConnectionOptions>;
}

/**
 * --config reads the proxy's config file for servers, credentials, prefix and stream name;
 * --servers, --prefix and --stream override it; without either, NATS_URL or the local default.
 */
export async function natsTargetFrom(flags: ParsedFlags): Promise<NatsTarget> {
  const target: NatsTarget = {
    servers: [process.env.NATS_URL ?? DEFAULT_NATS_URL],
    subjectPrefix: 'smpp',
    stream: DEFAULT_STREAM_NAME,
    connection: {},
  };
  const configFile = flags.values.get('config');
  if (configFile !== undefined) {
    let settings;
    try {
      settings = await auditSettingsFromConfig(loadConfig(configFile).nats);
    } catch (err) {
      throw new UsageError(errorMessage(err));
    }
    target.servers = settings.servers;
    target.subjectPrefix = settings.subjectPrefix;
    target.stream = settings.stream.name;
    target.connection = settings.connection;
  }
  const servers = flags.values.get('servers');
  if (servers !== undefined) {
    target.servers = servers
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
    if (target.servers.length === 0) throw new UsageError('--servers is empty');
  }
  const prefix = flags.values.get('prefix');
  if (prefix !== undefined) {
    try {
      target.subjectPrefix = validateSubjectPrefix(prefix);
    } catch (err) {
      throw new UsageError(errorMessage(err));
    }
  }
  const stream = flags.values.get('stream');
  if (stream !== undefined) {
    if (!/^[^\s.*>/\\]+$/.test(stream)) throw new UsageError('--stream may not hold spaces, dots, slashes or wildcards');
    target.stream = stream;
  }
  return target;
}

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** An ISO 8601 time, or a duration back from now ("24h", "30m", "7d"). */
export function parseSince(value: string, now: number = Date.now()): Date {
  const duration = DURATION.exec(value);
  if (duration) return new Date(now - Number(duration[1]) * UNIT_MS[duration[2]!]!);
  if (/^\d{4}-\d{2}-\d{2}/.test(value)) {
    const ms = Date.parse(value);
    if (!Number.isNaN(ms)) return new Date(ms);
  }
  throw new UsageError(`--since "${value}" is neither an ISO time (2026-11-01T00:00:00Z) nor a duration (24h, 30m, 7d)`);
}

/** Resolves when the command should stop: the caller's signal, or SIGINT/SIGTERM. */
export function stopRequested(io: CliIo): { promise: Promise<void>; dispose: () => void } {
  if (io.signal) {
    const signal = io.signal;
    let onAbort: () => void = () => undefined;
    const promise = new Promise<void>((resolve) => {
      if (signal.aborted) return resolve();
      onAbort = () => resolve();
      signal.addEventListener('abort', onAbort, { once: true });
    });
    return { promise, dispose: () => signal.removeEventListener('abort', onAbort) };
  }
  let handler: () => void = () => undefined;
  const promise = new Promise<void>((resolve) => {
    handler = () => resolve();
    process.once('SIGINT', handler);
    process.once('SIGTERM', handler);
  });
  return {
    promise,
    dispose: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
