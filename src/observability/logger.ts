import { createRequire } from 'node:module';
import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

export interface LogOptions {
  level?: string;
  /** Human-readable output for a terminal (pino-pretty when installed), JSON otherwise. */
  pretty?: boolean;
  /** Where JSON lines go; tests pass a stream to read them back. */
  destination?: NodeJS.WritableStream;
}

/**
 * Keys that must never reach a log line at any level: credentials and message bodies.
 * Redaction here is the safety net; call sites also avoid logging them at info level.
 */
const REDACT = [
  'password',
  '*.password',
  '*.*.password',
  'password_hash',
  '*.password_hash',
  'short_message',
  '*.short_message',
  'message_payload',
  '*.message_payload',
  'token',
  '*.token',
];

export function createLogger(options: LogOptions = {}): Logger {
  const base: LoggerOptions = {
    level: options.level ?? 'info',
    redact: { paths: REDACT, censor: '[redacted]' },
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (options.destination) return pino(base, options.destination);
  if (options.pretty && prettyAvailable()) {
    return pino({ ...base, transport: { target: 'pino-pretty', options: { colorize: true } } });
  }
  return pino(base);
}

/** pino-pretty is a development dependency: a production install falls back to JSON lines. */
function prettyAvailable(): boolean {
  try {
    createRequire(import.meta.url).resolve('pino-pretty');
    return true;
  } catch {
    return false;
  }
}
