/**
 * NATS subjects for audit events.
 *
 *   <prefix>.pdu.<esme|carrier>.<peer>.<in|out>.<command_name>
 *   <prefix>.billing.<account>
 *   <prefix>.dlr.<account>
 *   <prefix>.bind.<esme|carrier>.<peer>      (session up/down)
 *   <prefix>.bind.rejected                    (failed bind attempts)
 *
 * Peer and account names come from configuration, and a rejected bind's system_id comes from
 * whoever connected, so a token may hold dots, spaces or wildcards that would split or widen a
 * subject. Tokens are escaped rather than stripped so two different names can never share a
 * subject: every octet outside [A-Za-z0-9_-] becomes %XX (of its UTF-8 encoding), '%' included.
 */

export class AuditSubjectError extends Error {
  readonly code = 'INVALID_SUBJECT_PREFIX';
  constructor(message: string) {
    super(message);
    this.name = 'AuditSubjectError';
  }
}

const SAFE_TOKEN = /^[A-Za-z0-9_-]+$/;

export function subjectToken(value: string): string {
  if (value.length > 0 && SAFE_TOKEN.test(value)) return value;
  // A lone '%' can never come out of the escaping below, so the empty name keeps its own token.
  if (value.length === 0) return '%';
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const ch = String.fromCharCode(byte);
    out += isSafeByte(byte) ? ch : '%' + byte.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

/** The inverse of subjectToken, for consumers that want the original name back. */
export function decodeSubjectToken(token: string): string {
  if (token === '%') return '';
  if (!token.includes('%')) return token;
  const bytes: number[] = [];
  for (let i = 0; i < token.length; i++) {
    if (token[i] === '%' && /^[0-9A-Fa-f]{2}$/.test(token.slice(i + 1, i + 3))) {
      bytes.push(parseInt(token.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(token.charCodeAt(i) & 0xff);
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

function isSafeByte(byte: number): boolean {
  return (
    (byte >= 0x30 && byte <= 0x39) || // 0-9
    (byte >= 0x41 && byte <= 0x5a) || // A-Z
    (byte >= 0x61 && byte <= 0x7a) || // a-z
    byte === 0x5f || // _
    byte === 0x2d // -
  );
}

/**
 * A prefix is one or more literal tokens ("smpp", "prod.smpp"). It is configuration, so a bad
 * one is refused at start rather than escaped: an operator who wrote "smpp.*" meant something.
 */
export function validateSubjectPrefix(prefix: string): string {
  if (prefix.length === 0) throw new AuditSubjectError('subject prefix is empty');
  for (const token of prefix.split('.')) {
    if (token.length === 0) throw new AuditSubjectError(`subject prefix "${prefix}" has an empty token`);
    if (token === '*' || token === '>' || /[\s*>]/.test(token)) {
      throw new AuditSubjectError(`subject prefix "${prefix}" holds a wildcard or whitespace`);
    }
  }
  return prefix;
}

export type Side = 'esme' | 'carrier';
export type Direction = 'in' | 'out';

export function pduSubject(prefix: string, side: Side, peer: string, direction: Direction, command: string): string {
  return `${prefix}.pdu.${side}.${subjectToken(peer)}.${direction}.${subjectToken(command)}`;
}

export function billingSubject(prefix: string, account: string): string {
  return `${prefix}.billing.${subjectToken(account)}`;
}

export function dlrSubject(prefix: string, account: string): string {
  return `${prefix}.dlr.${subjectToken(account)}`;
}

export function bindSubject(prefix: string, side: Side, peer: string): string {
  return `${prefix}.bind.${side}.${subjectToken(peer)}`;
}

export function bindRejectedSubject(prefix: string): string {
  return `${prefix}.bind.rejected`;
}

/** Every subject this module produces under a prefix: what the stream must capture. */
export function streamSubjects(prefix: string): string[] {
  return [`${prefix}.>`];
}
