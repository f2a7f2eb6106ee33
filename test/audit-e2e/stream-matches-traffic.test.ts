import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { decodePdu, Status } from '../../src/smpp/index.js';
import type { CarrierSimulator } from '../../src/sim/carrier-sim.js';
import { runLoad } from '../../src/sim/load.js';
import { TestEsme } from '../../src/sim/test-esme.js';
import { startNatsServer, type NatsServerHandle } from '../helpers/nats-server.js';
import { countBy, type StoredEvent } from '../audit/stream-reader.js';
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
  startAuditRuntime,
  startCarrier,
  tempDir,
  track,
  waitFor,
  waitForDrain,
} from './harness.js';

/**
 * The proxy's whole audit trail after a run of 300 messages with receipts, through two accounts
 * and two carriers: the stream holds one event per PDU that crossed either side (counted against
 * what the ESMEs and the carrier simulators saw, bytes compared where the peer kept them), one
 * billing record per accepted message at its route's cost, and one dlr record per receipt.
 */

const STREAM = 'AUDIT_E2E_TRAFFIC';
const ROUTES = [
  { name: 'uk', prefix: '44', carrier: 'c-uk', cost: 0.0125 },
  { name: 'de', prefix: '49', carrier: 'c-de', cost: 0.031 },
] as const;
/** Per account: messages to each route. 300 in all. */
const PLAN = { acme: { uk: 180, de: 20 }, beta: { uk: 0, de: 100 } } as const;
const TOTAL = 300;

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

function destinationFor(route: 'uk' | 'de', index: number): string {
  return `${route === 'uk' ? '447700' : '491510'}${String(900_000 + index)}`;
}

it('holds exactly the PDUs exchanged, N billing records at the route costs and N dlr records', { timeout: 60_000 }, async () => {
  const sims: Record<string, CarrierSimulator> = { 'c-uk': await startCarrier('c-uk'), 'c-de': await startCarrier('c-de') };
  const { runtime, port } = await startAuditRuntime(
    auditConfig({
      natsUrl: nats.url,
      storePath: await tempDir('audit-e2e-store-'),
      streamName: STREAM,
      accounts: Object.keys(PLAN),
      carriers: Object.entries(sims).map(([name, sim]) => ({ name, sim })),
      routes: ROUTES,
    }),
  );

  const tallies: Record<string, PduTally> = {};
  const accepted = new Map<string, { account: string; route: 'uk' | 'de'; destination: string }>();
  const refused: number[] = [];
  await Promise.all(
    Object.entries(PLAN).map(async ([account, plan]) => {
      const esme = await TestEsme.connect({
        host: '127.0.0.1',
        port,
        systemId: account,
        password: ESME_PASSWORD,
        window: 20,
        // acme keeps its link alive itself; beta stays quiet, so the proxy checks beta's link.
        enquireLinkIntervalMs: account === 'acme' ? 500 : 0,
      });
      track(() => (esme.isClosed ? undefined : esme.close()));
      tallies[account] = PduTally.attach(esme.session);
      const routes = [...Array<'uk'>(plan.uk).fill('uk'), ...Array<'de'>(plan.de).fill('de')];
      const load = await runLoad(esme, {
        count: routes.length,
        concurrency: 20,
        message: (i) => ({ from: 'AUDIT', to: destinationFor(routes[i]!, i), text: `audit message ${account} ${i}` }),
        onResult: (i, result) => {
          const part = result.parts[0]!;
          if (part.status === Status.ESME_ROK && part.messageId !== undefined) {
            accepted.set(part.messageId, { account, route: routes[i]!, destination: destinationFor(routes[i]!, i) });
          } else {
            refused.push(part.status ?? -1);
          }
        },
      });
      expect(load.completed).toBe(true);
      const ids = [...accepted].filter(([, m]) => m.account === account).map(([id]) => id);
      const receipts = await esme.waitForReceipts(ids, 20_000);
      expect(receipts.missing).toEqual([]);
    }),
  );
  expect(refused).toEqual([]);
  expect(accepted.size).toBe(TOTAL);

  // Keepalives are PDUs too: wait until they have crossed in each direction at least once.
  await waitFor(
    () =>
      tallies.acme!.get('out', 'enquire_link') > 0 &&
      tallies.beta!.get('in', 'enquire_link') > 0 &&
      Object.values(sims).every((sim) => sim.received.some((r) => r.command === 'enquire_link')),
    'enquire_link on every bind',
  );
  reader = await connect({ servers: nats.url });
  const expected = (): Map<string, number> =>
    mergeCounts(
      ...Object.entries(tallies).map(([account, tally]) => esmeSubjects(account, [tally])),
      ...Object.entries(sims).map(([name, sim]) => carrierSubjects(name, sim)),
      new Map([
        [`${PREFIX}.billing.acme`, PLAN.acme.uk + PLAN.acme.de],
        [`${PREFIX}.billing.beta`, PLAN.beta.uk + PLAN.beta.de],
        [`${PREFIX}.dlr.acme`, PLAN.acme.uk + PLAN.acme.de],
        [`${PREFIX}.dlr.beta`, PLAN.beta.uk + PLAN.beta.de],
        // One "up" event per bind: one ESME session per account, one carrier session each.
        [`${PREFIX}.bind.esme.acme`, 1],
        [`${PREFIX}.bind.esme.beta`, 1],
        [`${PREFIX}.bind.carrier.c-uk`, 1],
        [`${PREFIX}.bind.carrier.c-de`, 1],
      ]),
    );
  const { stored, counts: actual } = await readMatchingStream(reader, STREAM, runtime, expected);
  // The families the issue names, spelled out, so a renamed subject fails here and not only above.
  for (const [account, plan] of Object.entries(PLAN)) {
    const n = plan.uk + plan.de;
    expect(actual.get(`${PREFIX}.pdu.esme.${account}.in.submit_sm`)).toBe(n);
    expect(actual.get(`${PREFIX}.pdu.esme.${account}.out.submit_sm_resp`)).toBe(n);
    expect(actual.get(`${PREFIX}.pdu.esme.${account}.out.deliver_sm`)).toBe(n);
    expect(actual.get(`${PREFIX}.pdu.esme.${account}.in.deliver_sm_resp`)).toBe(n);
  }
  for (const [carrier, n] of [['c-uk', 180], ['c-de', 120]] as const) {
    for (const suffix of ['out.submit_sm', 'in.submit_sm_resp', 'in.deliver_sm', 'out.deliver_sm_resp']) {
      expect(actual.get(`${PREFIX}.pdu.carrier.${carrier}.${suffix}`)).toBe(n);
    }
  }

  expectEveryEventOnce(stored);
  expect(runtime.publisher!.stats.rejected).toBe(0);

  checkBilling(stored, accepted);
  checkDlr(stored, accepted);
  checkEsmeFrames(stored, tallies);
  checkCarrierFrames(stored, sims);
});

function eventsOn(stored: readonly StoredEvent[], subject: (s: string) => boolean): StoredEvent[] {
  return stored.filter((s) => subject(s.subject));
}

function checkBilling(stored: readonly StoredEvent[], accepted: ReadonlyMap<string, { account: string; route: 'uk' | 'de'; destination: string }>): void {
  const billing = eventsOn(stored, (s) => s.startsWith(`${PREFIX}.billing.`));
  expect(billing).toHaveLength(TOTAL);
  expect(new Set(billing.map((b) => b.json.proxy_id))).toEqual(new Set(accepted.keys()));
  for (const b of billing) {
    const message = accepted.get(b.json.proxy_id as string)!;
    const route = ROUTES.find((r) => r.name === message.route)!;
    expect(b.subject).toBe(`${PREFIX}.billing.${message.account}`);
    expect(b.json).toMatchObject({
      type: 'billing',
      account: message.account,
      carrier: route.carrier,
      route: route.name,
      cost: route.cost,
      parts: 1,
      destination: message.destination,
      sender_original: 'AUDIT',
    });
  }
  const costByAccount = new Map<string, number>();
  for (const b of billing) costByAccount.set(b.json.account as string, (costByAccount.get(b.json.account as string) ?? 0) + (b.json.cost as number));
  expect(costByAccount.get('acme')).toBeCloseTo(PLAN.acme.uk * 0.0125 + PLAN.acme.de * 0.031, 9);
  expect(costByAccount.get('beta')).toBeCloseTo(PLAN.beta.de * 0.031, 9);
  expect(Object.fromEntries(countBy(billing, (b) => b.json.route as string))).toEqual({ uk: 180, de: 120 });
  // The ESME learnt the same ids from the submit_sm_resp events the stream holds.
  const respIds = eventsOn(stored, (s) => /\.pdu\.esme\.[^.]+\.out\.submit_sm_resp$/.test(s)).map((e) => (e.json.fields as { message_id?: string }).message_id);
  expect(new Set(respIds)).toEqual(new Set(accepted.keys()));
}

function checkDlr(stored: readonly StoredEvent[], accepted: ReadonlyMap<string, { account: string; route: 'uk' | 'de' }>): void {
  const dlr = eventsOn(stored, (s) => s.startsWith(`${PREFIX}.dlr.`));
  expect(dlr).toHaveLength(TOTAL);
  expect(new Set(dlr.map((d) => d.json.proxy_id))).toEqual(new Set(accepted.keys()));
  for (const d of dlr) {
    const message = accepted.get(d.json.proxy_id as string)!;
    expect(d.subject).toBe(`${PREFIX}.dlr.${message.account}`);
    expect(d.json).toMatchObject({ type: 'dlr', account: message.account, carrier: ROUTES.find((r) => r.name === message.route)!.carrier, stat: 'DELIVRD' });
  }
}

/** Every PDU an ESME sent is in the stream byte for byte, under the sequence number it carried. */
function checkEsmeFrames(stored: readonly StoredEvent[], tallies: Record<string, PduTally>): void {
  for (const [account, tally] of Object.entries(tallies)) {
    const incoming = eventsOn(stored, (s) => s.startsWith(`${PREFIX}.pdu.esme.${account}.in.`));
    expect(incoming.length).toBeGreaterThan(0);
    for (const event of incoming) {
      if (event.json.command === 'bind_transceiver') {
        expectRedactedBind(event, account);
        continue;
      }
      const key = `${event.json.command as string}:${event.json.seq as number}`;
      expect({ key, raw: event.json.raw }).toEqual({ key, raw: tally.sentFrames.get(key) });
    }
  }
}

/** Every PDU the proxy sent a carrier is in the stream byte for byte, as the simulator received it. */
function checkCarrierFrames(stored: readonly StoredEvent[], sims: Record<string, CarrierSimulator>): void {
  for (const [carrier, sim] of Object.entries(sims)) {
    const received = sim.received.filter((r) => !r.command.startsWith('bind_')).map((r) => r.frame.toString('base64')).sort();
    const outgoingEvents = eventsOn(stored, (s) => s.startsWith(`${PREFIX}.pdu.carrier.${carrier}.out.`));
    const outgoing = outgoingEvents.filter((e) => !(e.json.command as string).startsWith('bind_')).map((e) => e.json.raw as string).sort();
    for (const bind of outgoingEvents.filter((e) => (e.json.command as string).startsWith('bind_'))) expectRedactedBind(bind, carrier);
    // Keepalives may have gone on after the stream was read; everything else matches exactly.
    const withoutKeepalive = (frames: string[]): string[] => frames.filter((f) => Buffer.from(f, 'base64').readUInt32BE(4) !== 0x00000015);
    expect(withoutKeepalive(outgoing)).toEqual(withoutKeepalive(received));
  }
}

/** A bind goes to the stream as a valid PDU with its password emptied, and says so. */
function expectRedactedBind(event: StoredEvent, systemId: string): void {
  expect(event.json.redacted).toEqual(['password']);
  const decoded = decodePdu(Buffer.from(event.json.raw as string, 'base64'));
  expect(decoded.ok && decoded.pdu.command === 'bind_transceiver' ? { system_id: decoded.pdu.body.system_id, password: decoded.pdu.body.password } : decoded).toEqual({
    system_id: systemId,
    password: '',
  });
}
