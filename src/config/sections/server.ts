import { DEFAULTS } from '../defaults.js';
import { SCHEMA } from '../keys.js';
import { MAX_TIMER_MS, formatDuration } from '../duration.js';
import { formatHostPort, parseHostPort, type HostPort } from '../net.js';
import { MapView, bool, duration, int, listenOrOff, str, type Checker } from '../reader.js';
import type { BindLockoutConfig, ServerConfig, ServerTlsConfig } from '../types.js';


/** A timer value: positive and within what setTimeout can express. */
export const timer = duration({ min: 1, minText: '1ms', max: MAX_TIMER_MS, maxText: '24d (the longest delay a Node.js timer honours)' });

/** SMPP system_id: 16 octets with the NUL, printable ASCII. */
export const systemIdText = str({ maxLength: 15, pattern: { re: /^[\x21-\x7e]+$/, what: 'printable ASCII without spaces' } });

export function fixedAddress(text: string): HostPort {
  const parsed = parseHostPort(text, true);
  if (!parsed.ok) throw new Error(`built-in default ${text} is not an address`);
  return parsed.value;
}

export function readServer(c: Checker, m: MapView): ServerConfig {
  const d = DEFAULTS.server;
  const listen = m.get('listen', listenOrOff);
  const tls = m.has('tls') ? readServerTls(c, m.map('tls', SCHEMA['server.tls'])) : undefined;
  const timeouts = {
    enquireLinkInterval: m.get('enquire_link_interval', timer) ?? d.enquireLinkInterval,
    inactivityTimeout: m.get('inactivity_timeout', timer) ?? d.inactivityTimeout,
    sessionInitTimeout: m.get('session_init_timeout', timer) ?? d.sessionInitTimeout,
    responseTimeout: m.get('response_timeout', timer) ?? d.responseTimeout,
    unbindTimeout: m.get('unbind_timeout', timer) ?? d.unbindTimeout,
    partialPduTimeout: m.get('partial_pdu_timeout', timer) ?? d.partialPduTimeout,
  };
  const server: ServerConfig = {
    listen: listen === 'off' ? undefined : (listen ?? fixedAddress(d.listen)),
    tls,
    systemId: m.get('system_id', systemIdText) ?? d.systemId,
    maxConnections: m.get('max_connections', int({ min: 1, max: 1_000_000 })) ?? d.maxConnections,
    maxConnectionsPerIp: m.get('max_connections_per_ip', int({ min: 1, max: 1_000_000 })) ?? d.maxConnectionsPerIp,
    maxPduSize: m.get('max_pdu_size', int({ min: 256, max: 16_777_216 })) ?? d.maxPduSize,
    maxPduSizeBeforeBind: m.get('max_pdu_size_before_bind', int({ min: 128, max: 65_536 })) ?? d.maxPduSizeBeforeBind,
    ...timeouts,
    window: m.get('window', int({ min: 1, max: 10_000 })) ?? d.window,
    shutdownTimeout: m.get('shutdown_timeout', timer) ?? d.shutdownTimeout,
    bindLockout: readBindLockout(m.map('bind_lockout', SCHEMA['server.bind_lockout'])),
  };
  checkServerInvariants(c, m, server);
  return server;
}

function readServerTls(c: Checker, m: MapView): ServerTlsConfig {
  const tls: ServerTlsConfig = {
    listen: m.get('listen', (cc, node, path) => {
      const value = listenOrOff(cc, node, path);
      if (value === 'off') cc.report(node, path, 'expected "host:port"; to switch TLS off, remove the tls section');
      return value === 'off' ? undefined : value;
    }) ?? fixedAddress(DEFAULTS.server.tlsListen),
    cert: m.get('cert', str(), true) ?? '',
    key: m.get('key', str(), true) ?? '',
    ca: m.get('ca', str()),
    clientAuth: m.get('client_auth', bool) ?? DEFAULTS.server.tlsClientAuth,
  };
  if (tls.clientAuth && tls.ca === undefined && !c.failed(m.child('ca'))) {
    m.report('client_auth', 'client_auth: true needs "ca" (the CA that signs client certificates)');
  }
  return tls;
}

function readBindLockout(m: MapView): BindLockoutConfig {
  const d = DEFAULTS.server.bindLockout;
  return {
    failures: m.get('failures', int({ min: 0, max: 1_000_000 })) ?? d.failures,
    window: m.get('window', timer) ?? d.window,
    duration: m.get('duration', timer) ?? d.duration,
  };
}

/**
 * Invariants between server settings (each documented in the README configuration reference):
 * - response_timeout < enquire_link_interval: a keepalive must be answered (or given up on)
 *   before the next one is due, or unanswered keepalives pile up.
 * - enquire_link_interval < inactivity_timeout: the keepalive traffic itself must keep an idle
 *   but healthy session from being closed as inactive.
 * - unbind_timeout < shutdown_timeout: a graceful unbind has to fit inside the shutdown deadline.
 * - max_pdu_size_before_bind <= max_pdu_size, max_connections_per_ip <= max_connections.
 * - at least one listener (plain or TLS), and not both on the same address.
 */
function checkServerInvariants(c: Checker, m: MapView, s: ServerConfig): void {
  const ordered = (smaller: string, larger: string, a: number, b: number, why: string) => {
    if (c.failed(m.child(smaller), m.child(larger)) || a < b) return;
    const at = m.has(larger) ? larger : smaller;
    m.report(at, `${smaller} (${formatDuration(a)}) must be less than ${larger} (${formatDuration(b)}): ${why}`);
  };
  ordered('response_timeout', 'enquire_link_interval', s.responseTimeout, s.enquireLinkInterval, 'a keepalive must be answered before the next is due');
  ordered('enquire_link_interval', 'inactivity_timeout', s.enquireLinkInterval, s.inactivityTimeout, 'keepalives must keep a healthy idle session open');
  ordered('unbind_timeout', 'shutdown_timeout', s.unbindTimeout, s.shutdownTimeout, 'a graceful unbind must fit in the shutdown deadline');
  if (!c.failed(m.child('max_pdu_size'), m.child('max_pdu_size_before_bind')) && s.maxPduSizeBeforeBind > s.maxPduSize) {
    m.report(m.has('max_pdu_size_before_bind') ? 'max_pdu_size_before_bind' : 'max_pdu_size', `max_pdu_size_before_bind (${s.maxPduSizeBeforeBind}) must not exceed max_pdu_size (${s.maxPduSize})`);
  }
  if (!c.failed(m.child('max_connections'), m.child('max_connections_per_ip')) && s.maxConnectionsPerIp > s.maxConnections) {
    m.report(m.has('max_connections_per_ip') ? 'max_connections_per_ip' : 'max_connections', `max_connections_per_ip (${s.maxConnectionsPerIp}) must not exceed max_connections (${s.maxConnections})`);
  }
  if (s.listen === undefined && s.tls === undefined && !c.failed(m.child('listen'))) {
    m.report('listen', 'listen is off and there is no tls section: ESMEs could not connect at all');
  }
  if (s.listen !== undefined && s.tls !== undefined && s.listen.port !== 0 && formatHostPort(s.listen) === formatHostPort(s.tls.listen)) {
    m.report('tls', `tls.listen ${formatHostPort(s.tls.listen)} is the same address as the plain listener`);
  }
}
