import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AuditCredentialsError, auditSettingsFromConfig } from '../../src/audit/nats-settings.js';
import { parseConfig } from '../../src/config/index.js';
import { configText } from './fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'smpp-proxy-audit-settings-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('auditSettingsFromConfig', () => {
  it('maps the nats section to publisher options', async () => {
    const config = parseConfig(
      configText(`nats:
  servers: ["nats://10.0.0.1:4222", "nats://10.0.0.2:4222"]
  subject_prefix: prod.smpp
  token: abcdefghijklmnop
  outbox_max_events: 5000
  stream:
    name: AUDIT
    replicas: 3
    max_age: 7d
    duplicate_window: 5m`),
      'x.yaml',
    );
    expect(await auditSettingsFromConfig(config.nats)).toEqual({
      enabled: config.nats.enabled,
      servers: ['nats://10.0.0.1:4222', 'nats://10.0.0.2:4222'],
      subjectPrefix: 'prod.smpp',
      stream: {
        name: 'AUDIT',
        subjects: ['prod.smpp.>'],
        replicas: 3,
        maxAgeMs: 7 * 86_400_000,
        maxBytes: -1,
        duplicateWindowMs: 300_000,
        storage: 'file',
      },
      connection: { token: 'abcdefghijklmnop' },
      outboxMaxEvents: 5000,
    });
  });

  it('uses the config defaults and user/password', async () => {
    const config = parseConfig(configText(`nats:\n  user: audit\n  password: secret`), 'x.yaml');
    const settings = await auditSettingsFromConfig(config.nats);
    expect(settings.subjectPrefix).toBe('smpp');
    expect(settings.stream).toMatchObject({ name: 'SMPP', subjects: ['smpp.>'] });
    expect(settings.connection).toEqual({ user: 'audit', pass: 'secret' });
  });

  it('reads a .creds file once, and says which one when it cannot', async () => {
    const missing = parseConfig(configText(`nats:\n  credentials: ${join(dir, 'nope.creds')}`), 'x.yaml');
    await expect(auditSettingsFromConfig(missing.nats)).rejects.toBeInstanceOf(AuditCredentialsError);
    const file = join(dir, 'audit.creds');
    writeFileSync(file, '-----BEGIN NATS USER JWT-----\neyJ0eXAiOiJKV1QifQ.e30.sig\n------END NATS USER JWT------\n');
    const present = parseConfig(configText(`nats:\n  credentials: ${file}`), 'x.yaml');
    const settings = await auditSettingsFromConfig(present.nats);
    expect(typeof settings.connection.authenticator).toBe('function');
  });
});
