import { connect, type NatsConnection } from '@nats-io/transport-node';
import {
  errorMessage,
  natsTargetFrom,
  parseFlags,
  stopRequested,
  UsageError,
  type CliIo,
  type NatsTarget,
} from '../audit/cli-args.js';
import { formatEventLine } from '../audit/format.js';

const USAGE = `usage: smpp-proxy tail [--config FILE] [--servers nats://127.0.0.1:4222] [--subject 'smpp.pdu.>']
                       [--json] [--count N]

Prints audit events live as the proxy publishes them, one line each:
time, subject, command, status, sequence, addresses and ids.

  --config   the proxy's config file: NATS servers, credentials and subject prefix from it
  --servers  NATS servers, comma-separated (default $NATS_URL or nats://127.0.0.1:4222)
  --prefix   subject prefix (default smpp, as nats.subject_prefix)
  --subject  subject filter with NATS wildcards (default <prefix>.>, every event)
             e.g. smpp.pdu.esme.acme.>  smpp.pdu.*.*.*.submit_sm  smpp.billing.>  smpp.dlr.acme
  --json     print each event's JSON instead of the readable line
  --count    exit after N events
`;

/** `smpp-proxy tail`: a live view of the audit subjects (core NATS, no stream replay). */
export async function run(argv: string[], io: CliIo): Promise<number> {
  let subject: string;
  let target: NatsTarget;
  let json: boolean;
  let count: number | undefined;
  try {
    const flags = parseFlags(argv, { values: ['config', 'servers', 'prefix', 'subject', 'count'], switches: ['json', 'help'] });
    if (flags.switches.has('help')) {
      io.stdout.write(USAGE);
      return 0;
    }
    target = await natsTargetFrom(flags);
    subject = flags.values.get('subject') ?? `${target.subjectPrefix}.>`;
    if (subject.length === 0 || /\s/.test(subject)) throw new UsageError('--subject must be a NATS subject without spaces');
    json = flags.switches.has('json');
    const rawCount = flags.values.get('count');
    if (rawCount !== undefined) {
      count = Number(rawCount);
      if (!Number.isInteger(count) || count <= 0) throw new UsageError('--count must be a positive integer');
    }
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`smpp-proxy tail: ${err.message}\n${USAGE}`);
      return 2;
    }
    throw err;
  }

  let nc: NatsConnection;
  try {
    nc = await connect({
      ...target.connection,
      servers: target.servers,
      name: 'smpp-proxy-tail',
      maxReconnectAttempts: -1,
      reconnectTimeWait: 1_000,
    });
  } catch (err) {
    io.stderr.write(`smpp-proxy tail: cannot connect to ${target.servers.join(',')}: ${errorMessage(err)}\n`);
    return 1;
  }

  const stop = stopRequested(io);
  let seen = 0;
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  try {
    nc.subscribe(subject, {
      callback: (err, msg) => {
        if (err) {
          io.stderr.write(`smpp-proxy tail: ${errorMessage(err)}\n`);
          finish();
          return;
        }
        if (count !== undefined && seen >= count) return;
        seen++;
        io.stdout.write(json ? `${msg.string()}\n` : `${formatEventLine(msg.subject, msg.data)}\n`);
        if (count !== undefined && seen >= count) finish();
      },
    });
    await nc.flush();
    io.stderr.write(`smpp-proxy tail: listening on ${subject} at ${nc.getServer()}\n`);
    await Promise.race([done, stop.promise, nc.closed()]);
    return 0;
  } catch (err) {
    io.stderr.write(`smpp-proxy tail: ${errorMessage(err)}\n`);
    return 1;
  } finally {
    stop.dispose();
    if (!nc.isClosed()) await nc.close().catch(() => undefined);
  }
}
