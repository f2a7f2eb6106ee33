import { describe, expect, it } from 'vitest';
import { IpAllowList, formatHostPort, isLoopbackHost, parseCidr, parseHostPort, type CidrBlock } from '../../src/config/index.js';

function allowList(...texts: string[]): IpAllowList {
  return new IpAllowList(
    texts.map((text) => {
      const parsed = parseCidr(text);
      if (!parsed.ok) throw new Error(parsed.message);
      return parsed.value as CidrBlock;
    }),
  );
}

describe('IP allow lists', () => {
  it('matches IPv4 blocks at their boundaries', () => {
    const list = allowList('10.20.0.0/14');
    expect(list.allows('10.20.0.0')).toBe(true);
    expect(list.allows('10.23.255.255')).toBe(true);
    expect(list.allows('10.24.0.0')).toBe(false);
    expect(list.allows('10.19.255.255')).toBe(false);
  });

  it('treats a bare address as a single host and /0 as everything', () => {
    expect(allowList('192.0.2.7').allows('192.0.2.7')).toBe(true);
    expect(allowList('192.0.2.7').allows('192.0.2.8')).toBe(false);
    expect(allowList('0.0.0.0/0').allows('203.0.113.9')).toBe(true);
    expect(allowList('0.0.0.0/0').allows('2001:db8::1')).toBe(false);
    expect(allowList('::/0').allows('2001:db8::1')).toBe(true);
  });

  it('matches IPv6 blocks, compressed or not, with embedded IPv4 tails', () => {
    const list = allowList('2001:db8:abcd::/48');
    expect(list.allows('2001:db8:abcd:12::1')).toBe(true);
    expect(list.allows('2001:0db8:abcd:0000:0000:0000:0000:0001')).toBe(true);
    expect(list.allows('2001:db8:abce::1')).toBe(false);
    expect(allowList('::1').allows('0:0:0:0:0:0:0:1')).toBe(true);
    expect(allowList('64:ff9b::/96').allows('64:ff9b::192.0.2.33')).toBe(true);
  });

  it('checks IPv4-mapped clients of a dual-stack listener as IPv4, and IPv4 clients against mapped blocks', () => {
    expect(allowList('127.0.0.0/8').allows('::ffff:127.0.0.1')).toBe(true);
    expect(allowList('127.0.0.0/8').allows('::ffff:128.0.0.1')).toBe(false);
    expect(allowList('::ffff:10.0.0.0/104').allows('10.9.9.9')).toBe(true);
    expect(allowList('::1').allows('127.0.0.1')).toBe(false);
  });

  it('ignores an IPv6 zone index and refuses anything that is not an address', () => {
    expect(allowList('fe80::/10').allows('fe80::1%eth0')).toBe(true);
    expect(allowList('0.0.0.0/0', '::/0').allows('localhost')).toBe(false);
    expect(allowList('0.0.0.0/0', '::/0').allows('')).toBe(false);
  });
});

describe('CIDR syntax', () => {
  it.each(['10.0.0.0/33', '10.0.0.0/-1', '10.0.0.0/', '10.0.0/8', '1.2.3.4.5', 'fe80::/200', 'gggg::/16', '10.0.0.0/8/8', ' 10.0.0.0/8'])('rejects %s', (text) => {
    expect(parseCidr(text).ok).toBe(false);
  });

  it('suggests the network of a block written with host bits', () => {
    const parsed = parseCidr('192.168.1.77/24');
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.message).toContain('did you mean "192.168.1.0/24"?');
  });
});

describe('host:port', () => {
  it('parses hosts, IPv4 and bracketed IPv6', () => {
    expect(parseHostPort('smsc.example.net:2775', false)).toEqual({ ok: true, value: { host: 'smsc.example.net', port: 2775 } });
    expect(parseHostPort('[2001:db8::1]:3550', false)).toEqual({ ok: true, value: { host: '2001:db8::1', port: 3550 } });
    expect(parseHostPort('127.0.0.1:0', true)).toEqual({ ok: true, value: { host: '127.0.0.1', port: 0 } });
    expect(formatHostPort({ host: '::1', port: 9090 })).toBe('[::1]:9090');
  });

  it.each([
    ['127.0.0.1:0', false],
    ['127.0.0.1', true],
    ['127.0.0.1:65536', true],
    ['127.0.0.1:port', true],
    [':2775', true],
    ['::1:2775', true],
    ['[::1]2775', true],
    ['[nothost]:1', true],
    ['bad_host!:1', true],
  ] as const)('rejects %s', (text, allowZero) => {
    expect(parseHostPort(text, allowZero).ok).toBe(false);
  });

  it('knows which listen hosts are loopback only', () => {
    expect(['127.0.0.1', '127.9.9.9', '::1', 'localhost', '::ffff:127.0.0.1'].map(isLoopbackHost)).toEqual([true, true, true, true, true]);
    expect(['0.0.0.0', '::', '10.0.0.1', 'example.net'].map(isLoopbackHost)).toEqual([false, false, false, false]);
  });
});
