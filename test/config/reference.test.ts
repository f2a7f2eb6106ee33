import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULTS, SCHEMA, parseDuration } from '../../src/config/index.js';

/** The configuration reference is the README section of that name: the one place operators read. */
const readme = readFileSync('README.md', 'utf8');
const start = readme.indexOf('\n## Configuration reference');
const end = readme.indexOf('\n## ', start + 1);
const reference = start < 0 ? '' : readme.slice(start, end < 0 ? undefined : end);

/** Key -> default cell of every table row whose first cell is a backticked key. */
const documented = new Map<string, string>();
for (const line of reference.split('\n')) {
  const match = /^\| `([^`]+)` \| [^|]+ \| ([^|]+) \|/.exec(line);
  if (match?.[1] !== undefined && match[2] !== undefined) documented.set(match[1], match[2].trim());
}

const schemaKeys = Object.entries(SCHEMA).flatMap(([section, keys]) => keys.map((key) => (section === '' ? key : `${section}.${key}`)));

function cell(key: string): string {
  const value = documented.get(key);
  if (value === undefined) throw new Error(`${key} is not documented`);
  return value.replace(/^`|`$/g, '');
}

describe('README configuration reference', () => {
  it('documents exactly the keys the loader accepts', () => {
    expect([...documented.keys()].sort()).toEqual([...schemaKeys].sort());
  });

  it('states the same durations as the built-in defaults', () => {
    const durations: Array<[string, number]> = [
      ['server.enquire_link_interval', DEFAULTS.server.enquireLinkInterval],
      ['server.inactivity_timeout', DEFAULTS.server.inactivityTimeout],
      ['server.session_init_timeout', DEFAULTS.server.sessionInitTimeout],
      ['server.response_timeout', DEFAULTS.server.responseTimeout],
      ['server.unbind_timeout', DEFAULTS.server.unbindTimeout],
      ['server.partial_pdu_timeout', DEFAULTS.server.partialPduTimeout],
      ['server.shutdown_timeout', DEFAULTS.server.shutdownTimeout],
      ['server.bind_lockout.window', DEFAULTS.server.bindLockout.window],
      ['server.bind_lockout.duration', DEFAULTS.server.bindLockout.duration],
      ['store.receipt_ttl', DEFAULTS.store.receiptTtl],
      ['store.mo_ttl', DEFAULTS.store.moTtl],
      ['store.id_map_ttl', DEFAULTS.store.idMapTtl],
      ['nats.stream.max_age', DEFAULTS.nats.stream.maxAge],
      ['nats.stream.duplicate_window', DEFAULTS.nats.stream.duplicateWindow],
      ['carriers.<name>.enquire_link_interval', DEFAULTS.carrier.enquireLinkInterval],
      ['carriers.<name>.response_timeout', DEFAULTS.carrier.responseTimeout],
      ['carriers.<name>.reconnect.initial', DEFAULTS.carrier.reconnect.initial],
      ['carriers.<name>.reconnect.max', DEFAULTS.carrier.reconnect.max],
      ['carriers.<name>.circuit_breaker.cooldown', DEFAULTS.carrier.circuitBreaker.cooldown],
      ['carriers.<name>.simulator.dlr_delay', DEFAULTS.simulator.dlrDelay],
    ];
    for (const [key, ms] of durations) expect(parseDuration(cell(key)), key).toEqual({ ok: true, ms });
  });

  it('states the same values as the built-in defaults', () => {
    const values: Array<[string, string | number | boolean]> = [
      ['server.listen', DEFAULTS.server.listen],
      ['server.tls.listen', DEFAULTS.server.tlsListen],
      ['server.tls.client_auth', DEFAULTS.server.tlsClientAuth],
      ['server.system_id', DEFAULTS.server.systemId],
      ['server.max_connections', DEFAULTS.server.maxConnections],
      ['server.max_connections_per_ip', DEFAULTS.server.maxConnectionsPerIp],
      ['server.max_pdu_size', DEFAULTS.server.maxPduSize],
      ['server.max_pdu_size_before_bind', DEFAULTS.server.maxPduSizeBeforeBind],
      ['server.window', DEFAULTS.server.window],
      ['server.bind_lockout.failures', DEFAULTS.server.bindLockout.failures],
      ['admin.listen', DEFAULTS.admin.listen],
      ['store.path', DEFAULTS.store.path],
      ['nats.enabled', DEFAULTS.nats.enabled],
      ['nats.subject_prefix', DEFAULTS.nats.subjectPrefix],
      ['nats.stream.name', DEFAULTS.nats.stream.name],
      ['nats.stream.replicas', DEFAULTS.nats.stream.replicas],
      ['nats.outbox_max_events', DEFAULTS.nats.outboxMaxEvents],
      ['log.level', DEFAULTS.log.level],
      ['log.pretty', DEFAULTS.log.pretty],
      ['accounts.<name>.max_binds', DEFAULTS.account.maxBinds],
      ['accounts.<name>.throughput', DEFAULTS.account.throughput],
      ['accounts.<name>.require_tls', DEFAULTS.account.requireTls],
      ['carriers.<name>.bind', DEFAULTS.carrier.bind],
      ['carriers.<name>.sessions', DEFAULTS.carrier.sessions],
      ['carriers.<name>.window', DEFAULTS.carrier.window],
      ['carriers.<name>.throughput', DEFAULTS.carrier.throughput],
      ['carriers.<name>.message_id_format', DEFAULTS.carrier.messageIdFormat],
      ['carriers.<name>.circuit_breaker.failures', DEFAULTS.carrier.circuitBreaker.failures],
      ['carriers.<name>.tls.verify', DEFAULTS.carrier.tlsVerify],
      ['carriers.<name>.system_type', `"${DEFAULTS.carrier.systemType}"`],
      ['carriers.<name>.simulator.dlr_status', DEFAULTS.simulator.dlrStatus],
      ['carriers.<name>.simulator.fail_ratio', DEFAULTS.simulator.failRatio],
      ['carriers.<name>.simulator.fail_status', `0x${DEFAULTS.simulator.failStatus.toString(16).padStart(2, '0')}`],
      ['carriers.<name>.simulator.message_id_format', DEFAULTS.simulator.messageIdFormat],
      ['carriers.<name>.simulator.throughput', DEFAULTS.simulator.throughput],
    ];
    for (const [key, value] of values) expect(cell(key), key).toBe(String(value));
    expect(cell('nats.servers')).toBe(JSON.stringify(DEFAULTS.nats.servers));
  });
});
