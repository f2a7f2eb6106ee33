import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run as check } from '../src/cli/check.js';
import { run as route } from '../src/cli/route.js';
import { captureIo } from './helpers/capture-io.js';

const dir = mkdtempSync(join(tmpdir(), 'cli-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeConfig(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

describe('smpp-proxy check', () => {
  it('prints an OK summary and exits 0 for a valid file', async () => {
    const c = captureIo();
    expect(await check(['-c', 'config/example.yaml'], c.io)).toBe(0);
    expect(c.text.stdout).toBe('OK: config/example.yaml: 1 account, 2 carriers (1 simulated), 2 routes, 1 sender rewrite rule, 1 MO route\n');
    expect(c.text.stderr).toBe('');
  });

  it('accepts --config as well', async () => {
    const c = captureIo();
    expect(await check(['--config', 'config/proxy.yaml'], c.io)).toBe(0);
    expect(c.text.stdout).toMatch(/^OK: config\/proxy\.yaml: /);
  });

  it('lists every problem with file:line:col and exits 1', async () => {
    const file = writeConfig(
      'bad.yaml',
      `accounts:
  acme:
    password: pw
    allowed_ips: ["127.0.0.1/8"]
carriers:
  alpha:
    simulator: {}
    window: fifty
routes:
  - name: all
    prefix: [""]
    carriers: [{ carrier: beta, cost: 1 }]
`,
    );
    const c = captureIo();
    expect(await check(['-c', file], c.io)).toBe(1);
    expect(c.text.stdout).toBe('');
    expect(c.text.stderr.split('\n')).toEqual([
      `${file}: invalid configuration, 3 problems:`,
      `${file}:4:19 accounts.acme.allowed_ips[0]: "127.0.0.1/8" has host bits set (did you mean "127.0.0.0/8"?)`,
      `${file}:8:13 carriers.alpha.window: expected an integer from 1 to 10000, got "fifty"`,
      `${file}:12:27 routes[0].carriers[0].carrier: unknown carrier "beta" (not defined in carriers)`,
      '',
    ]);
  });

  it('reports a missing file as a problem, exit 1', async () => {
    const c = captureIo();
    expect(await check(['-c', join(dir, 'nope.yaml')], c.io)).toBe(1);
    expect(c.text.stderr).toContain('cannot read the configuration file (ENOENT)');
  });

  it('exits 2 with usage for bad arguments', async () => {
    for (const argv of [[], ['--bogus'], ['-c'], ['extra', '-c', 'x']]) {
      const c = captureIo();
      expect(await check(argv, c.io)).toBe(2);
      expect(c.text.stderr).toContain('usage: smpp-proxy check');
    }
    const help = captureIo();
    expect(await check(['--help'], help.io)).toBe(0);
    expect(help.text.stdout).toContain('usage: smpp-proxy check');
  });
});

describe('smpp-proxy route', () => {
  it('explains an accepted message readably, marking health as unknown offline', async () => {
    const c = captureIo();
    const code = await route(['--config', 'config/example.yaml', '--account', 'acme', '--to', '447700900123', '--from', 'ACME'], c.io);
    expect(code).toBe(0);
    const lines = c.text.stdout.split('\n');
    expect(lines[0]).toBe('account    acme');
    expect(lines).toContain('route      uk (prefix "447")');
    const beta = lines.findIndex((l) => l.includes(' beta '));
    const alpha = lines.findIndex((l) => l.includes(' alpha '));
    expect(beta).toBeGreaterThan(0);
    expect(alpha).toBeGreaterThan(beta);
    expect(lines[beta]).toMatch(/^ {2}1\. beta +cost 0\.0095 +unknown health \(offline explanation\) +sender ACME$/);
    expect(lines[alpha]).toMatch(/^ {2}2\. alpha +cost 0\.012 +unknown health \(offline explanation\) +sender ACMECO ton 5 npi 0 \(sender_rewrite\[0\]\)$/);
    expect(lines).toContain('result     accepted: submit_sm goes to beta first');
  });

  it('prints JSON with --json', async () => {
    const c = captureIo();
    const code = await route(['-c', 'config/example.yaml', '--account', 'acme', '--to', '+33612345678', '--from', '12345', '--ton', '1', '--npi', '1', '--json'], c.io);
    expect(code).toBe(0);
    const json = JSON.parse(c.text.stdout);
    expect(json).toMatchObject({ ok: true, status: 0, statusName: 'ESME_ROK', destination: '33612345678', route: { name: 'default', prefix: '' }, healthKnown: false });
    expect(json.candidates).toEqual([
      { carrier: 'alpha', cost: 0.02, health: 'unknown', attempt: 1, skipped: null, sender: { sender: '12345', ton: 1, npi: 1, rule: null } },
    ]);
  });

  it('explains a rejection and exits 1', async () => {
    const c = captureIo();
    expect(await route(['-c', 'config/example.yaml', '--account', 'acme', '--to', '447700900123', '--from', 'SPAM'], c.io)).toBe(1);
    expect(c.text.stdout).toContain('result     rejected with ESME_RINVSRCADR (0x0A): sender "SPAM" is not in the sender_ids of account "acme"');
    const unknown = captureIo();
    expect(await route(['-c', 'config/example.yaml', '--account', 'ghost', '--to', '447700900123', '--from', 'ACME', '--json'], unknown.io)).toBe(1);
    expect(JSON.parse(unknown.text.stdout)).toMatchObject({ ok: false, reason: 'unknown_account', statusName: 'ESME_RBINDFAIL' });
  });

  it('exits 1 with the problems when the configuration is invalid', async () => {
    const file = writeConfig('broken.yaml', 'accounts: {}\n');
    const c = captureIo();
    expect(await route(['-c', file, '--account', 'a', '--to', '1', '--from', 'b'], c.io)).toBe(1);
    expect(c.text.stderr).toContain(`${file}:1:11 accounts: must define at least one account`);
    expect(c.text.stdout).toBe('');
  });

  it('exits 2 with usage for missing or bad arguments', async () => {
    const cases = [
      ['-c', 'config/example.yaml', '--to', '1', '--from', 'x'],
      ['-c', 'config/example.yaml', '--account', 'acme', '--to', '1', '--from', 'x', '--ton', '300'],
      ['-c', 'config/example.yaml', '--account', 'acme', '--to', '1', '--from', 'x', '--npi', 'one'],
      ['--nope'],
    ];
    for (const argv of cases) {
      const c = captureIo();
      expect(await route(argv, c.io)).toBe(2);
      expect(c.text.stderr).toContain('usage: smpp-proxy route');
    }
  });
});
