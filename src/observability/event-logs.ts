import type { BindEvent, BindRejectedEvent, CarrierStateEvent, FailoverEvent, ProxyEvents } from '../broker/events.js';
import { listenSafely } from './guard.js';
import { bindRefusalLabel } from './labels.js';
import type { Logger } from './logger.js';

export interface EventLogOptions {
  /**
   * Failover lines per route, carrier and reason at most once per this many ms; the next line
   * after a quiet spell carries how many were folded into it. A carrier that goes bad under load
   * fails over every submit, and thousands of identical lines a second would bury everything
   * else (smpp_failovers_total counts each one). 0 logs every failover. Default 1000.
   */
  failoverIntervalMs?: number;
  now?: () => number;
}

/**
 * Operational log lines from the event bus: binds and unbinds on both sides, refused binds,
 * carrier state changes and failovers. Only names, addresses, bind types and reasons are
 * written: events carry no password, and message text is never read here.
 * Returns the function that detaches the listeners.
 */
export function attachEventLogs(events: ProxyEvents, logger: Logger, options: EventLogOptions = {}): () => void {
  const log = logger.child({ component: 'events' });
  const failoverIntervalMs = options.failoverIntervalMs ?? 1_000;
  const now = options.now ?? Date.now;

  const onBind = (e: BindEvent): void => {
    const fields = { side: e.side, peer: e.peer, bindType: e.bindType, remote: e.remote, session: e.sessionId || undefined };
    if (e.up) log.info(fields, e.side === 'esme' ? 'ESME bound' : 'carrier bound');
    else log.info({ ...fields, reason: e.reason }, e.side === 'esme' ? 'ESME unbound' : 'carrier unbound');
  };

  const onBindRejected = (e: BindRejectedEvent): void => {
    const fields = { systemId: e.systemId, remote: e.remote, reason: e.reason };
    // A locked-out client retrying would write a line per attempt; the lockout itself was logged
    // when the failure that caused it was, and smpp_bind_rejections_total counts every attempt.
    if (bindRefusalLabel(e.reason) === 'locked_out') log.debug(fields, 'ESME bind refused');
    else log.info(fields, 'ESME bind refused');
  };

  // The pool reports its state on every bind change; only a change of what operators see is logged.
  const lastState = new Map<string, { bound: boolean; sessions: number; circuitOpen: boolean }>();
  const onCarrierState = (e: CarrierStateEvent): void => {
    const previous = lastState.get(e.carrier);
    const state = { bound: e.boundSessions > 0, sessions: e.boundSessions, circuitOpen: e.circuitOpen };
    if (previous !== undefined && previous.sessions === state.sessions && previous.circuitOpen === state.circuitOpen) return;
    lastState.set(e.carrier, state);
    const fields = { carrier: e.carrier, boundSessions: e.boundSessions, circuitOpen: e.circuitOpen };
    const degraded = (!state.bound && previous?.bound !== false) || (state.circuitOpen && previous?.circuitOpen !== true);
    if (degraded && previous !== undefined) log.warn(fields, state.circuitOpen ? 'carrier circuit open' : 'carrier has no bound session');
    else log.info(fields, 'carrier state');
  };

  const failoverWindows = new Map<string, { loggedAt: number; folded: number }>();
  const onFailover = (e: FailoverEvent): void => {
    const fields = { account: e.account, route: e.route, fromCarrier: e.fromCarrier, reason: e.reason };
    if (failoverIntervalMs <= 0) {
      log.info(fields, 'failover');
      return;
    }
    const key = `${e.route}|${e.fromCarrier}|${e.reason}`;
    const at = now();
    const window = failoverWindows.get(key);
    if (window !== undefined && at - window.loggedAt < failoverIntervalMs) {
      window.folded++;
      return;
    }
    log.info(window !== undefined && window.folded > 0 ? { ...fields, suppressedSincePrevious: window.folded } : fields, 'failover');
    failoverWindows.set(key, { loggedAt: at, folded: 0 });
    // Keys are route x carrier x reason: bounded in practice, but never left to grow without limit.
    if (failoverWindows.size > 10_000) failoverWindows.clear();
  };

  return listenSafely(events, { bind: onBind, bind_rejected: onBindRejected, carrier_state: onCarrierState, failover: onFailover });
}
