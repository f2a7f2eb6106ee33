import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Status } from '../../src/smpp/index.js';
import { runLoad } from '../../src/sim/load.js';
import { TestEsme } from '../../src/sim/test-esme.js';
import { startNatsServer, type NatsServerHandle } from '../helpers/nats-server.js';
import {
  auditConfig,
  carrierSubjects,
  cleanupAll,
  ESME_PASSWORD,
  esmeSubjects,
  expectEveryEventOnce,
  mergeCounts,
  PduTally,
  PREFIX,
  readMatchingStream,
  sleep,
  startAuditRuntime,
  startCarrier,
  tempDir,
  track,
  waitFor,
} from './harness.js';

/**
 * NATS fails twice in the middle of a paced run: first it stops and stays down for seconds,
 * then it freezes (SIGSTOP) for longer than the publisher's acknowledgement timeout, so events
 * on the wire are sent again and reach JetStream twice once it thaws. The SMPP side must not
 * notice (every submit answered ESME_ROK, answers keep coming during both) and, once the outbox
 * has drained, the stream holds every event exactly once: per subject as many as the peers saw,
 * each event id once, and no event id missing from the recorder's numbering.
 */

const STREAM = 'AUDIT_E2E_OUTAGE';
/** Messages per second, from before the first outage until a second after the second. */
const RATE = 200;
/** Far more than the run sends: it is ended by a signal, however long the outages took. */
const MAX_MESSAGES = 20_000;
const DOWN_MS = 3_500;
/** Past the publisher's 5 s acknowledgement timeout: everything in flight is sent again. */
const FROZEN_MS = 6_000;

let nats: NatsServerHandle;
let reader: NatsConnection | undefined;

beforeAll(async () => {
  nats = await startNatsServer();
}, 30_000);

afterAll(async () => {
  await cleanupAll();
  await reader?.close();
  await nats?.cleanup();
});

it('keeps answering submits while NATS is down and publishes every event exactly once after it returns', { timeout: 120_000 }, async () => {
  const sim = await startCarrier('c-uk');
  const { runtime, port } = await startAuditRuntime(
    auditConfig({
      natsUrl: nats.url,
      storePath: await tempDir('audit-e2e-outage-store-'),
      streamName: STREAM,
      accounts: ['acme'],
      carriers: [{ name: 'c-uk', sim, sessions: 2 }],
      routes: [{ name: 'uk', prefix: '44', carrier: 'c-uk', cost: 0.02 }],
    }),
  );
  const publisher = runtime.publisher!;
  const esme = await TestEsme.connect({ host: '127.0.0.1', port, systemId: 'acme', password: ESME_PASSWORD, window: 20, enquireLinkIntervalMs: 0 });
  track(() => (esme.isClosed ? undefined : esme.close()));
  const tally = PduTally.attach(esme.session);

  const accepted: string[] = [];
  const refused: Array<number | undefined> = [];
  /** When each accepted answer arrived, to show the SMPP side kept going during the outage. */
  const answeredAt: number[] = [];
  const stopLoad = new AbortController();
  const load = runLoad(esme, {
    count: MAX_MESSAGES,
    signal: stopLoad.signal,
    rate: RATE,
    concurrency: 20,
    message: (i) => ({ from: 'AUDIT', to: `447700${900_000 + i}`, text: `outage run ${i}` }),
    onResult: (_i, result) => {
      const part = result.parts[0]!;
      if (part.status === Status.ESME_ROK && part.messageId !== undefined) {
        accepted.push(part.messageId);
        answeredAt.push(Date.now());
      } else {
        refused.push(part.status);
      }
    },
  });

  /** Accepted answers that arrived within [from, to]. */
  const answeredWithin = (from: number, to: number): number[] => answeredAt.filter((t) => t >= from && t <= to);

  await waitFor(() => publisher.stats.published > 200, 'events published before the outage');
  const depthBefore = publisher.stats.depth;
  // A clean stop: a killed nats-server may lose the last writes it had already acknowledged
  // (its file store flushes asynchronously), which would be NATS losing data, not the proxy.
  await nats.stop();
  const downAt = Date.now();
  await waitFor(() => !publisher.stats.connected, 'the publisher to notice NATS is gone');
  await sleep(DOWN_MS);
  // The backlog piled up in the durable outbox, not in client buffers, and did not refuse traffic.
  expect(publisher.stats.depth).toBeGreaterThan(depthBefore);
  expect(publisher.stats.connected).toBe(false);
  const upAt = Date.now();
  await nats.start();

  await waitFor(() => publisher.stats.connected && publisher.stats.depth < 100, 'the backlog to drain after the restart', 20_000);
  const duplicatesBefore = publisher.stats.duplicates;
  nats.pause();
  const frozenAt = Date.now();
  try {
    await sleep(FROZEN_MS);
  } finally {
    nats.resume();
  }
  const thawedAt = Date.now();
  await sleep(1_000);
  stopLoad.abort();

  const run = await load;
  const messages = run.results.length;
  expect(refused).toEqual([]);
  expect(accepted).toHaveLength(messages);
  // Answers kept coming while NATS was down and while it was frozen, up to the last second of each.
  const minimum = (ms: number): number => (ms / 1000) * RATE * 0.25;
  expect(answeredWithin(downAt, upAt).length).toBeGreaterThan(minimum(DOWN_MS));
  expect(answeredWithin(upAt - 1_000, upAt).length).toBeGreaterThan(0);
  expect(answeredWithin(frozenAt, thawedAt).length).toBeGreaterThan(minimum(FROZEN_MS));
  expect(answeredWithin(thawedAt - 1_000, thawedAt).length).toBeGreaterThan(0);

  const receipts = await esme.waitForReceipts(accepted, 30_000);
  expect(receipts.missing).toEqual([]);

  reader = await connect({ servers: nats.url });
  const { stored, counts } = await readMatchingStream(reader, STREAM, runtime, () =>
    mergeCounts(
      esmeSubjects('acme', [tally]),
      carrierSubjects('c-uk', sim),
      new Map([
        [`${PREFIX}.billing.acme`, messages],
        [`${PREFIX}.dlr.acme`, messages],
        [`${PREFIX}.bind.esme.acme`, 1],
        [`${PREFIX}.bind.carrier.c-uk`, 2],
      ]),
    ),
  30_000);
  expect(counts.get(`${PREFIX}.pdu.esme.acme.in.submit_sm`)).toBe(messages);
  expect(counts.get(`${PREFIX}.pdu.carrier.c-uk.in.deliver_sm`)).toBe(messages);
  expectEveryEventOnce(stored);
  const billed = stored.filter((s) => s.subject === `${PREFIX}.billing.acme`).map((s) => s.json.proxy_id as string);
  expect(new Set(billed)).toEqual(new Set(accepted));
  expect(publisher.stats.rejected).toBe(0);
  // The freeze made the publisher send events again that JetStream already had: the copies were
  // recognised by their Nats-Msg-Id and dropped, which is why the stream above holds each once.
  expect(publisher.stats.resent).toBeGreaterThan(0);
  expect(publisher.stats.duplicates).toBeGreaterThan(duplicatesBefore);
});
