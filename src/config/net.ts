import { isIP, isIPv4, isIPv6 } from 'node:net';

/** A parsed `host:port`; an IPv6 host is kept without its brackets, as node:net expects it. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; message: string };

const HOSTNAME = /^(?=.{1,253}$)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;

/** True for an IPv4 or IPv6 literal or an RFC 1123 host name. */
export function isValidHost(host: string): boolean {
  return isIP(host) !== 0 || HOSTNAME.test(host);
}

/**
 * `host:port`, `[ipv6]:port`. Port 0 is accepted only when `allowPortZero` is set (a listener
 * asking the OS for a free port, which tests rely on); a peer address needs a real port.
 */
export function parseHostPort(text: string, allowPortZero: boolean): ParseResult<HostPort> {
  const bad = (why: string): ParseResult<HostPort> => ({ ok: false, message: `expected "host:port" (IPv6 as "[::1]:2775"), got ${JSON.stringify(text)}: ${why}` });
  let host: string;
  let portText: string;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0 || text[close + 1] !== ':') return bad('missing "]:" after the IPv6 address');
    host = text.slice(1, close);
    portText = text.slice(close + 2);
    if (!isIPv6(host)) return bad(`${JSON.stringify(host)} is not an IPv6 address`);
  } else {
    const colon = text.lastIndexOf(':');
    if (colon < 0) return bad('no port');
    host = text.slice(0, colon);
    portText = text.slice(colon + 1);
    if (host.includes(':')) return bad('put an IPv6 address in brackets');
    if (!isValidHost(host)) return bad(`${JSON.stringify(host)} is not a valid host name or address`);
  }
  const port = parsePort(portText, allowPortZero);
  if (!port.ok) return bad(port.message);
  return { ok: true, value: { host, port: port.value } };
}

export function parsePort(text: string, allowZero: boolean): ParseResult<number> {
  if (!/^\d{1,5}$/.test(text)) return { ok: false, message: `port ${JSON.stringify(text)} is not a number` };
  const port = Number(text);
  const min = allowZero ? 0 : 1;
  if (port < min || port > 65_535) return { ok: false, message: `port ${port} is outside ${min}..65535` };
  return { ok: true, value: port };
}

export function formatHostPort(address: HostPort): string {
  return isIPv6(address.host) ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}

/** True for addresses that only this machine can reach (used to decide whether the admin API needs a token). */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  const v4 = isIPv4(host) ? ipv4ToBigInt(host) : undefined;
  if (v4 !== undefined) return v4 >> 24n === 127n;
  if (isIPv6(host)) {
    const v6 = ipv6ToBigInt(host);
    if (v6 === 1n) return true;
    const mapped = unmapIpv4(v6);
    return mapped !== undefined && mapped >> 24n === 127n;
  }
  return false;
}

/** One `address/length` block, as numbers so that matching is two shifts and a compare. */
export interface CidrBlock {
  readonly text: string;
  readonly family: 4 | 6;
  readonly network: bigint;
  readonly prefixLength: number;
}

/**
 * `10.0.0.0/8`, `2001:db8::/32`, or a bare address (a /32 or /128 block). A block with host bits
 * set (`10.0.0.1/8`) is refused: it is almost always a typo for a narrower or wider block.
 */
export function parseCidr(text: string): ParseResult<CidrBlock> {
  const slash = text.indexOf('/');
  const addressText = slash < 0 ? text : text.slice(0, slash);
  const lengthText = slash < 0 ? undefined : text.slice(slash + 1);
  const family = isIPv4(addressText) ? 4 : isIPv6(addressText) ? 6 : 0;
  if (family === 0) {
    return { ok: false, message: `expected an IP address or CIDR block like "10.0.0.0/8" or "2001:db8::/32", got ${JSON.stringify(text)}` };
  }
  const bits = family === 4 ? 32 : 128;
  let prefixLength = bits;
  if (lengthText !== undefined) {
    if (!/^\d{1,3}$/.test(lengthText) || Number(lengthText) > bits) {
      return { ok: false, message: `prefix length in ${JSON.stringify(text)} must be 0..${bits}` };
    }
    prefixLength = Number(lengthText);
  }
  const address = family === 4 ? ipv4ToBigInt(addressText) : ipv6ToBigInt(addressText);
  const network = maskTo(address, bits, prefixLength);
  if (network !== address) {
    const suggestion = `${family === 4 ? bigIntToIpv4(network) : bigIntToIpv6(network)}/${prefixLength}`;
    return { ok: false, message: `${JSON.stringify(text)} has host bits set (did you mean "${suggestion}"?)` };
  }
  return { ok: true, value: { text, family, network, prefixLength } };
}

/**
 * Source-IP allow list of an account. Clients of a dual-stack listener show up as IPv4-mapped
 * IPv6 (`::ffff:127.0.0.1`); they are checked against IPv4 blocks as the IPv4 address they are,
 * and against IPv6 blocks in their mapped form, so either way of writing a rule works.
 */
export class IpAllowList {
  readonly blocks: readonly CidrBlock[];

  constructor(blocks: readonly CidrBlock[]) {
    this.blocks = Object.freeze([...blocks]);
  }

  /** `remoteAddress` as node:net reports it; anything that is not an IP literal is refused. */
  allows(remoteAddress: string): boolean {
    const zone = remoteAddress.indexOf('%');
    const address = zone < 0 ? remoteAddress : remoteAddress.slice(0, zone);
    let v4: bigint | undefined;
    let v6: bigint | undefined;
    if (isIPv4(address)) {
      v4 = ipv4ToBigInt(address);
      v6 = 0xffff_0000_0000n | v4;
    } else if (isIPv6(address)) {
      v6 = ipv6ToBigInt(address);
      v4 = unmapIpv4(v6);
    } else {
      return false;
    }
    for (const block of this.blocks) {
      const value = block.family === 4 ? v4 : v6;
      if (value !== undefined && maskTo(value, block.family === 4 ? 32 : 128, block.prefixLength) === block.network) return true;
    }
    return false;
  }

  toString(): string {
    return this.blocks.map((b) => b.text).join(', ');
  }

  /** The blocks as written, so a configuration can be JSON-serialised (bigints cannot). */
  toJSON(): string[] {
    return this.blocks.map((b) => b.text);
  }
}

function maskTo(address: bigint, bits: number, prefixLength: number): bigint {
  const hostBits = BigInt(bits - prefixLength);
  return (address >> hostBits) << hostBits;
}

function unmapIpv4(v6: bigint): bigint | undefined {
  return v6 >> 32n === 0xffffn ? v6 & 0xffff_ffffn : undefined;
}

/** Callers pass only strings node:net already accepted as IPv4. */
function ipv4ToBigInt(address: string): bigint {
  return address.split('.').reduce((acc, octet) => (acc << 8n) | BigInt(Number(octet)), 0n);
}

function bigIntToIpv4(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join('.');
}

/** Callers pass only strings node:net already accepted as IPv6 (so at most one "::"). */
function ipv6ToBigInt(address: string): bigint {
  let text = address;
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    // An embedded IPv4 tail ("::ffff:1.2.3.4") is two ordinary 16-bit groups.
    const v4 = ipv4ToBigInt(tail);
    text = `${text.slice(0, lastColon + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head = '', rest] = text.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const restGroups = rest === undefined || rest === '' ? [] : rest.split(':');
  const zeros = rest === undefined ? 0 : 8 - headGroups.length - restGroups.length;
  const groups = [...headGroups, ...Array.from({ length: zeros }, () => '0'), ...restGroups];
  return groups.reduce((acc, group) => (acc << 16n) | BigInt(parseInt(group, 16)), 0n);
}

function bigIntToIpv6(value: bigint): string {
  const groups: string[] = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) groups.push(((value >> shift) & 0xffffn).toString(16));
  // Compress the longest run of zero groups, as people write addresses.
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < groups.length; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < groups.length && groups[j] === '0') j++;
    if (j - i > bestLength && j - i > 1) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  if (bestStart < 0) return groups.join(':');
  return `${groups.slice(0, bestStart).join(':')}::${groups.slice(bestStart + bestLength).join(':')}`;
}
