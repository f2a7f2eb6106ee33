import { readFile } from 'node:fs/promises';
import { credsAuthenticator, type ConnectionOptions } from '@nats-io/transport-node';
import type { NatsConfig } from '../config/types.js';
import type { AuditStreamOptions } from './stream.js';
import { streamSubjects, validateSubjectPrefix } from './subject.js';

/** Everything the audit publisher and the CLIs take from the `nats` section of the config. */
export interface AuditNatsSettings {
  enabled: boolean;
  servers: string[];
  subjectPrefix: string;
  stream: AuditStreamOptions;
  connection: Partial<ConnectionOptions>;
  /** The .creds file's bytes when one is configured (connection.authenticator is built from them). */
  credentials?: Uint8Array;
  outboxMaxEvents: number;
}

export class AuditCredentialsError extends Error {
  readonly code = 'NATS_CREDENTIALS_UNREADABLE';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'AuditCredentialsError';
  }
}

/**
 * Maps the validated config to publisher options. The stream always captures `<prefix>.>`,
 * file storage, limits retention; a `.creds` file is read once here, so a missing file fails at
 * start rather than on every reconnect.
 */
export async function auditSettingsFromConfig(nats: NatsConfig): Promise<AuditNatsSettings> {
  const subjectPrefix = validateSubjectPrefix(nats.subjectPrefix);
  const connection: Partial<ConnectionOptions> = {};
  let credentials: Uint8Array | undefined;
  if (nats.token !== undefined) connection.token = nats.token;
  if (nats.user !== undefined) connection.user = nats.user;
  if (nats.password !== undefined) connection.pass = nats.password;
  if (nats.credentials !== undefined) {
    let creds: Buffer;
    try {
      creds = await readFile(nats.credentials);
    } catch (err) {
      throw new AuditCredentialsError(`cannot read NATS credentials file ${nats.credentials}`, { cause: err });
    }
    credentials = new Uint8Array(creds);
    connection.authenticator = credsAuthenticator(credentials);
  }
  return {
    enabled: nats.enabled,
    servers: [...nats.servers],
    subjectPrefix,
    stream: {
      name: nats.stream.name,
      subjects: streamSubjects(subjectPrefix),
      replicas: nats.stream.replicas,
      maxAgeMs: nats.stream.maxAge,
      maxBytes: -1,
      duplicateWindowMs: nats.stream.duplicateWindow,
      storage: 'file',
    },
    connection,
    ...(credentials !== undefined ? { credentials } : {}),
    outboxMaxEvents: nats.outboxMaxEvents,
  };
}
