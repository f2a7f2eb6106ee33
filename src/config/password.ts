import { createHash, createHmac, randomBytes, scrypt, scryptSync, timingSafeEqual } from 'node:crypto';

/**
 * Account credentials. The configuration never keeps an account's plain password: a plain
 * `password:` is stored as its SHA-256 digest, a `password_hash:` as its scrypt parameters.
 *
 * Hash format (one string, `$`-separated, base64 standard alphabet, padding optional):
 *
 *     scrypt$<N>$<r>$<p>$<salt>$<hash>
 *
 * N is the CPU/memory cost (a power of two, 2^10..2^20), r the block size (1..32), p the
 * parallelisation (1..16); the salt is at least 16 bytes and the hash 16..64 bytes.
 * `hashPassword()` writes N=2^15, r=8, p=1, a 16-byte random salt and a 32-byte hash.
 */

export type Credential =
  | { readonly kind: 'plain'; readonly sha256: string }
  | {
      readonly kind: 'scrypt';
      readonly N: number;
      readonly r: number;
      readonly p: number;
      readonly salt: string;
      readonly hash: string;
    };

/** SMPP 3.4 password field: 9 octets including the terminating NUL. */
export const MAX_SMPP_PASSWORD_LENGTH = 8;

export class InvalidPasswordError extends Error {
  override readonly name = 'InvalidPasswordError';
}

export interface ScryptParameters {
  N: number;
  r: number;
  p: number;
}

export const DEFAULT_SCRYPT: Readonly<ScryptParameters> = Object.freeze({ N: 2 ** 15, r: 8, p: 1 });

const LIMITS = { minLog2N: 10, maxLog2N: 20, maxR: 32, maxP: 16, minSalt: 16, minHash: 16, maxHash: 64 } as const;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Why a plain SMPP password is unusable, or undefined when it is fine. */
export function plainPasswordProblem(plain: string): string | undefined {
  if (plain.length === 0) return 'must not be empty';
  if (plain.length > MAX_SMPP_PASSWORD_LENGTH) {
    return `is ${plain.length} characters; SMPP passwords are at most ${MAX_SMPP_PASSWORD_LENGTH}`;
  }
  if (!/^[\x20-\x7e]+$/.test(plain)) return 'may only hold printable ASCII characters';
  return undefined;
}

export function plainCredential(plain: string): Credential {
  return { kind: 'plain', sha256: sha256Hex(plain) };
}

/** A credential from a `password_hash` string, or a message saying what is wrong with it. */
export function parsePasswordHash(text: string): { ok: true; credential: Credential } | { ok: false; message: string } {
  const fail = (why: string) => ({ ok: false as const, message: `expected "scrypt$<N>$<r>$<p>$<salt base64>$<hash base64>": ${why}` });
  const parts = text.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return fail('wrong number of fields or not an scrypt hash');
  const [, nText = '', rText = '', pText = '', salt = '', hash = ''] = parts;
  const N = Number(nText);
  const r = Number(rText);
  const p = Number(pText);
  if (!/^\d+$/.test(nText) || !isPowerOfTwo(N) || N < 2 ** LIMITS.minLog2N || N > 2 ** LIMITS.maxLog2N) {
    return fail(`N must be a power of two from 2^${LIMITS.minLog2N} to 2^${LIMITS.maxLog2N}, got ${JSON.stringify(nText)}`);
  }
  if (!/^\d+$/.test(rText) || r < 1 || r > LIMITS.maxR) return fail(`r must be 1..${LIMITS.maxR}, got ${JSON.stringify(rText)}`);
  if (!/^\d+$/.test(pText) || p < 1 || p > LIMITS.maxP) return fail(`p must be 1..${LIMITS.maxP}, got ${JSON.stringify(pText)}`);
  if (!BASE64.test(salt) || Buffer.from(salt, 'base64').length < LIMITS.minSalt) {
    return fail(`salt must be base64 of at least ${LIMITS.minSalt} bytes`);
  }
  const hashLength = BASE64.test(hash) ? Buffer.from(hash, 'base64').length : 0;
  if (hashLength < LIMITS.minHash || hashLength > LIMITS.maxHash) {
    return fail(`hash must be base64 of ${LIMITS.minHash}..${LIMITS.maxHash} bytes`);
  }
  return { ok: true, credential: { kind: 'scrypt', N, r, p, salt, hash } };
}

/** A `password_hash` value for the configuration file. Throws InvalidPasswordError for a password SMPP cannot carry. */
export function hashPassword(plain: string, parameters: ScryptParameters = DEFAULT_SCRYPT): string {
  const problem = plainPasswordProblem(plain);
  if (problem !== undefined) throw new InvalidPasswordError(`password ${problem}`);
  const { N, r, p } = parameters;
  if (!isPowerOfTwo(N) || N < 2 ** LIMITS.minLog2N || N > 2 ** LIMITS.maxLog2N || r < 1 || r > LIMITS.maxR || p < 1 || p > LIMITS.maxP) {
    throw new InvalidPasswordError(`scrypt parameters out of range: N=${N} r=${r} p=${p}`);
  }
  const salt = randomBytes(16);
  const hash = scryptSync(Buffer.from(plain, 'latin1'), salt, 32, { N, r, p, maxmem: maxmem(N, r) });
  return `scrypt$${N}$${r}$${p}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/**
 * Constant-time check of a bind password. Blocks the event loop for one scrypt run on a hashed
 * account the first time a given password is seen; prefer verifyPasswordAsync on a live server.
 */
export function verifyPassword(account: { readonly credential: Credential }, candidate: string): boolean {
  const credential = account.credential;
  if (credential.kind === 'plain') return digestsEqual(sha256Hex(candidate), credential.sha256);
  if (rememberedMatch(credential, candidate)) return true;
  const derived = scryptSync(Buffer.from(candidate, 'latin1'), Buffer.from(credential.salt, 'base64'), hashBytes(credential), scryptOptions(credential));
  return settle(credential, candidate, derived);
}

/** Same answer as verifyPassword, with the scrypt work on the libuv thread pool instead of the event loop. */
export async function verifyPasswordAsync(account: { readonly credential: Credential }, candidate: string): Promise<boolean> {
  const credential = account.credential;
  if (credential.kind === 'plain') return digestsEqual(sha256Hex(candidate), credential.sha256);
  if (rememberedMatch(credential, candidate)) return true;
  const derived = await new Promise<Buffer>((resolve, reject) => {
    scrypt(Buffer.from(candidate, 'latin1'), Buffer.from(credential.salt, 'base64'), hashBytes(credential), scryptOptions(credential), (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
  return settle(credential, candidate, derived);
}

/*
 * An ESME rebinds often (every reconnect, several sessions at once), and a full scrypt run per
 * bind would cost tens of milliseconds each time. After a password has verified once, an HMAC of
 * it under a per-process random key is remembered, so later binds with the right password are
 * cheap; a wrong password never matches the memo and always pays the full scrypt price.
 */
const memoKey = randomBytes(32);
const verified = new WeakMap<Credential, Buffer>();

function rememberedMatch(credential: Credential, candidate: string): boolean {
  const known = verified.get(credential);
  return known !== undefined && timingSafeEqual(known, memo(candidate));
}

function settle(credential: Credential & { kind: 'scrypt' }, candidate: string, derived: Buffer): boolean {
  const ok = timingSafeEqual(derived, Buffer.from(credential.hash, 'base64'));
  if (ok) verified.set(credential, memo(candidate));
  return ok;
}

function memo(candidate: string): Buffer {
  return createHmac('sha256', memoKey).update(candidate, 'latin1').digest();
}

/** Both sides are 64 hex characters, so timingSafeEqual never sees unequal lengths. */
function digestsEqual(a: string, b: string): boolean {
  return timingSafeEqual(Buffer.from(a, 'hex'), Buffer.from(b, 'hex'));
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'latin1').digest('hex');
}

function hashBytes(credential: Credential & { kind: 'scrypt' }): number {
  return Buffer.from(credential.hash, 'base64').length;
}

function scryptOptions(credential: Credential & { kind: 'scrypt' }) {
  return { N: credential.N, r: credential.r, p: credential.p, maxmem: maxmem(credential.N, credential.r) };
}

/** scrypt needs 128*N*r bytes; leave headroom so Node's default 32 MiB cap never refuses a valid hash. */
function maxmem(N: number, r: number): number {
  return 2 * 128 * N * r + 1024 * 1024;
}

function isPowerOfTwo(n: number): boolean {
  return Number.isSafeInteger(n) && n > 0 && (n & (n - 1)) === 0;
}
