import { describe, expect, it } from 'vitest';
import { parseConfig, verifyPassword } from '../../src/config/index.js';
import { MINIMAL, positionOf, problemAt, problemsOf } from './helpers.js';

interface Case {
  name: string;
  yaml: string;
  path: string;
  /** Text whose first character the problem must point at (searched after `after`). */
  at: string;
  after?: string;
  message: string | RegExp;
}

const withServer = (server: string) => `${MINIMAL}server:\n${server}`;
const withAccountKeys = (keys: string) => MINIMAL.replace('    allowed_ips: ["127.0.0.1"]\n', `    allowed_ips: ["127.0.0.1"]\n${keys}`);
const withCarrier = (carrier: string) => MINIMAL.replace('carriers:\n', `carriers:\n${carrier}`);

const cases: Case[] = [
  // types and ranges
  { name: 'integer given as a word', yaml: withCarrier('  alpha:\n    simulator: {}\n    window: fifty\n'), path: 'carriers.alpha.window', at: 'fifty', message: 'expected an integer from 1 to 10000, got "fifty"' },
  { name: 'integer out of range', yaml: withServer('  max_pdu_size: 10\n'), path: 'server.max_pdu_size', at: '10', after: 'max_pdu_size', message: 'expected an integer from 256 to 16777216, got 10' },
  { name: 'positive integer', yaml: withAccountKeys('    throughput: -5\n'), path: 'accounts.acme.throughput', at: '-5', message: 'expected a non-negative integer, got -5' },
  { name: 'YAML 1.2 boolean only', yaml: withAccountKeys('    require_tls: yes\n'), path: 'accounts.acme.require_tls', at: 'yes', message: 'expected true or false, got "yes"' },
  { name: 'enum with hint', yaml: withCarrier('  alpha:\n    simulator: {}\n    bind: transciever\n'), path: 'carriers.alpha.bind', at: 'transciever', message: 'expected one of transceiver, transmitter, got "transciever" (did you mean "transceiver"?)' },
  { name: 'mapping expected', yaml: withServer('  bind_lockout: 5\n'), path: 'server.bind_lockout', at: '5', after: 'bind_lockout', message: 'expected a mapping, got 5' },
  { name: 'list expected', yaml: MINIMAL.replace('routes:\n  - name: all\n    prefix: [""]\n    carriers: [{ carrier: sim, cost: 1 }]\n', 'routes: all\n'), path: 'routes', at: 'all', after: 'routes:', message: 'expected a list, got "all"' },
  { name: 'cost must be a number', yaml: MINIMAL.replace('cost: 1', 'cost: cheap'), path: 'routes[0].carriers[0].cost', at: 'cheap', message: 'expected a number of at least 0, got "cheap"' },
  { name: 'too long system_id', yaml: withServer('  system_id: ABCDEFGHIJKLMNOPQ\n'), path: 'server.system_id', at: 'ABCDEFGHIJKLMNOPQ', message: 'is 17 characters long; at most 15 allowed' },
  // unknown and missing keys
  { name: 'unknown key with hint', yaml: withAccountKeys('    max_bind: 3\n'), path: 'accounts.acme.max_bind', at: 'max_bind', message: 'unknown key (did you mean "max_binds"?)' },
  { name: 'unknown key with dash', yaml: withServer('  enquire-link-interval: 5s\n'), path: 'server.enquire-link-interval', at: 'enquire-link-interval', message: 'unknown key (did you mean "enquire_link_interval"?)' },
  { name: 'unknown top-level section', yaml: `${MINIMAL}carrier:\n  x: 1\n`, path: 'carrier', at: 'carrier:', after: 'cost: 1', message: 'unknown key (did you mean "carriers"?)' },
  { name: 'unknown key without a near name', yaml: withServer('  colour: blue\n'), path: 'server.colour', at: 'colour', message: 'unknown key' },
  { name: 'missing required key', yaml: MINIMAL.replace('    allowed_ips: ["127.0.0.1"]\n', ''), path: 'accounts.acme.allowed_ips', at: 'password', message: 'missing required key' },
  { name: 'missing password', yaml: MINIMAL.replace('    password: pw\n', ''), path: 'accounts.acme', at: 'allowed_ips', message: 'missing required key: password (or password_hash)' },
  { name: 'missing section', yaml: MINIMAL.replace(/routes:[\s\S]*$/, ''), path: '', at: 'accounts', message: 'missing required key: routes' },
  { name: 'empty routes section', yaml: MINIMAL.replace(/routes:[\s\S]*$/, 'routes:\n'), path: 'routes', at: 'routes:', message: 'must define at least one route' },
  { name: 'empty list of routes', yaml: MINIMAL.replace(/routes:[\s\S]*$/, 'routes: []\n'), path: 'routes', at: '[]', message: 'must define at least one route' },
  { name: 'no accounts', yaml: MINIMAL.replace(/accounts:[\s\S]*?carriers:/, 'accounts:\ncarriers:'), path: 'accounts', at: 'accounts:', message: 'must define at least one account' },
  { name: 'rewrite rule without set', yaml: `${MINIMAL}sender_rewrite:\n  - match: { account: acme }\n`, path: 'sender_rewrite[0].set', at: 'match', message: 'missing required key' },
  { name: 'route without carriers', yaml: MINIMAL.replace('    carriers: [{ carrier: sim, cost: 1 }]\n', ''), path: 'routes[0].carriers', at: 'name: all', message: 'missing required key' },
  { name: 'required key left empty', yaml: withCarrier('  alpha:\n    host:\n    port: 2775\n    system_id: a\n    password: b\n'), path: 'carriers.alpha.host', at: 'host', message: 'is empty; a value is required' },
  // references
  { name: 'account routes -> unknown route', yaml: withAccountKeys('    routes: [all, defualt]\n'), path: 'accounts.acme.routes[1]', at: 'defualt', message: 'unknown route "defualt" (not defined in routes)' },
  { name: 'route -> unknown carrier with hint', yaml: MINIMAL.replace('carrier: sim,', 'carrier: simm,'), path: 'routes[0].carriers[0].carrier', at: 'simm', message: 'unknown carrier "simm" (did you mean "sim"?) (not defined in carriers)' },
  { name: 'sender_rewrite -> unknown account', yaml: `${MINIMAL}sender_rewrite:\n  - match: { account: acne }\n    set: { ton: 5 }\n`, path: 'sender_rewrite[0].match.account', at: 'acne', message: 'unknown account "acne" (did you mean "acme"?) (not defined in accounts)' },
  { name: 'sender_rewrite -> unknown carrier', yaml: `${MINIMAL}sender_rewrite:\n  - match: { carrier: other }\n    set: { ton: 5 }\n`, path: 'sender_rewrite[0].match.carrier', at: 'other', message: /^unknown carrier "other"/ },
  { name: 'mo_routes -> unknown account', yaml: `${MINIMAL}mo_routes:\n  - prefix: ["4477"]\n    account: nobody\n`, path: 'mo_routes[0].account', at: 'nobody', message: /^unknown account "nobody"/ },
  // regexes
  { name: 'bad regex in sender_ids', yaml: withAccountKeys('    sender_ids: ["ACME", "^[A-Z"]\n'), path: 'accounts.acme.sender_ids[1]', at: '"^[A-Z"', message: /^invalid regular expression "\^\[A-Z":/ },
  { name: 'bad regex in a rewrite match', yaml: `${MINIMAL}sender_rewrite:\n  - match: { sender: "(x" }\n    set: { ton: 1 }\n`, path: 'sender_rewrite[0].match.sender', at: '"(x"', message: /^invalid regular expression/ },
  { name: 'replacement group the regex lacks', yaml: `${MINIMAL}sender_rewrite:\n  - match: { sender: "^A(\\\\d+)$" }\n    set: { replace: "B$2" }\n`, path: 'sender_rewrite[0].set.replace', at: '"B$2"', message: /^\$2 refers to a group that match.sender/ },
  { name: 'replace without match.sender', yaml: `${MINIMAL}sender_rewrite:\n  - set: { replace: "X" }\n`, path: 'sender_rewrite[0].set.replace', at: '"X"', message: 'replace needs match.sender: the regex whose match it replaces' },
  { name: 'sender and replace together', yaml: `${MINIMAL}sender_rewrite:\n  - match: { sender: "^A$" }\n    set: { sender: B, replace: C }\n`, path: 'sender_rewrite[0].set.replace', at: 'C }', message: /^give either sender/ },
  { name: 'set that changes nothing', yaml: `${MINIMAL}sender_rewrite:\n  - match: { account: acme }\n    set: {}\n`, path: 'sender_rewrite[0].set', at: '{}', after: 'set:', message: /^set must change something/ },
  { name: 'NPI outside the SMPP values', yaml: `${MINIMAL}sender_rewrite:\n  - set: { npi: 2 }\n`, path: 'sender_rewrite[0].set.npi', at: '2 }', message: 'expected one of 0, 1, 3, 4, 6, 8, 9, 10, 14, 18, got 2' },
  // duplicates
  { name: 'duplicate route name', yaml: `${MINIMAL}  - name: all\n    prefix: ["44"]\n    carriers: [{ carrier: sim, cost: 2 }]\n`, path: 'routes[1].name', at: 'all', after: 'cost: 1', message: 'duplicate route name "all" (each route needs its own name)' },
  { name: 'duplicate YAML key', yaml: withAccountKeys('    max_binds: 2\n    max_binds: 3\n'), path: '', at: 'max_binds: 3', message: 'duplicate key (each key may appear once in a mapping)' },
  { name: 'carrier twice in one route', yaml: MINIMAL.replace('[{ carrier: sim, cost: 1 }]', '[{ carrier: sim, cost: 1 }, { carrier: sim, cost: 2 }]'), path: 'routes[0].carriers[1].carrier', at: 'sim, cost: 2', message: 'carrier "sim" appears twice in this route' },
  { name: 'same MO prefix twice', yaml: `${MINIMAL}mo_routes:\n  - { prefix: ["44"], account: acme }\n  - { prefix: ["44"], account: acme }\n`, path: 'mo_routes[1].prefix', at: '["44"]', after: 'account: acme }\n', message: 'MO prefix "44" is already routed by mo_routes[0]' },
  // addresses
  { name: 'CIDR that is no address', yaml: MINIMAL.replace('["127.0.0.1"]', '["127.0.0.1", "localhost/8"]'), path: 'accounts.acme.allowed_ips[1]', at: '"localhost/8"', message: /^expected an IP address or CIDR block/ },
  { name: 'IPv6 prefix length too long', yaml: MINIMAL.replace('["127.0.0.1"]', '["2001:db8::/129"]'), path: 'accounts.acme.allowed_ips[0]', at: '"2001', message: 'prefix length in "2001:db8::/129" must be 0..128' },
  { name: 'CIDR with host bits', yaml: MINIMAL.replace('["127.0.0.1"]', '["10.1.2.3/8"]'), path: 'accounts.acme.allowed_ips[0]', at: '"10.1', message: '"10.1.2.3/8" has host bits set (did you mean "10.0.0.0/8"?)' },
  { name: 'IPv6 CIDR with host bits', yaml: MINIMAL.replace('["127.0.0.1"]', '["2001:db8::1/64"]'), path: 'accounts.acme.allowed_ips[0]', at: '"2001', message: '"2001:db8::1/64" has host bits set (did you mean "2001:db8::/64"?)' },
  { name: 'listen without port', yaml: withServer('  listen: "0.0.0.0"\n'), path: 'server.listen', at: '"0.0.0.0"', message: 'expected "host:port" (IPv6 as "[::1]:2775"), got "0.0.0.0": no port' },
  { name: 'IPv6 listen without brackets', yaml: withServer('  listen: "::1:2775"\n'), path: 'server.listen', at: '"::1', message: /put an IPv6 address in brackets$/ },
  { name: 'port out of range', yaml: withServer('  listen: "0.0.0.0:99999"\n'), path: 'server.listen', at: '"0.0.0.0:99999"', message: /port 99999 is outside 0\.\.65535$/ },
  { name: 'bad carrier host', yaml: withCarrier('  alpha:\n    host: "bad host"\n    port: 2775\n    system_id: a\n    password: b\n'), path: 'carriers.alpha.host', at: '"bad host"', message: 'expected a host name or IP address, got "bad host"' },
  { name: 'bad NATS server', yaml: `${MINIMAL}nats:\n  servers: ["http://127.0.0.1:4222"]\n`, path: 'nats.servers[0]', at: '"http', message: /scheme must be one of nats, tls, ws, wss$/ },
  // durations
  { name: 'duration with a spelled-out unit', yaml: withServer('  response_timeout: 5 sec\n'), path: 'server.response_timeout', at: '5 sec', message: 'expected a duration like "200ms", "5s", "1m", "72h" or "7d", got "5 sec"' },
  { name: 'duration string without a unit', yaml: withServer('  response_timeout: "30"\n'), path: 'server.response_timeout', at: '"30"', message: /add a unit: ms, s, m, h or d/ },
  { name: 'zero session_init_timeout', yaml: withServer('  session_init_timeout: 0\n'), path: 'server.session_init_timeout', at: '0', after: 'session_init_timeout', message: 'must be at least 1ms, got 0' },
  { name: 'timer beyond what Node honours', yaml: withServer('  inactivity_timeout: 30d\n'), path: 'server.inactivity_timeout', at: '30d', message: /^must be at most 24d/ },
  // timeout invariants
  { name: 'response_timeout >= enquire_link_interval', yaml: withServer('  response_timeout: 40s\n'), path: 'server.response_timeout', at: '40s', message: 'response_timeout (40s) must be less than enquire_link_interval (30s): a keepalive must be answered before the next is due' },
  { name: 'enquire_link_interval >= inactivity_timeout', yaml: withServer('  enquire_link_interval: 60s\n  inactivity_timeout: 60s\n'), path: 'server.inactivity_timeout', at: '60s', after: 'inactivity', message: /^enquire_link_interval \(1m\) must be less than inactivity_timeout \(1m\)/ },
  { name: 'unbind_timeout >= shutdown_timeout', yaml: withServer('  unbind_timeout: 30s\n  shutdown_timeout: 20s\n'), path: 'server.shutdown_timeout', at: '20s', message: /^unbind_timeout \(30s\) must be less than shutdown_timeout \(20s\)/ },
  { name: 'carrier response_timeout >= enquire_link_interval', yaml: withCarrier('  alpha:\n    simulator: {}\n    enquire_link_interval: 5s\n'), path: 'carriers.alpha.enquire_link_interval', at: '5s', message: 'response_timeout (10s) must be less than enquire_link_interval (5s)' },
  { name: 'reconnect initial > max', yaml: withCarrier('  alpha:\n    simulator: {}\n    reconnect: { initial: 2m, max: 1m }\n'), path: 'carriers.alpha.reconnect.max', at: '1m }', message: 'reconnect.initial (2m) must not exceed reconnect.max (1m)' },
  { name: 'PDU cap before bind above the cap', yaml: withServer('  max_pdu_size: 300\n  max_pdu_size_before_bind: 400\n'), path: 'server.max_pdu_size_before_bind', at: '400', message: 'max_pdu_size_before_bind (400) must not exceed max_pdu_size (300)' },
  { name: 'duplicate_window beyond max_age', yaml: `${MINIMAL}nats:\n  stream: { max_age: 1m, duplicate_window: 2m }\n`, path: 'nats.stream.duplicate_window', at: '2m', message: /^duplicate_window \(2m\) must not exceed max_age \(1m\)/ },
  // passwords
  { name: 'plain password longer than SMPP allows', yaml: MINIMAL.replace('password: pw', 'password: "s3cretpassword"'), path: 'accounts.acme.password', at: '"s3cret', message: 'password is 14 characters; SMPP passwords are at most 8' },
  { name: 'both password and hash', yaml: withAccountKeys(`    password_hash: "scrypt$16384$8$1$${'A'.repeat(24)}$${'B'.repeat(44)}"\n`), path: 'accounts.acme.password_hash', at: '"scrypt', message: 'give either password or password_hash, not both' },
  { name: 'malformed hash', yaml: MINIMAL.replace('password: pw', 'password_hash: "sha1$abc"'), path: 'accounts.acme.password_hash', at: '"sha1', message: /^expected "scrypt\$<N>\$<r>\$<p>\$<salt base64>\$<hash base64>"/ },
  { name: 'carrier password longer than SMPP allows', yaml: withCarrier('  alpha:\n    host: h\n    port: 1\n    system_id: a\n    password: "123456789"\n'), path: 'carriers.alpha.password', at: '"123456789"', message: 'is 9 characters long; at most 8 allowed' },
  // carriers
  { name: 'simulator with a host', yaml: withCarrier('  alpha:\n    simulator: {}\n    host: x\n'), path: 'carriers.alpha.host', at: 'x\n', after: 'alpha', message: '"host" does not apply to a simulator carrier (remove it, or remove "simulator")' },
  { name: 'receiver_sessions with a transceiver bind', yaml: withCarrier('  alpha:\n    simulator: {}\n    receiver_sessions: 2\n'), path: 'carriers.alpha.receiver_sessions', at: '2\n', after: 'receiver_sessions', message: /^receiver_sessions only applies with bind: transmitter/ },
  { name: 'unknown simulator status name', yaml: withCarrier('  alpha:\n    simulator: { fail_status: ESME_RTHROTLED }\n'), path: 'carriers.alpha.simulator.fail_status', at: 'ESME_RTHROTLED', message: 'unknown command_status name "ESME_RTHROTLED" (did you mean "ESME_RTHROTTLED"?)' },
  { name: 'fail_ratio above 1', yaml: withCarrier('  alpha:\n    simulator: { fail_ratio: 1.5 }\n'), path: 'carriers.alpha.simulator.fail_ratio', at: '1.5', message: 'expected a number from 0 to 1, got 1.5' },
  // names and prefixes
  { name: 'account name unusable as a subject token', yaml: MINIMAL.replace('  acme:', '  "ac.me":'), path: 'accounts["ac.me"]', at: '"ac.me"', message: 'account name "ac.me" is not valid: expected at most 15 letters, digits, "_" or "-"' },
  { name: 'prefix written with +', yaml: MINIMAL.replace('prefix: [""]', 'prefix: ["+44"]'), path: 'routes[0].prefix[0]', at: '"+44"', message: 'prefix "+44" can never match: destinations are matched without their leading "+" or "00" (write "44")' },
  { name: 'prefix with letters', yaml: MINIMAL.replace('prefix: [""]', 'prefix: ["44a"]'), path: 'routes[0].prefix[0]', at: '"44a"', message: 'expected a prefix of digits (at most 20), or "" for every destination, got "44a"' },
  // cross-section conflicts
  { name: 'admin beyond loopback without token', yaml: `${MINIMAL}admin:\n  listen: "0.0.0.0:9090"\n`, path: 'admin.listen', at: '"0.0.0.0:9090"', message: /set admin.token or listen on 127.0.0.1$/ },
  { name: 'require_tls without a TLS listener', yaml: withAccountKeys('    require_tls: true\n'), path: 'accounts.acme.require_tls', at: 'true', message: /^require_tls is set but server.tls is not configured/ },
  { name: 'client_auth without ca', yaml: withServer('  tls: { cert: c.pem, key: k.pem, client_auth: true }\n'), path: 'server.tls.client_auth', at: 'true', message: /^client_auth: true needs "ca"/ },
  { name: 'no listener at all', yaml: withServer('  listen: false\n'), path: 'server.listen', at: 'false', message: /^listen is off and there is no tls section/ },
  { name: 'MO for an account that cannot receive', yaml: `${withAccountKeys('    bind_types: [transmitter]\n')}mo_routes:\n  - { prefix: ["44"], account: acme }\n`, path: 'mo_routes[0].account', at: 'acme }', message: /^account "acme" may not bind as receiver or transceiver/ },
];

describe('each kind of problem is reported with its line, column and key path', () => {
  it.each(cases)('$name', ({ yaml, path, at, after, message }) => {
    const problems = problemsOf(yaml, 'proxy.yaml');
    const problem = problemAt(problems, path);
    expect(problems, problems.map((p) => `${p.path}: ${p.message}`).join(' | ')).toHaveLength(1);
    expect({ line: problem.line, col: problem.col }).toEqual(positionOf(yaml, at, after));
    expect(problem.file).toBe('proxy.yaml');
    if (typeof message === 'string') expect(problem.message).toBe(message);
    else expect(problem.message).toMatch(message);
  });
});

describe('documents that are not a configuration', () => {
  it('reports a YAML syntax error with its position and stops there', () => {
    const text = 'server:\n  listen: [1\naccounts: {}\n';
    const problems = problemsOf(text);
    expect(problems[0]?.message).toMatch(/^YAML syntax:/);
    expect(problems[0]?.line).toBeGreaterThanOrEqual(2);
  });

  it('reports an empty file', () => {
    expect(problemsOf('# nothing here\n').map((p) => p.message)).toEqual(['the configuration is empty']);
  });

  it('reports a list where the sections should be', () => {
    expect(problemsOf('- a\n- b\n')[0]?.message).toMatch(/^the configuration must be a mapping/);
  });

  it('reports an alias to an anchor that does not exist', () => {
    const problems = problemsOf(MINIMAL.replace('simulator: {}', 'simulator: *nowhere'));
    expect(problems.some((p) => p.message.includes('refers to no anchor') || p.message.startsWith('YAML syntax'))).toBe(true);
  });
});

describe('values that are valid', () => {
  it('reads every documented form of each value type', () => {
    const text = `${MINIMAL}server:
  listen: "[::]:2775"
  tls: { listen: "0.0.0.0:3550", cert: certs/server.pem, key: certs/server.key, ca: certs/ca.pem, client_auth: true }
  enquire_link_interval: 1m
  inactivity_timeout: 1h30m
  response_timeout: 1.5s
  unbind_timeout: 2000
  bind_lockout: { failures: 0 }
admin:
  listen: "0.0.0.0:9090"
  token: "0123456789abcdef0123"
store:
  id_map_ttl: 30d
nats:
  servers: "tls://nats.example.net"
  enabled: false
  stream: { max_age: 0 }
`;
    const config = parseConfig(text.replace('    allowed_ips: ["127.0.0.1"]', '    allowed_ips: 10.0.0.0/8\n    bind_types: transceiver\n    routes: all\n    sender_ids: ACME'), 'x.yaml');
    expect(config.server.listen).toEqual({ host: '::', port: 2775 });
    expect(config.server.tls).toEqual({ listen: { host: '0.0.0.0', port: 3550 }, cert: 'certs/server.pem', key: 'certs/server.key', ca: 'certs/ca.pem', clientAuth: true });
    expect([config.server.enquireLinkInterval, config.server.inactivityTimeout, config.server.responseTimeout, config.server.unbindTimeout]).toEqual([60_000, 5_400_000, 1_500, 2_000]);
    expect(config.server.bindLockout.failures).toBe(0);
    expect(config.admin.token).toBe('0123456789abcdef0123');
    expect(config.store.idMapTtl).toBe(30 * 86_400_000);
    expect(config.nats.servers).toEqual(['tls://nats.example.net']);
    const bare = parseConfig(`${MINIMAL}nats:\n  servers: ["nats-1:4222", "[::1]:4222", "nats-2", "wss://[2001:db8::1]:443"]\n`, 'x.yaml');
    expect(bare.nats.servers).toHaveLength(4);
    expect(problemsOf(`${MINIMAL}nats:\n  servers: ["nats-1:0", "bad host", "nats://"]\n`).map((p) => p.path)).toEqual(['nats.servers[0]', 'nats.servers[1]', 'nats.servers[2]']);
    expect(config.nats.enabled).toBe(false);
    expect(config.nats.stream.maxAge).toBe(0);
    const acme = config.accounts['acme'];
    expect(acme?.bindTypes).toEqual(['transceiver']);
    expect(acme?.routes).toEqual(['all']);
    expect(acme?.senderIds).toEqual({ literals: ['ACME'], patterns: [] });
  });

  it('takes unquoted numbers as the text they were written as', () => {
    const config = parseConfig(MINIMAL.replace('prefix: [""]', 'prefix: [447, 07700]').replace('password: pw', 'password: 0123'), 'x.yaml');
    expect(config.routes[0]?.prefixes).toEqual(['447', '07700']);
    const acme = config.accounts['acme'];
    expect(acme && verifyPassword(acme, '0123')).toBe(true);
    expect(acme && verifyPassword(acme, '123')).toBe(false);
  });
});
