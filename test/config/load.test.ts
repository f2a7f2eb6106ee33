import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseConfig, verifyPassword } from '../../src/config/index.js';
import { MINIMAL, problemsOf } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'config-load-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the sample configuration from the issue', () => {
  const config = loadConfig('config/example.yaml');

  it('loads as it is written, with every value converted', () => {
    expect(config.server.listen).toEqual({ host: '0.0.0.0', port: 2775 });
    expect(config.server.systemId).toBe('SMPPPROXY');
    expect(config.admin.listen).toEqual({ host: '127.0.0.1', port: 9090 });
    expect(config.store.path).toBe('./data');
    expect(config.nats.servers).toEqual(['nats://127.0.0.1:4222']);
    const acme = config.accounts['acme'];
    expect(acme?.maxBinds).toBe(4);
    expect(acme?.throughput).toBe(500);
    expect(acme?.routes).toEqual(['uk', 'default']);
    expect(acme?.senderIds?.literals).toEqual(['ACME', 'ACMECO']);
    expect(acme?.senderIds?.patterns.map((p) => p.source)).toEqual(['^\\d{5,15}$']);
    expect(acme && verifyPassword(acme, 's3cret')).toBe(true);
    expect(acme?.allowedIps.allows('127.1.2.3')).toBe(true);
    expect(acme?.allowedIps.allows('10.0.0.1')).toBe(false);
    const alpha = config.carriers['alpha'];
    expect(alpha?.kind).toBe('remote');
    if (alpha?.kind === 'remote') {
      expect([alpha.host, alpha.port, alpha.systemId, alpha.password, alpha.bind, alpha.sessions, alpha.window, alpha.throughput]).toEqual([
        '127.0.0.1', 2776, 'proxyA', 'pwA', 'transceiver', 2, 50, 1000,
      ]);
    }
    const beta = config.carriers['beta'];
    expect(beta?.kind).toBe('simulator');
    if (beta?.kind === 'simulator') expect([beta.simulator.dlrStatus, beta.simulator.dlrDelay]).toEqual(['DELIVRD', 200]);
    expect(config.routes.map((r) => [r.name, r.prefixes, r.carriers.map((c) => [c.carrier, c.cost])])).toEqual([
      ['uk', ['447'], [['alpha', 0.012], ['beta', 0.0095]]],
      ['default', [''], [['alpha', 0.02]]],
    ]);
    expect(config.senderRewrite[0]?.match.sender?.test('ACME')).toBe(true);
    expect(config.senderRewrite[0]?.set).toEqual({ sender: 'ACMECO', replace: undefined, ton: 5, npi: 0 });
    expect(config.moRoutes).toEqual([{ prefixes: ['447700900'], account: 'acme' }]);
  });

  it('fills documented defaults for keys it leaves out', () => {
    expect(config.server.enquireLinkInterval).toBe(30_000);
    expect(config.server.responseTimeout).toBe(10_000);
    expect(config.store.receiptTtl).toBe(72 * 3_600_000);
    expect(config.nats.subjectPrefix).toBe('smpp');
    expect(config.accounts['acme']?.bindTypes).toEqual(['transmitter', 'receiver', 'transceiver']);
    expect(config.carriers['alpha']?.messageIdFormat).toBe('auto');
  });

  it('is the sample from the issue, byte for byte in its YAML block', () => {
    const text = readFileSync('config/example.yaml', 'utf8');
    expect(text.startsWith('server:\n  listen: "0.0.0.0:2775"\n')).toBe(true);
    expect(text).toContain('    sender_ids: ["ACME", "ACMECO", "^\\\\d{5,15}$"]   # optional allow-list, else ESME_RINVSRCADR\n');
  });
});

describe('config/proxy.yaml (the npm start default)', () => {
  const config = loadConfig('config/proxy.yaml');

  it('uses sandbox carriers only, so it runs with nothing else installed', () => {
    const carriers = Object.values(config.carriers);
    expect(carriers.length).toBeGreaterThanOrEqual(2);
    expect(carriers.every((c) => c.kind === 'simulator')).toBe(true);
    expect(new Set(config.routes.flatMap((r) => r.carriers.map((c) => c.cost))).size).toBeGreaterThan(1);
  });

  it('has the demo/demo account reachable from loopback only, admin on loopback', () => {
    const demo = config.accounts['demo'];
    expect(demo && verifyPassword(demo, 'demo')).toBe(true);
    expect(demo?.allowedIps.allows('127.0.0.1')).toBe(true);
    expect(demo?.allowedIps.allows('::1')).toBe(true);
    expect(demo?.allowedIps.allows('192.168.1.10')).toBe(false);
    expect(config.admin.listen).toEqual({ host: '127.0.0.1', port: 9090 });
    expect(config.store.path).toBe('./data');
    expect(config.nats.servers).toEqual(['nats://127.0.0.1:4222']);
  });
});

describe('the loaded configuration', () => {
  it('is frozen all the way down, including compiled matchers', () => {
    const config = loadConfig('config/example.yaml');
    const seen = new Set<unknown>();
    const visit = (value: unknown, path: string): void => {
      if (value === null || typeof value !== 'object' || seen.has(value)) return;
      seen.add(value);
      expect(Object.isFrozen(value), path).toBe(true);
      for (const [key, child] of Object.entries(value)) visit(child, `${path}.${key}`);
    };
    visit(config, 'config');
    expect(() => {
      (config.server as { window: number }).window = 1;
    }).toThrow(TypeError);
    expect(() => (config.routes as unknown as unknown[]).push({})).toThrow(TypeError);
    // Frozen regexes still match: only the g and y flags make matching write lastIndex.
    const pattern = config.accounts['acme']?.senderIds?.patterns[0];
    expect(pattern?.test('447700900123')).toBe(true);
    expect(pattern?.test('447700900123')).toBe(true);
    const rewrite = config.senderRewrite[0]?.match.sender;
    expect(rewrite && 'ACME'.replace(rewrite, 'X')).toBe('X');
  });

  it('serialises to JSON for status output, allow lists as written', () => {
    const config = loadConfig('config/proxy.yaml');
    const json = JSON.parse(JSON.stringify(config));
    expect(json.accounts.demo.allowedIps).toEqual(['127.0.0.1', '::1']);
    expect(json.server.listen).toEqual({ host: '0.0.0.0', port: 2775 });
  });

  it('keeps account and carrier maps free of inherited names', () => {
    const config = parseConfig(MINIMAL, 'x.yaml');
    expect(config.accounts['constructor']).toBeUndefined();
    expect(config.accounts['toString']).toBeUndefined();
    expect(config.carriers['__proto__']).toBeUndefined();
  });

  it('accepts an account literally named like an Object.prototype member', () => {
    const config = parseConfig(MINIMAL.replace('  acme:', '  constructor:'), 'x.yaml');
    expect(config.accounts['constructor']?.name).toBe('constructor');
  });

  it('honours YAML anchors and merge keys for shared carrier settings', () => {
    const text = `${MINIMAL.replace('carriers:\n  sim:\n    simulator: {}\n', `carriers:
  sim: &base
    simulator: {}
    window: 7
    sessions: 3
  sim2:
    <<: *base
    sessions: 5
`)}`;
    const config = parseConfig(text, 'x.yaml');
    expect(config.carriers['sim2']?.window).toBe(7);
    expect(config.carriers['sim2']?.sessions).toBe(5);
  });
});

describe('collecting problems', () => {
  it('reports every problem of a file at once, in file order, in one ConfigError', () => {
    const text = `server:
  window: 0
  max_connections: lots
accounts:
  acme:
    password: pw
    allowed_ips: ["127.0.0.1"]
    max_binds: -1
carriers:
  sim:
    simulator: {}
    window: fifty
routes:
  - name: all
    prefix: [""]
    carriers: [{ carrier: nosuch, cost: 1 }]
`;
    const problems = problemsOf(text);
    expect(problems.map((p) => p.path)).toEqual([
      'server.window',
      'server.max_connections',
      'accounts.acme.max_binds',
      'carriers.sim.window',
      'routes[0].carriers[0].carrier',
    ]);
    expect(problems.map((p) => p.line)).toEqual([2, 3, 8, 12, 16]);
  });

  it('lists all problems in the error message as file:line:col path: message', () => {
    let caught: unknown;
    try {
      parseConfig(`${MINIMAL}server:\n  window: fifty\n  bogus: 1\n`, 'proxy.yaml');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const message = (caught as Error).message;
    expect(message).toContain('invalid configuration (2 problems)');
    expect(message).toContain('proxy.yaml:13:11 server.window: expected an integer from 1 to 10000, got "fifty"');
    expect(message).toContain('proxy.yaml:14:3 server.bogus: unknown key');
  });

  it('reports an unreadable file as a ConfigError, not a crash', () => {
    expect(() => loadConfig(join(dir, 'missing.yaml'))).toThrow(ConfigError);
    try {
      loadConfig(join(dir, 'missing.yaml'));
    } catch (error) {
      expect((error as ConfigError).problems[0]?.message).toContain('ENOENT');
    }
  });

  it('loads a file written to disk and names it in problems', () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, `${MINIMAL}log:\n  level: verbose\n`);
    try {
      loadConfig(file);
      expect.unreachable();
    } catch (error) {
      const problem = (error as ConfigError).problems[0];
      expect(problem).toMatchObject({ file, line: 13, col: 10, path: 'log.level' });
      expect(problem?.message).toBe('expected one of fatal, error, warn, info, debug, trace, silent, got "verbose"');
    }
  });
});
