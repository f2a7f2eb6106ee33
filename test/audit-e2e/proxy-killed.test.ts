import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { decodePdu, Status } from '../../src/smpp/index.js';
import { runLoad } from '../../src/sim/load.js';
import { TestEsme } from '../../src/sim/test-esme.js';
import { startNatsServer, type NatsServerHandle } from '../helpers/nats-server.js';
import { buildForChild } from '../store/child-build.js';
import { readStream, type StoredEvent } from '../audit/stream-reader.js';
import {
  auditConfigDocument,
  cleanupAll,
  ESME_PASSWORD,
  expectEveryEventOnce,
  PduTally,
  PREFIX,
  startCarrier,
  tempDir,
  track,
  waitFor,
} from './harness.js';

/**
 * `smpp-proxy start` in its own process, killed with SIGKILL in the middle of a full-speed run
 * and started again over the same store: every message the ESME got ESME_ROK for has its
 * submit_sm, submit_sm_resp and billing events in the stream afterwards (the answer was held
 * until they were durable in the outbox, and the restarted proxy publishes what the killed one
 * had not), each event once.
 *
 * NATS is frozen for the last stretch before the kill, so the killed proxy certainly leaves a
 * backlog in its outbox (more events than its publisher keeps in flight) and some events it
 * had sent without an acknowledgement: the restart has both to deliver.
 */

const STREAM = 'AUDIT_E2E_KILLED';
/** Accepted messages before NATS freezes. */
const FREEZE_AFTER = 300;
/** Accepted messages before the kill: about ten events each, past the publisher's 8,192 in flight. */
const KILL_AFTER = FREEZE_AFTER + 2_000;

let nats: NatsServerHandle;
let reader: NatsConnection | undefined;
let build: string;

// Transpiling the sources for the child takes seconds on a busy machine: kept out of the test's own time.
beforeAll(async () => {
  nats = await startNatsServer();
  build = join(await tempDir('audit-e2e-build-'), 'build');
  buildForChild(build, ['src']);
}, 90_000);

afterAll(async () => {
  await cleanupAll();
  await reader?.close();
  await nats?.cleanup();
});

interface ProxyProcess {
  child: ChildProcess;
  port: number;
  stderr: () => string;
}

/** Starts `smpp-proxy start -c file` and resolves with the port from its "smpp-proxy started" log line. */
async function startProxyProcess(configPath: string): Promise<ProxyProcess> {
  const child = spawn(process.execPath, [join(build, 'src/cli/main.js'), 'start', '-c', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  track(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const port = await new Promise<number>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const timer = setTimeout(() => reject(new Error(`the proxy did not start within 30 s: ${stderr}`)), 30_000);
    lines.on('line', (text) => {
      let line: { msg?: string; smpp?: { port?: number } };
      try {
        line = JSON.parse(text) as typeof line;
      } catch {
        return;
      }
      if (line.msg === 'smpp-proxy started' && line.smpp?.port !== undefined) {
        clearTimeout(timer);
        resolve(line.smpp.port);
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the proxy exited (${code ?? signal}) before it started: ${stderr}`));
    });
  });
  return { child, port, stderr: () => stderr };
}

it('publishes every event of every accepted message after a SIGKILL and a restart', { timeout: 120_000 }, async () => {
  const sim = await startCarrier('c-uk');
  const dir = await tempDir('audit-e2e-killed-');
  const configPath = join(dir, 'proxy.yaml');
  writeFileSync(
    configPath,
    stringify(
      auditConfigDocument({
        natsUrl: nats.url,
        storePath: join(dir, 'store'),
        streamName: STREAM,
        accounts: ['acme'],
        carriers: [{ name: 'c-uk', sim, sessions: 2 }],
        routes: [{ name: 'uk', prefix: '44', carrier: 'c-uk', cost: 0.015 }],
        logLevel: 'info',
      }),
    ),
  );

  const first = await startProxyProcess(configPath);
  await waitFor(() => sim.sessions.length >= 2, 'the proxy to bind to the carrier');
  const esme = await TestEsme.connect({ host: '127.0.0.1', port: first.port, systemId: 'acme', password: ESME_PASSWORD, window: 50, enquireLinkIntervalMs: 0 });
  const tally = PduTally.attach(esme.session);
  /** Sequence number of the submit each accepted id answered, read from the response frames. */
  const sequenceOf = new Map<string, number>();
  esme.session.on('pdu_in', (info) => {
    if (info.command !== 'submit_sm_resp' || info.status !== Status.ESME_ROK) return;
    const decoded = decodePdu(Buffer.from(info.frame));
    if (decoded.ok && decoded.pdu.command === 'submit_sm_resp' && decoded.pdu.body.message_id !== undefined) {
      sequenceOf.set(decoded.pdu.body.message_id, info.sequence);
    }
  });

  const accepted: string[] = [];
  const exited = once(first.child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const load = await runLoad(esme, {
    count: 50_000,
    concurrency: 50,
    message: (i) => ({ from: 'AUDIT', to: `447700${900_000 + i}`, text: `killed run ${i}` }),
    onResult: (_i, result) => {
      const part = result.parts[0]!;
      if (part.status !== Status.ESME_ROK || part.messageId === undefined) return;
      accepted.push(part.messageId);
      if (accepted.length === FREEZE_AFTER) nats.pause();
      if (accepted.length === KILL_AFTER) first.child.kill('SIGKILL');
    },
  });
  expect(await exited).toEqual([null, 'SIGKILL']);
  nats.resume();
  expect(first.stderr()).toBe('');
  // The kill cut the run short with submits in flight: those never got an answer.
  expect(load.completed).toBe(false);
  expect(load.results.length).toBeGreaterThan(accepted.length);
  expect(accepted.length).toBeGreaterThanOrEqual(KILL_AFTER);

  await waitFor(() => sim.sessions.length === 0, 'the carrier to see the killed proxy go');
  reader = await connect({ servers: nats.url });
  const bootOf = (e: StoredEvent): string => (e.json.id as string).replace(/-[^-]*$/, '');
  const beforeRestart = await readStream(reader, STREAM);
  expect(beforeRestart.length).toBeGreaterThan(0);
  const firstBoot = bootOf(beforeRestart[0]!);
  const publishedByKilled = beforeRestart.length;
  const second = await startProxyProcess(configPath);
  await waitFor(() => sim.sessions.length >= 2, 'the restarted proxy to bind to the carrier');
  let stored: StoredEvent[] = [];
  const byProxyId = (events: readonly StoredEvent[], key: (e: StoredEvent) => unknown): Map<string, StoredEvent[]> => {
    const out = new Map<string, StoredEvent[]>();
    for (const e of events) {
      const id = key(e);
      if (typeof id === 'string') out.set(id, [...(out.get(id) ?? []), e]);
    }
    return out;
  };
  // The restarted proxy drains what the killed one left in the outbox. Should it never get
  // there, the checks below say which messages lack which events.
  await waitFor(
    async () => {
      stored = await readStream(reader!, STREAM);
      const billed = new Set(stored.filter((s) => s.json.type === 'billing').map((s) => s.json.proxy_id));
      return accepted.every((id) => billed.has(id));
    },
    'every accepted message billed in the stream',
    30_000,
  ).catch(() => undefined);
  const stopped = once(second.child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  second.child.kill('SIGTERM');
  expect(await stopped).toEqual([0, null]);
  expect(second.stderr()).toBe('');
  stored = await readStream(reader, STREAM);

  expectEveryEventOnce(stored);
  // Two processes, two boot prefixes in the event ids, and the restarted one delivered events
  // the killed one had recorded but not published.
  expect(new Set(stored.map(bootOf)).size).toBe(2);
  expect(stored.filter((e) => bootOf(e) === firstBoot).length).toBeGreaterThan(publishedByKilled);

  const billing = byProxyId(stored.filter((s) => s.subject === `${PREFIX}.billing.acme`), (e) => e.json.proxy_id);
  const responses = byProxyId(
    stored.filter((s) => s.subject === `${PREFIX}.pdu.esme.acme.out.submit_sm_resp`),
    (e) => (e.json.fields as { message_id?: string } | undefined)?.message_id,
  );
  const submits = stored.filter((s) => s.subject === `${PREFIX}.pdu.esme.acme.in.submit_sm`);
  const carrierResponses = byProxyId(
    stored.filter((s) => s.subject === `${PREFIX}.pdu.carrier.c-uk.in.submit_sm_resp`),
    (e) => (e.json.fields as { message_id?: string } | undefined)?.message_id,
  );
  const problems: string[] = [];
  for (const id of accepted) {
    const bill = billing.get(id) ?? [];
    const resp = responses.get(id) ?? [];
    if (bill.length !== 1) problems.push(`${id}: ${bill.length} billing events`);
    if (resp.length !== 1) {
      problems.push(`${id}: ${resp.length} submit_sm_resp events`);
      continue;
    }
    if (bill[0]?.json.cost !== 0.015) problems.push(`${id}: billed ${String(bill[0]?.json.cost)}`);
    // The submit it answered: same session, same sequence number, the bytes the ESME sent.
    const seq = sequenceOf.get(id) ?? -1;
    const submit = submits.filter((s) => s.json.session === resp[0]!.json.session && s.json.seq === seq);
    if (submit.length !== 1) problems.push(`${id}: ${submit.length} submit_sm events for sequence ${seq}`);
    else if (submit[0]!.json.raw !== tally.sentFrames.get(`submit_sm:${seq}`)) problems.push(`${id}: submit_sm bytes differ`);
    // And the carrier's acceptance the billing record names.
    const carrierId = bill[0]?.json.carrier_message_id as string | undefined;
    if (carrierId === undefined || (carrierResponses.get(carrierId) ?? []).length !== 1) problems.push(`${id}: carrier submit_sm_resp for ${carrierId} not found once`);
  }
  expect({ missing: problems.length, first: problems.slice(0, 10) }).toEqual({ missing: 0, first: [] });
  expect(sequenceOf.size).toBe(accepted.length);
});
