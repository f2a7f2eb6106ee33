import type { SmppSession } from '../session/index.js';

/**
 * The bound ESME sessions per account: max_binds is checked here, and receipts and MO pick a
 * receiving session (BOUND_RX or BOUND_TRX) from here, round-robin over those with window space.
 */
export class EsmeRegistry {
  private readonly byAccount = new Map<string, SmppSession[]>();
  private readonly cursor = new Map<string, number>();

  count(account: string): number {
    return this.byAccount.get(account)?.length ?? 0;
  }

  /** Every account with at least one bound session. */
  accounts(): string[] {
    return [...this.byAccount.keys()];
  }

  /** A copy: callers may unbind sessions while iterating, which removes them from the registry. */
  sessions(account: string): readonly SmppSession[] {
    return [...(this.byAccount.get(account) ?? [])];
  }

  all(): SmppSession[] {
    return [...this.byAccount.values()].flat();
  }

  add(account: string, session: SmppSession): void {
    const list = this.byAccount.get(account);
    if (list) list.push(session);
    else this.byAccount.set(account, [session]);
  }

  remove(account: string, session: SmppSession): void {
    const list = this.byAccount.get(account);
    if (!list) return;
    const i = list.indexOf(session);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) {
      this.byAccount.delete(account);
      this.cursor.delete(account);
    }
  }

  /** True when the account has a session that may receive deliver_sm at all (window aside). */
  hasReceiver(account: string): boolean {
    return (this.byAccount.get(account) ?? []).some((s) => isReceiving(s));
  }

  /**
   * A receiving session with window space, rotating between them; undefined when none has room.
   * `window` caps the requests outstanding on one session below the session's own window (the
   * account's window, when the listener's sessions are sized for the largest one).
   */
  receiver(account: string, window = Infinity): SmppSession | undefined {
    const list = this.byAccount.get(account);
    if (!list || list.length === 0) return undefined;
    const start = this.cursor.get(account) ?? 0;
    for (let i = 0; i < list.length; i++) {
      const s = list[(start + i) % list.length]!;
      if (isReceiving(s) && s.canRequest && s.pendingRequests < window) {
        this.cursor.set(account, (start + i + 1) % list.length);
        return s;
      }
    }
    return undefined;
  }
}

function isReceiving(session: SmppSession): boolean {
  return !session.isClosed && (session.bindType === 'receiver' || session.bindType === 'transceiver');
}
