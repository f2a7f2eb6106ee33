import { isIPv4, isIPv6 } from 'node:net';

/** The key for a client whose address is not known (the socket closed before it was read). */
export const UNKNOWN_CLIENT = 'unknown';

/**
 * The key under which per-client limits (connections, failed binds) count a remote address.
 *
 * - IPv4, and IPv4-mapped IPv6 from a dual-stack listener (`::ffff:10.1.2.3`), count as the IPv4
 *   address, so one client cannot double its allowance by reaching both listeners.
 * - IPv6 counts per /64: a single host is normally given a whole /64 and can pick any address in
 *   it, so a per-address count would let it rotate through 2^64 identities.
 * - Anything else (a zone suffix aside) is used as it is.
 */
export function clientKey(address: string | undefined): string {
  if (address === undefined || address === '') return UNKNOWN_CLIENT;
  const zone = address.indexOf('%');
  const bare = zone < 0 ? address : address.slice(0, zone);
  if (isIPv4(bare)) return bare;
  if (!isIPv6(bare)) return bare;
  const groups = ipv6Groups(bare);
  if (groups[0] === 0 && groups[1] === 0 && groups[2] === 0 && groups[3] === 0 && groups[4] === 0 && groups[5] === 0xffff) {
    const high = groups[6]!;
    const low = groups[7]!;
    return `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;
  }
  return `${groups.slice(0, 4).map((g) => g.toString(16)).join(':')}::/64`;
}

/** The eight 16-bit groups of an address node:net already accepted as IPv6 (so at most one "::"). */
function ipv6Groups(address: string): number[] {
  let text = address;
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    // An embedded IPv4 tail ("::ffff:1.2.3.4") is two ordinary groups.
    const [a = 0, b = 0, c = 0, d = 0] = tail.split('.').map(Number);
    text = `${text.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', rest] = text.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const restGroups = rest === undefined || rest === '' ? [] : rest.split(':');
  const zeros = rest === undefined ? 0 : 8 - headGroups.length - restGroups.length;
  return [...headGroups, ...Array.from({ length: zeros }, () => '0'), ...restGroups].map((g) => parseInt(g, 16));
}
