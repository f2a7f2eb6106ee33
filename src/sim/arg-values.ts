import { parseDuration } from '../config/duration.js';
import { Status, type StatusName } from '../smpp/index.js';

/**
 * Readers for command-line values shared by `send` and `carrier-sim`. Each returns the value, or
 * a message saying what was expected; the commands turn the message into a usage error.
 */
export type ArgValue<T> = { ok: true; value: T } | { ok: false; message: string };

const ok = <T>(value: T): ArgValue<T> => ({ ok: true, value });
const bad = <T>(message: string): ArgValue<T> => ({ ok: false, message });

/** A whole number within min..max. */
export function integerArg(name: string, text: string, min: number, max: number): ArgValue<number> {
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
    return bad(`--${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(text)}`);
  }
  return ok(Number(text));
}

/** A number within min..max, decimals allowed. */
export function numberArg(name: string, text: string, min: number, max: number): ArgValue<number> {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < min || value > max) {
    return bad(`--${name} must be a number from ${min} to ${max}, got ${JSON.stringify(text)}`);
  }
  return ok(value);
}

/** A duration as the configuration writes them (`200ms`, `5s`, `1m`) or plain milliseconds. */
export function durationArg(name: string, text: string): ArgValue<number> {
  const parsed = parseDuration(/^\d+$/.test(text) ? Number(text) : text);
  return parsed.ok ? ok(parsed.ms) : bad(`--${name}: ${parsed.message}`);
}

/** A command_status by name (ESME_RTHROTTLED) or number (0x58, 88); 0 is refused since it means success. */
export function statusArg(name: string, text: string): ArgValue<number> {
  const upper = text.toUpperCase();
  if (Object.hasOwn(Status, upper)) {
    const value = Status[upper as StatusName];
    return value === 0 ? bad(`--${name} must be an error status, not ESME_ROK`) : ok(value);
  }
  const value = /^0x[0-9a-f]{1,8}$/i.test(text) ? Number.parseInt(text.slice(2), 16) : /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(value) || value <= 0 || value > 0xffff_ffff) {
    return bad(`--${name} must be a command_status such as 0x58 or ESME_RTHROTTLED, got ${JSON.stringify(text)}`);
  }
  return ok(value);
}

/** One of a fixed list of words. */
export function choiceArg<T extends string>(name: string, text: string, choices: readonly T[]): ArgValue<T> {
  return (choices as readonly string[]).includes(text) ? ok(text as T) : bad(`--${name} must be one of ${choices.join(', ')}, got ${JSON.stringify(text)}`);
}

/** A usage error found while reading arguments; the command prints it with its usage text. */
export class ArgError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArgError';
  }
}

/** The value, or an ArgError with the message: lets a command read many arguments in a row. */
export function need<T>(value: ArgValue<T>): T {
  if (!value.ok) throw new ArgError(value.message);
  return value.value;
}
