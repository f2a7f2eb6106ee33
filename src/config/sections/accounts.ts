import { DEFAULTS } from '../defaults.js';
import { IpAllowList, parseCidr, type CidrBlock } from '../net.js';
import { parsePasswordHash, plainCredential, plainPasswordProblem, type Credential } from '../password.js';
import { MapView, bool, compileRegex, int, list, oneOf, str, type Checker, type Reader } from '../reader.js';
import type { References, ReferenceKind } from '../references.js';
import { BIND_TYPES, type AccountConfig, type SenderAllowList, type ServerConfig } from '../types.js';

/**
 * Account names are SMPP system_ids (at most 15 characters) and also appear as NATS subject
 * tokens and metric labels, so they are limited to letters, digits, `_` and `-`.
 */
export const ACCOUNT_NAME = { re: /^[A-Za-z0-9_-]{1,15}$/, what: 'at most 15 letters, digits, "_" or "-"' };

/** SMPP source_addr holds 21 octets with its NUL. */
export const MAX_ADDRESS_LENGTH = 20;

/** A name that must be defined elsewhere in the file; checked after everything is read. */
export function reference(refs: References, kind: ReferenceKind): Reader<string> {
  return (c, node, path) => {
    const name = str()(c, node, path);
    if (name !== undefined) refs.expect(kind, name, node, path);
    return name;
  };
}

const cidr: Reader<CidrBlock> = (c, node, path) => {
  const text = str()(c, node, path);
  if (text === undefined) return undefined;
  const parsed = parseCidr(text);
  if (!parsed.ok) {
    c.report(node, path, parsed.message);
    return undefined;
  }
  return parsed.value;
};

/**
 * Sender-ID allow list rule: an entry that starts with `^` is a regular expression (tested with
 * RegExp.test, so end it with `$` for a whole-sender match); any other entry is an exact,
 * case-sensitive sender.
 */
const senderEntry: Reader<string | RegExp> = (c, node, path) => {
  const text = str()(c, node, path);
  if (text === undefined) return undefined;
  if (text.startsWith('^')) return compileRegex(c, node, path, text);
  if (text.length > MAX_ADDRESS_LENGTH) {
    c.report(node, path, `sender "${text}" is longer than ${MAX_ADDRESS_LENGTH} characters, which SMPP cannot carry`);
    return undefined;
  }
  return text;
};

/** `server` supplies the default window and tells whether a TLS listener exists for require_tls. */
export function readAccount(c: Checker, name: string, m: MapView, refs: References, server: ServerConfig): AccountConfig {
  const d = DEFAULTS.account;
  const bindTypes = m.get('bind_types', list(oneOf(BIND_TYPES), { nonEmpty: true, allowSingle: true }));
  const senders = m.get('sender_ids', list(senderEntry, { allowSingle: true }));
  const requireTls = m.get('require_tls', bool) ?? d.requireTls;
  if (requireTls && server.tls === undefined && !c.failed('server.tls')) {
    m.report('require_tls', 'require_tls is set but server.tls is not configured, so this account could never bind');
  }
  return {
    name,
    credential: readCredential(m),
    allowedIps: new IpAllowList(m.get('allowed_ips', list(cidr, { nonEmpty: true, allowSingle: true }), true) ?? []),
    maxBinds: m.get('max_binds', int({ min: 1, max: 10_000 })) ?? d.maxBinds,
    bindTypes: bindTypes ? [...new Set(bindTypes)] : [...BIND_TYPES],
    throughput: m.get('throughput', int({ min: 0 })) ?? d.throughput,
    routes: m.get('routes', list(reference(refs, 'route'), { allowSingle: true })),
    senderIds: senders === undefined ? undefined : splitSenders(senders),
    requireTls,
    window: m.get('window', int({ min: 1, max: 10_000 })) ?? server.window,
  };
}

function splitSenders(entries: ReadonlyArray<string | RegExp>): SenderAllowList {
  return {
    literals: entries.filter((e): e is string => typeof e === 'string'),
    patterns: entries.filter((e): e is RegExp => e instanceof RegExp),
  };
}

/** Exactly one of `password` (plain, at most 8 characters) and `password_hash` (scrypt). */
function readCredential(m: MapView): Credential {
  const placeholder: Credential = { kind: 'plain', sha256: '' };
  const hasPlain = m.has('password');
  const hasHash = m.has('password_hash');
  if (hasPlain && hasHash) {
    m.report('password_hash', 'give either password or password_hash, not both');
    return placeholder;
  }
  if (hasHash) {
    const text = m.get('password_hash', str());
    if (text === undefined) return placeholder;
    const parsed = parsePasswordHash(text);
    if (!parsed.ok) {
      m.report('password_hash', parsed.message);
      return placeholder;
    }
    return parsed.credential;
  }
  if (!hasPlain) {
    m.report(undefined, 'missing required key: password (or password_hash)');
    return placeholder;
  }
  const plain = m.get('password', str());
  if (plain === undefined) return placeholder;
  const problem = plainPasswordProblem(plain);
  if (problem !== undefined) {
    m.report('password', `password ${problem}`);
    return placeholder;
  }
  return plainCredential(plain);
}
