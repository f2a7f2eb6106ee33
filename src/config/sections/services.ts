import { DEFAULTS } from '../defaults.js';
import { SCHEMA } from '../keys.js';
import { formatDuration } from '../duration.js';
import { formatHostPort, isLoopbackHost, isValidHost, parseHostPort } from '../net.js';
import { MapView, bool, duration, int, list, listenOrOff, oneOf, str, type Checker, type Reader } from '../reader.js';
import { LOG_LEVELS, type AdminConfig, type LogConfig, type NatsConfig, type StoreConfig } from '../types.js';
import { fixedAddress } from './server.js';

/** Retention and queue lifetimes: no timer runs for them, so they may exceed the 24-day timer limit. */
const ttl = duration({ min: 1_000, minText: '1s' });

export function readAdmin(c: Checker, m: MapView): AdminConfig {
  const listen = m.get('listen', listenOrOff);
  const admin: AdminConfig = {
    listen: listen === 'off' ? undefined : (listen ?? fixedAddress(DEFAULTS.admin.listen)),
    token: m.get('token', str({ pattern: { re: /^[\x21-\x7e]{16,}$/, what: 'a token of at least 16 printable ASCII characters' } })),
  };
  // The admin API can reload configuration and reveal traffic, so anything beyond loopback needs a token.
  if (admin.listen !== undefined && admin.token === undefined && !isLoopbackHost(admin.listen.host) && !c.failed(m.child('token'))) {
    m.report('listen', `admin listener on ${formatHostPort(admin.listen)} is reachable from other machines; set admin.token or listen on 127.0.0.1`);
  }
  return admin;
}

export function readStore(m: MapView): StoreConfig {
  const d = DEFAULTS.store;
  return {
    path: m.get('path', str()) ?? d.path,
    receiptTtl: m.get('receipt_ttl', ttl) ?? d.receiptTtl,
    moTtl: m.get('mo_ttl', ttl) ?? d.moTtl,
    idMapTtl: m.get('id_map_ttl', ttl) ?? d.idMapTtl,
  };
}

const NATS_SCHEMES = ['nats:', 'tls:', 'ws:', 'wss:'];

/** `nats://host:port`, `tls://...`, `ws(s)://...`, or a bare `host[:port]` as the NATS client accepts. */
const natsServer: Reader<string> = (c, node, path) => {
  const text = str()(c, node, path);
  if (text === undefined) return undefined;
  const bad = (why: string) => {
    c.report(node, path, `expected a NATS server like "nats://127.0.0.1:4222", got ${JSON.stringify(text)}: ${why}`);
    return undefined;
  };
  if (text.includes('://')) {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      return bad('not a URL');
    }
    if (!NATS_SCHEMES.includes(url.protocol)) return bad(`scheme must be one of ${NATS_SCHEMES.map((s) => s.slice(0, -1)).join(', ')}`);
    const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    if (!isValidHost(host)) return bad('no valid host');
    return text;
  }
  if (!text.includes(':')) return isValidHost(text) ? text : bad('no valid host');
  const parsed = parseHostPort(text, false);
  return parsed.ok ? text : bad(parsed.message);
};

const SUBJECT_TOKENS = { re: /^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*$/, what: 'dot-separated tokens of letters, digits, "_" or "-" (no wildcards)' };
const STREAM_NAME = { re: /^[A-Za-z0-9_-]{1,64}$/, what: 'a stream name of letters, digits, "_" or "-" (at most 64)' };

export function readNats(c: Checker, m: MapView): NatsConfig {
  const d = DEFAULTS.nats;
  const stream = m.map('stream', SCHEMA['nats.stream']);
  const nats: NatsConfig = {
    enabled: m.get('enabled', bool) ?? d.enabled,
    servers: m.get('servers', list(natsServer, { nonEmpty: true, allowSingle: true })) ?? [...d.servers],
    subjectPrefix: m.get('subject_prefix', str({ pattern: SUBJECT_TOKENS })) ?? d.subjectPrefix,
    stream: {
      name: stream.get('name', str({ pattern: STREAM_NAME })) ?? d.stream.name,
      replicas: stream.get('replicas', int({ min: 1, max: 5 })) ?? d.stream.replicas,
      maxAge: stream.get('max_age', duration({ min: 0 })) ?? d.stream.maxAge,
      duplicateWindow: stream.get('duplicate_window', duration({ min: 1_000, minText: '1s' })) ?? d.stream.duplicateWindow,
    },
    outboxMaxEvents: m.get('outbox_max_events', int({ min: 1 })) ?? d.outboxMaxEvents,
    token: m.get('token', str()),
    user: m.get('user', str()),
    password: m.get('password', str()),
    credentials: m.get('credentials', str()),
  };
  const { maxAge, duplicateWindow } = nats.stream;
  if (maxAge > 0 && duplicateWindow > maxAge && !c.failed(stream.child('max_age'), stream.child('duplicate_window'))) {
    stream.report(stream.has('duplicate_window') ? 'duplicate_window' : 'max_age', `duplicate_window (${formatDuration(duplicateWindow)}) must not exceed max_age (${formatDuration(maxAge)}); JetStream refuses such a stream`);
  }
  if ((nats.user === undefined) !== (nats.password === undefined)) {
    m.report(nats.user === undefined ? 'password' : 'user', 'user and password go together');
  }
  const methods = [nats.token !== undefined && 'token', nats.user !== undefined && 'user/password', nats.credentials !== undefined && 'credentials'].filter(Boolean);
  if (methods.length > 1) m.report(['token', 'user', 'credentials'].find((key) => m.has(key)), `choose one way to authenticate to NATS, not ${methods.join(' and ')}`);
  return nats;
}

export function readLog(m: MapView): LogConfig {
  return {
    level: m.get('level', oneOf(LOG_LEVELS)) ?? DEFAULTS.log.level,
    pretty: m.get('pretty', bool) ?? DEFAULTS.log.pretty,
  };
}
