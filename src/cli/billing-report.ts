import {
  JetStreamApiCodes,
  JetStreamApiError,
  jetstream,
  jetstreamManager,
  type ConsumerConfig,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import { connect, nanos, type ConnectionOptions, type NatsConnection } from '@nats-io/transport-node';
import { BillingAggregator, formatBillingTable } from '../audit/billing-totals.js';
import { errorMessage, natsTargetFrom, parseFlags, parseSince, UsageError, type CliIo } from '../audit/cli-args.js';
import { DEFAULT_STREAM_NAME } from '../audit/stream.js';
import { billingSubject, subjectToken } from '../audit/subject.js';

const USAGE = `usage: smpp-proxy billing-report [--account NAME] [--since 2026-11-01T00:00:00Z|24h|all]
                                  [--config FILE] [--servers nats://..] [--stream ${DEFAULT_STREAM_NAME}]
                                  [--prefix smpp] [--durable NAME] [--json]

Reads billing records from the audit stream through a durable JetStream pull consumer and
prints messages, parts and cost per account and carrier, then exits once caught up.

The consumer remembers where it stopped: without --since, a run reports only the records
added since the previous run with the same consumer (what a billing job does). --since starts
the consumer over from that time (or from the beginning with "all") and reports everything
accepted since then.

  --account  one account (default: every account)
  --since    ISO 8601 time, a duration back from now (24h, 30m, 7d), or "all"
  --config   the proxy's config file: NATS servers, credentials, prefix and stream from it
  --servers  NATS servers, comma-separated (default $NATS_URL or nats://127.0.0.1:4222)
  --stream   stream name (default ${DEFAULT_STREAM_NAME}, as nats.stream.name)
  --prefix   subject prefix (default smpp, as nats.subject_prefix)
  --durable  consumer name (default billing-report-<account>, or billing-report-all)
  --json     print the summary as JSON
`;

const FETCH_BATCH = 1_000;
const FETCH_EXPIRES_MS = 2_000;

interface ReportOptions {
  servers: string[];
  connection: Partial<ConnectionOptions>;
  stream: string;
  filterSubject: string;
  durable: string;
  /** undefined: resume; 'all': from the start; Date: from that time. */
  since: Date | 'all' | undefined;
  json: boolean;
}

/** `smpp-proxy billing-report` */
export async function run(argv: string[], io: CliIo): Promise<number> {
  let options: ReportOptions;
  try {
    const flags = parseFlags(argv, {
      values: ['account', 'since', 'config', 'servers', 'stream', 'prefix', 'durable'],
      switches: ['json', 'help'],
    });
    if (flags.switches.has('help')) {
      io.stdout.write(USAGE);
      return 0;
    }
    const target = await natsTargetFrom(flags);
    const prefix = target.subjectPrefix;
    const account = flags.values.get('account');
    if (account !== undefined && account.length === 0) throw new UsageError('--account is empty');
    const durable = flags.values.get('durable') ?? `billing-report-${account === undefined ? 'all' : subjectToken(account)}`;
    if (!/^[^\s.*>/\\]+$/.test(durable)) throw new UsageError('--durable may not hold spaces, dots, slashes or wildcards');
    const rawSince = flags.values.get('since');
    options = {
      servers: target.servers,
      connection: target.connection,
      stream: target.stream,
      filterSubject: account === undefined ? `${prefix}.billing.>` : billingSubject(prefix, account),
      durable,
      since: rawSince === undefined ? undefined : rawSince === 'all' ? 'all' : parseSince(rawSince),
      json: flags.switches.has('json'),
    };
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`smpp-proxy billing-report: ${err.message}\n${USAGE}`);
      return 2;
    }
    throw err;
  }

  let nc: NatsConnection;
  try {
    nc = await connect({ ...options.connection, servers: options.servers, name: 'smpp-proxy-billing-report', timeout: 5_000 });
  } catch (err) {
    io.stderr.write(`smpp-proxy billing-report: cannot connect to ${options.servers.join(',')}: ${errorMessage(err)}\n`);
    return 1;
  }
  try {
    return await report(nc, options, io);
  } catch (err) {
    io.stderr.write(`smpp-proxy billing-report: ${errorMessage(err)}\n`);
    return 1;
  } finally {
    await nc.close().catch(() => undefined);
  }
}

async function report(nc: NatsConnection, options: ReportOptions, io: CliIo): Promise<number> {
  const jsm = await jetstreamManager(nc);
  await prepareConsumer(jsm, options);
  const consumer = await jetstream(nc).consumers.get(options.stream, options.durable);
  const aggregator = new BillingAggregator(options.since instanceof Date ? options.since.getTime() : undefined);

  // Caught up means: everything that was there when the run started. Records that keep arriving
  // are left for the next run, so the report always ends. Unacknowledged deliveries of an
  // interrupted earlier run come back after ack_wait and are part of the target.
  const start = await consumer.info();
  const target = start.num_pending + start.num_ack_pending;
  let read = 0;
  while (read < target) {
    const batch = await consumer.fetch({ max_messages: Math.min(FETCH_BATCH, target - read), expires: FETCH_EXPIRES_MS });
    let last: JsMsg | undefined;
    for await (const msg of batch) {
      aggregator.add(msg.data);
      last = msg;
      read++;
    }
    if (last === undefined) {
      // Nothing within the fetch window: records may have expired from the stream meanwhile.
      const now = await consumer.info();
      if (now.num_pending === 0 && now.num_ack_pending === 0) break;
      continue;
    }
    // ack_policy "all": acknowledging the last record acknowledges the batch. Wait for the
    // server to confirm, so the next run starts after exactly what this one counted.
    await last.ackAck();
  }

  const summary = aggregator.summary();
  if (options.json) {
    io.stdout.write(
      JSON.stringify(
        {
          stream: options.stream,
          consumer: options.durable,
          filter_subject: options.filterSubject,
          since: options.since instanceof Date ? options.since.toISOString() : (options.since ?? 'last run'),
          read,
          ...summary,
        },
        null,
        2,
      ) + '\n',
    );
  } else {
    const since = options.since instanceof Date ? `since ${options.since.toISOString()}` : options.since === 'all' ? 'since the start of the stream' : 'since the last run';
    io.stdout.write(`billing records on ${options.filterSubject} ${since} (consumer ${options.durable}, ${read} read)\n`);
    io.stdout.write(formatBillingTable(summary));
    const notes: string[] = [];
    if (summary.duplicates > 0) notes.push(`${summary.duplicates} repeated records counted once`);
    if (summary.outOfRange > 0) notes.push(`${summary.outOfRange} records accepted before the --since time left out`);
    if (summary.invalid > 0) notes.push(`${summary.invalid} messages that are not billing records skipped`);
    if (notes.length > 0) io.stdout.write(`(${notes.join('; ')})\n`);
  }
  return 0;
}

function consumerConfig(options: ReportOptions): Partial<ConsumerConfig> {
  const config: Partial<ConsumerConfig> = {
    durable_name: options.durable,
    filter_subject: options.filterSubject,
    ack_policy: 'all',
    ack_wait: nanos(30_000),
    max_ack_pending: FETCH_BATCH * 2,
    description: 'smpp-proxy billing-report',
  };
  if (options.since instanceof Date) {
    config.deliver_policy = 'by_start_time';
    config.opt_start_time = options.since.toISOString();
  } else {
    config.deliver_policy = 'all';
  }
  return config;
}

/**
 * Creates the durable consumer, or keeps the existing one to resume from. --since always starts
 * over (a consumer's start position cannot be changed in place), and so does an existing
 * consumer whose filter does not match the requested account.
 */
async function prepareConsumer(jsm: JetStreamManager, options: ReportOptions): Promise<void> {
  try {
    await jsm.streams.info(options.stream);
  } catch (err) {
    if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound) {
      throw new Error(`stream ${options.stream} does not exist (has the proxy published yet? is --stream right?)`);
    }
    throw err;
  }
  let existing;
  try {
    existing = await jsm.consumers.info(options.stream, options.durable);
  } catch (err) {
    if (!(err instanceof JetStreamApiError && err.code === JetStreamApiCodes.ConsumerNotFound)) throw err;
  }
  const restart = options.since !== undefined || (existing !== undefined && existing.config.filter_subject !== options.filterSubject);
  if (existing !== undefined && !restart) return;
  if (existing !== undefined) await jsm.consumers.delete(options.stream, options.durable);
  await jsm.consumers.add(options.stream, consumerConfig(options));
}
