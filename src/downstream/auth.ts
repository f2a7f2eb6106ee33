import type { AccountConfig, Config } from '../config/types.js';
import { randomBytes } from 'node:crypto';
import { hashPassword, parsePasswordHash, plainCredential, verifyPasswordAsync, type Credential } from '../config/password.js';
import type { AuthContext, AuthResult, BindCommand } from '../session/index.js';
import { bindTypeOf } from '../session/index.js';
import { Status, type PduOf } from '../smpp/index.js';

/** What a refused bind got wrong; the failed-bind lockout counts only guesses (credentials, address). */
export const BindRefusal = {
  credentials: 'credentials',
  source_address: 'source_address',
  bind_type: 'bind_type',
  tls_required: 'tls_required',
  max_binds: 'max_binds',
} as const;
export type BindRefusal = (typeof BindRefusal)[keyof typeof BindRefusal];

export interface BindDecision extends AuthResult {
  account?: AccountConfig;
  /** Why a bind was refused, for logs and metrics; never sent to the client. */
  reason?: string;
  refusal?: BindRefusal;
}

/**
 * A credential no password matches, checked when the system_id is unknown so that an unknown
 * account costs the same work as a wrong password and the answer time does not reveal which.
 * When any account stores an scrypt hash, the decoy is an scrypt hash too (made once per
 * config), or an unknown name would answer measurably faster than a wrong password.
 */
const decoys = new WeakMap<Config, { credential: Credential }>();

function decoyFor(config: Config): { credential: Credential } {
  let decoy = decoys.get(config);
  if (decoy === undefined) {
    const random = randomBytes(6).toString('base64url').slice(0, 8);
    const hashed = Object.values(config.accounts).find((a) => a.credential.kind !== 'plain');
    const parsed = hashed === undefined ? undefined : parsePasswordHash(hashPassword(random));
    decoy = { credential: parsed?.ok === true ? parsed.credential : plainCredential(random) };
    decoys.set(config, decoy);
  }
  return decoy;
}

/**
 * Decides a bind: account known, password right (constant time), source IP allowed, bind type
 * allowed, TLS when the account requires it, and max_binds not reached. Every refusal is
 * ESME_RBINDFAIL, so a client cannot tell an unknown account from a wrong password.
 */
export async function decideBind(
  config: Config,
  bind: PduOf<BindCommand>,
  context: AuthContext,
  boundCount: (account: string) => number,
): Promise<BindDecision> {
  const systemId = bind.body.system_id;
  const account = Object.hasOwn(config.accounts, systemId) ? config.accounts[systemId] : undefined;
  const passwordOk = await verifyPasswordAsync(account ?? decoyFor(config), bind.body.password);
  const refuse = (refusal: BindRefusal, reason: string): BindDecision => ({ status: Status.ESME_RBINDFAIL, reason, refusal });
  if (account === undefined) return refuse(BindRefusal.credentials, 'unknown system_id');
  if (!passwordOk) return refuse(BindRefusal.credentials, 'wrong password');
  if (context.remoteAddress === undefined || !account.allowedIps.allows(context.remoteAddress)) {
    return refuse(BindRefusal.source_address, `source address ${context.remoteAddress ?? '?'} not allowed`);
  }
  const type = bindTypeOf(bind.command);
  if (type === undefined || !account.bindTypes.includes(type)) return refuse(BindRefusal.bind_type, `bind type ${type ?? bind.command} not allowed`);
  if (account.requireTls && !context.tls) return refuse(BindRefusal.tls_required, 'account requires TLS');
  if (boundCount(account.name) >= account.maxBinds) return refuse(BindRefusal.max_binds, `max_binds (${account.maxBinds}) reached`);
  return { status: Status.ESME_ROK, systemId: config.server.systemId, account };
}
