import { describe, expect, it } from 'vitest';
import {
  InvalidPasswordError,
  hashPassword,
  parsePasswordHash,
  verifyPassword,
  verifyPasswordAsync,
  type Credential,
} from '../../src/config/index.js';
import { plainCredential } from '../../src/config/password.js';

// The lowest cost the format accepts keeps these tests fast; the default (2^15) is exercised once.
const FAST = { N: 1024, r: 8, p: 1 };

function credentialOf(hash: string): { credential: Credential } {
  const parsed = parsePasswordHash(hash);
  if (!parsed.ok) throw new Error(parsed.message);
  return { credential: parsed.credential };
}

describe('scrypt password hashes', () => {
  it('verifies the right password and refuses others, sync and async', async () => {
    const account = credentialOf(hashPassword('s3cret', FAST));
    expect(verifyPassword(account, 's3cret')).toBe(true);
    expect(verifyPassword(account, 's3creT')).toBe(false);
    expect(verifyPassword(account, '')).toBe(false);
    expect(verifyPassword(account, 's3cret-and-more')).toBe(false);
    expect(await verifyPasswordAsync(account, 's3cret')).toBe(true);
    expect(await verifyPasswordAsync(account, 'wrong')).toBe(false);
  });

  it('refuses a wrong password even after the right one was remembered', async () => {
    const account = credentialOf(hashPassword('abc', FAST));
    expect(await verifyPasswordAsync(account, 'abc')).toBe(true);
    expect(verifyPassword(account, 'abc')).toBe(true);
    expect(verifyPassword(account, 'abd')).toBe(false);
    expect(await verifyPasswordAsync(account, 'ab')).toBe(false);
  });

  it('writes the documented format with the default cost and a fresh salt each time', () => {
    const a = hashPassword('demo');
    const b = hashPassword('demo');
    expect(a).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=$/);
    expect(a).not.toBe(b);
    expect(verifyPassword(credentialOf(a), 'demo')).toBe(true);
    expect(verifyPassword(credentialOf(b), 'demo')).toBe(true);
  });

  it('verifies a hash written by another scrypt implementation with the same parameters', async () => {
    // Derived independently: scrypt("pw", salt=16 x 0x01, N=1024, r=8, p=1, dkLen=32).
    const { scryptSync } = await import('node:crypto');
    const salt = Buffer.alloc(16, 1);
    const hash = scryptSync('pw', salt, 32, { N: 1024, r: 8, p: 1 });
    const account = credentialOf(`scrypt$1024$8$1$${salt.toString('base64').replace(/=+$/, '')}$${hash.toString('base64')}`);
    expect(verifyPassword(account, 'pw')).toBe(true);
    expect(verifyPassword(account, 'px')).toBe(false);
  });

  it('refuses passwords SMPP cannot carry', () => {
    expect(() => hashPassword('123456789')).toThrow(InvalidPasswordError);
    expect(() => hashPassword('')).toThrow(InvalidPasswordError);
    expect(() => hashPassword('pässwd')).toThrow(InvalidPasswordError);
    expect(() => hashPassword('ok', { N: 1000, r: 8, p: 1 })).toThrow(InvalidPasswordError);
  });

  it.each([
    ['not scrypt', 'bcrypt$10$abc'],
    ['too few fields', 'scrypt$1024$8$1$AAAAAAAAAAAAAAAAAAAAAA=='],
    ['N not a power of two', `scrypt$1000$8$1$${'A'.repeat(22)}$${'B'.repeat(43)}`],
    ['N too large', `scrypt$${2 ** 21}$8$1$${'A'.repeat(22)}$${'B'.repeat(43)}`],
    ['r zero', `scrypt$1024$0$1$${'A'.repeat(22)}$${'B'.repeat(43)}`],
    ['p too large', `scrypt$1024$8$99$${'A'.repeat(22)}$${'B'.repeat(43)}`],
    ['salt too short', `scrypt$1024$8$1$AAAA$${'B'.repeat(43)}`],
    ['hash not base64', `scrypt$1024$8$1$${'A'.repeat(22)}$!!!!`],
    ['hash too short', `scrypt$1024$8$1$${'A'.repeat(22)}$AAAA`],
  ])('rejects a hash with %s', (_why, text) => {
    const parsed = parsePasswordHash(text);
    expect(parsed.ok).toBe(false);
  });
});

describe('plain passwords', () => {
  it('compare exactly, without keeping the password itself', () => {
    const account = { credential: plainCredential('s3cret') };
    expect(JSON.stringify(account)).not.toContain('s3cret');
    expect(verifyPassword(account, 's3cret')).toBe(true);
    expect(verifyPassword(account, 'S3CRET')).toBe(false);
    expect(verifyPassword(account, 's3cre')).toBe(false);
    expect(verifyPassword(account, 's3cret\u0000')).toBe(false);
    expect(verifyPassword(account, 'a much longer candidate than any SMPP password')).toBe(false);
  });
});
