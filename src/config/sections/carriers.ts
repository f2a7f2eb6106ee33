import { isScalar } from 'yaml';
import { Status, type StatusName } from '../../smpp/status.js';
import { DEFAULTS } from '../defaults.js';
import { REMOTE_CARRIER_KEYS, SCHEMA } from '../keys.js';
import { formatDuration } from '../duration.js';
import { isValidHost } from '../net.js';
import { MapView, bool, duration, int, num, oneOf, str, type Checker, type Reader } from '../reader.js';
import { didYouMean } from '../suggest.js';
import {
  CARRIER_BIND_TYPES,
  MESSAGE_ID_FORMATS,
  RECEIPT_STATUSES,
  SIMULATOR_ID_FORMATS,
  type CarrierCommon,
  type CarrierConfig,
  type CarrierTlsConfig,
  type SimulatorConfig,
} from '../types.js';
import { systemIdText, timer } from './server.js';

/** Carrier names appear in NATS subjects and metric labels: letters, digits, `_`, `-`. */
export const CARRIER_NAME = { re: /^[A-Za-z0-9_-]{1,64}$/, what: 'at most 64 letters, digits, "_" or "-"' };

const STATUS_NAMES = Object.keys(Status) as StatusName[];

/** A command_status, as a number (`0x14`, `20`) or by name (`ESME_RMSGQFUL`). */
const failStatus: Reader<number> = (c, node, path) => {
  const value = isScalar(node) ? node.value : undefined;
  if (typeof value === 'string') {
    if (Object.hasOwn(Status, value)) return Status[value as StatusName];
    c.report(node, path, `unknown command_status name ${JSON.stringify(value)}${didYouMean(value, STATUS_NAMES)}`);
    return undefined;
  }
  return int({ min: 1, max: 0xffff_ffff })(c, node, path);
};

export function readCarrier(c: Checker, name: string, m: MapView): CarrierConfig {
  const common = readCommon(c, name, m);
  if (m.present('simulator')) {
    for (const key of REMOTE_CARRIER_KEYS) {
      if (m.has(key)) m.report(key, `"${key}" does not apply to a simulator carrier (remove it, or remove "simulator")`);
    }
    return { kind: 'simulator', ...common, simulator: readSimulator(m.map('simulator', SCHEMA['carriers.<name>.simulator'])) };
  }
  const tls = m.has('tls') ? readCarrierTls(m.map('tls', SCHEMA['carriers.<name>.tls'])) : undefined;
  return {
    kind: 'remote',
    ...common,
    host: m.get('host', str({ pattern: { re: { test: isValidHost }, what: 'a host name or IP address' } }), true) ?? '',
    port: m.get('port', int({ min: 1, max: 65_535 }), true) ?? 0,
    systemId: m.get('system_id', systemIdText, true) ?? '',
    password: m.get('password', str({ maxLength: 8, allowEmpty: true }), true) ?? '',
    systemType: m.get('system_type', str({ maxLength: 12, allowEmpty: true })) ?? DEFAULTS.carrier.systemType,
    tls,
  };
}

function readCommon(c: Checker, name: string, m: MapView): CarrierCommon {
  const d = DEFAULTS.carrier;
  const bind = m.get('bind', oneOf(CARRIER_BIND_TYPES)) ?? d.bind;
  const receiverSessions = m.get('receiver_sessions', int({ min: 0, max: 1_000 }));
  if (receiverSessions !== undefined && bind === 'transceiver') {
    m.report('receiver_sessions', 'receiver_sessions only applies with bind: transmitter (a transceiver bind receives on the same session)');
  }
  const reconnect = m.map('reconnect', SCHEMA['carriers.<name>.reconnect']);
  const breaker = m.map('circuit_breaker', SCHEMA['carriers.<name>.circuit_breaker']);
  const carrier: CarrierCommon = {
    name,
    bind,
    receiverSessions: bind === 'transmitter' ? (receiverSessions ?? d.receiverSessions) : 0,
    sessions: m.get('sessions', int({ min: 1, max: 1_000 })) ?? d.sessions,
    window: m.get('window', int({ min: 1, max: 10_000 })) ?? d.window,
    throughput: m.get('throughput', int({ min: 0 })) ?? d.throughput,
    enquireLinkInterval: m.get('enquire_link_interval', timer) ?? d.enquireLinkInterval,
    responseTimeout: m.get('response_timeout', timer) ?? d.responseTimeout,
    reconnect: {
      initial: reconnect.get('initial', timer) ?? d.reconnect.initial,
      max: reconnect.get('max', timer) ?? d.reconnect.max,
    },
    circuitBreaker: {
      failures: breaker.get('failures', int({ min: 1, max: 1_000_000 })) ?? d.circuitBreaker.failures,
      cooldown: breaker.get('cooldown', timer) ?? d.circuitBreaker.cooldown,
    },
    messageIdFormat: m.get('message_id_format', oneOf(MESSAGE_ID_FORMATS)) ?? d.messageIdFormat,
  };
  // Same reasoning as the server: a keepalive must be settled before the next is due.
  if (carrier.responseTimeout >= carrier.enquireLinkInterval && !c.failed(m.child('response_timeout'), m.child('enquire_link_interval'))) {
    m.report(m.has('response_timeout') ? 'response_timeout' : 'enquire_link_interval', `response_timeout (${formatDuration(carrier.responseTimeout)}) must be less than enquire_link_interval (${formatDuration(carrier.enquireLinkInterval)})`);
  }
  if (carrier.reconnect.initial > carrier.reconnect.max && !c.failed(reconnect.child('initial'), reconnect.child('max'))) {
    reconnect.report(reconnect.has('max') ? 'max' : 'initial', `reconnect.initial (${formatDuration(carrier.reconnect.initial)}) must not exceed reconnect.max (${formatDuration(carrier.reconnect.max)})`);
  }
  return carrier;
}

/** A `tls:` block turns TLS on unless it says `enabled: false`; certificate checks stay on unless `verify: false`. */
function readCarrierTls(m: MapView): CarrierTlsConfig | undefined {
  const enabled = m.get('enabled', bool) ?? true;
  const tls: CarrierTlsConfig = {
    ca: m.get('ca', str()),
    servername: m.get('servername', str({ pattern: { re: { test: isValidHost }, what: 'a host name' } })),
    verify: m.get('verify', bool) ?? DEFAULTS.carrier.tlsVerify,
  };
  return enabled ? tls : undefined;
}

function readSimulator(m: MapView): SimulatorConfig {
  const d = DEFAULTS.simulator;
  return {
    dlrStatus: m.get('dlr_status', oneOf(RECEIPT_STATUSES)) ?? d.dlrStatus,
    dlrDelay: m.get('dlr_delay', duration({ min: 0, max: 2_147_483_647, maxText: '24d' })) ?? d.dlrDelay,
    failRatio: m.get('fail_ratio', num({ min: 0, max: 1 })) ?? d.failRatio,
    failStatus: m.get('fail_status', failStatus) ?? d.failStatus,
    messageIdFormat: m.get('message_id_format', oneOf(SIMULATOR_ID_FORMATS)) ?? d.messageIdFormat,
    throughput: m.get('throughput', int({ min: 0 })) ?? d.throughput,
  };
}
