import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CarrierSimulator, SubmitRecord } from '../../src/sim/carrier-sim.js';
import { submitSmPdu } from '../../src/sim/pdus.js';
import { encodePdu, Status, type PduOf, type SubmitSmBody, type Tlv } from '../../src/smpp/index.js';
import { account, cleanupAll, makeConfig, remoteCarrier, shortMessageOf, startCarrier, startProxy, TestEsme, type RunningProxy } from './harness.js';

/**
 * Routing, sender policy and byte transparency through the running proxy: one proxy, three
 * simulated carriers, and the frames each carrier actually received.
 */
let alpha: CarrierSimulator;
let beta: CarrierSimulator;
let gamma: CarrierSimulator;
let running: RunningProxy;
let acme: TestEsme;
let limited: TestEsme;

beforeAll(async () => {
  alpha = await startCarrier('alpha');
  beta = await startCarrier('beta');
  gamma = await startCarrier('gamma');
  const config = makeConfig({
    accounts: {
      acme: account({ sender_ids: ['ACME', 'ACMEUK', 'BRAND', '^\\d{5,15}$'] }),
      limited: account({ routes: ['uk'] }),
    },
    carriers: {
      alpha: remoteCarrier(alpha, 'alpha'),
      beta: remoteCarrier(beta, 'beta'),
      gamma: remoteCarrier(gamma, 'gamma'),
    },
    routes: [
      {
        name: 'uk',
        prefix: ['447'],
        carriers: [
          { carrier: 'alpha', cost: 0.012 },
          { carrier: 'beta', cost: 0.0095 },
        ],
      },
      // Longer prefix, pricier carrier: the longest prefix wins before cost is looked at.
      { name: 'uk-special', prefix: ['4479'], carriers: [{ carrier: 'gamma', cost: 0.03 }] },
      {
        name: 'north-america',
        prefix: ['1'],
        carriers: [
          { carrier: 'alpha', cost: 0.006 },
          { carrier: 'gamma', cost: 0.007 },
        ],
      },
    ],
    sender_rewrite: [
      { match: { account: 'acme', sender: '^ACME$', carrier: 'beta' }, set: { sender: 'ACMECO', ton: 5, npi: 0 } },
      { match: { sender: '^44(\\d+)$', carrier: 'beta' }, set: { replace: '0$1', ton: 2, npi: 1 } },
      { match: { sender: '^(?<brand>[A-Z]+)UK$', destination_prefix: ['447'] }, set: { replace: '$<brand>' } },
    ],
  });
  running = await startProxy(config);
  acme = await TestEsme.bind(running.port, 'acme');
  limited = await TestEsme.bind(running.port, 'limited');
});

afterAll(cleanupAll);

/** Submits through `esme` and returns the response and the frame the carrier that took it received. */
async function submitVia(
  esme: TestEsme,
  carrier: CarrierSimulator,
  fields: Partial<SubmitSmBody>,
  tlvs: Tlv[] = [],
): Promise<{ resp: PduOf<'submit_sm_resp'>; sent: Buffer; record: SubmitRecord }> {
  const before = carrier.stats.submitsReceived;
  const pdu = submitSmPdu(fields, { tlvs });
  const resp = await esme.submit(fields, tlvs);
  expect(resp.status).toBe(Status.ESME_ROK);
  const records = await carrier.waitForSubmits(before + 1, 2_000);
  const record = records.at(-1)!;
  // The frame the ESME put on the wire: the same PDU with the sequence number its session chose.
  const sent = encodePdu({ ...pdu, sequence: resp.sequence });
  return { resp, sent, record };
}

function totals(): number[] {
  return [alpha, beta, gamma].map((c) => c.stats.submitsReceived);
}

describe('routing', () => {
  it('sends to the cheapest carrier of the longest matching prefix', async () => {
    const start = totals();
    expect((await acme.submit({ destination_addr: '447700900123' })).status).toBe(Status.ESME_ROK);
    expect((await acme.submit({ destination_addr: '447912345678' })).status).toBe(Status.ESME_ROK);
    expect((await acme.submit({ destination_addr: '12025550100' })).status).toBe(Status.ESME_ROK);
    // 447... -> uk -> beta (0.0095 < 0.012); 4479... -> uk-special -> gamma; 1... -> alpha (0.006 < 0.007).
    expect(totals().map((n, i) => n - start[i]!)).toEqual([1, 1, 1]);
    expect(beta.submits.at(-1)!.pdu.body.destination_addr).toBe('447700900123');
    expect(gamma.submits.at(-1)!.pdu.body.destination_addr).toBe('447912345678');
    expect(alpha.submits.at(-1)!.pdu.body.destination_addr).toBe('12025550100');
  });

  it('normalises a leading + or 00 before matching, and forwards the destination as written', async () => {
    const start = totals();
    expect((await acme.submit({ destination_addr: '+447700900124' })).status).toBe(Status.ESME_ROK);
    expect((await acme.submit({ destination_addr: '00447700900125' })).status).toBe(Status.ESME_ROK);
    expect(totals().map((n, i) => n - start[i]!)).toEqual([0, 2, 0]);
    expect(beta.submits.slice(-2).map((s) => s.pdu.body.destination_addr)).toEqual(['+447700900124', '00447700900125']);
  });

  it('answers every accepted submit with a distinct proxy id, not the carrier id', async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const resp = await acme.submit({ destination_addr: `44770090020${i}` });
      expect(resp.status).toBe(Status.ESME_ROK);
      ids.add(resp.body.message_id ?? '');
    }
    expect(ids.size).toBe(5);
    const carrierIds = new Set(beta.submits.map((s) => s.messageId));
    for (const id of ids) {
      expect(id.length).toBeGreaterThan(0);
      expect(id.length).toBeLessThanOrEqual(64);
      expect(carrierIds.has(id)).toBe(false);
    }
  });

  it('restricts an account to its routes: a route it may not use is as good as none', async () => {
    const start = totals();
    // 4479... would take uk-special, which `limited` may not use: it falls back to uk.
    expect((await limited.submit({ destination_addr: '447912345678' })).status).toBe(Status.ESME_ROK);
    expect(totals().map((n, i) => n - start[i]!)).toEqual([0, 1, 0]);
    // Only north-america covers 1...: not allowed for `limited`.
    expect((await limited.submit({ destination_addr: '12025550100' })).status).toBe(Status.ESME_RINVDSTADR);
    // No route at all covers 33...
    expect((await acme.submit({ destination_addr: '33612345678' })).status).toBe(Status.ESME_RINVDSTADR);
    // Not a number: refused the same way, without reaching a carrier.
    expect((await acme.submit({ destination_addr: '44ABC' })).status).toBe(Status.ESME_RINVDSTADR);
    expect(totals().map((n, i) => n - start[i]!)).toEqual([0, 1, 0]);
  });
});

describe('sender policy', () => {
  it('refuses a sender outside the allow-list with ESME_RINVSRCADR before routing', async () => {
    const start = totals();
    expect((await acme.submit({ source_addr: 'EVIL' })).status).toBe(Status.ESME_RINVSRCADR);
    expect((await acme.submit({ source_addr: 'acme' })).status).toBe(Status.ESME_RINVSRCADR);
    expect((await acme.submit({ source_addr: '1234' })).status).toBe(Status.ESME_RINVSRCADR);
    expect(totals()).toEqual(start);
  });

  it('rewrites a fixed sender with TON/NPI for the carrier the rule names, and only the rewritten fields change', async () => {
    const fields = { source_addr: 'ACME', source_addr_ton: 1, source_addr_npi: 1, short_message: Buffer.from('rewrite me') };
    const { sent, record } = await submitVia(acme, beta, fields);
    expect(record.pdu.body.source_addr).toBe('ACMECO');
    expect(record.pdu.body.source_addr_ton).toBe(5);
    expect(record.pdu.body.source_addr_npi).toBe(0);
    const expected = encodePdu({
      ...submitSmPdu(fields),
      body: { ...submitSmPdu(fields).body, source_addr: 'ACMECO', source_addr_ton: 5, source_addr_npi: 0 },
      sequence: record.pdu.sequence,
    });
    expect(record.frame.equals(expected)).toBe(true);
    expect(sent.length).not.toBe(record.frame.length);
  });

  it('leaves the sender alone on a carrier no rule names', async () => {
    const { sent, record } = await submitVia(acme, alpha, { source_addr: 'ACME', destination_addr: '12025550100' });
    expect(record.pdu.body.source_addr).toBe('ACME');
    expectSameExceptSequence(record.frame, sent);
  });

  it('rewrites with a regex replacement and numbered groups, setting TON/NPI', async () => {
    const { record } = await submitVia(acme, beta, { source_addr: '447700900999', source_addr_ton: 1, source_addr_npi: 1 });
    expect(record.pdu.body.source_addr).toBe('07700900999');
    expect(record.pdu.body.source_addr_ton).toBe(2);
    expect(record.pdu.body.source_addr_npi).toBe(1);
  });

  it('rewrites with a named group where the destination prefix matches, keeping TON/NPI when the rule sets none', async () => {
    const { record } = await submitVia(acme, gamma, { source_addr: 'ACMEUK', destination_addr: '447912340000', source_addr_ton: 5, source_addr_npi: 0 });
    expect(record.pdu.body.source_addr).toBe('ACME');
    expect(record.pdu.body.source_addr_ton).toBe(5);
    expect(record.pdu.body.source_addr_npi).toBe(0);
    // Destination outside the rule's prefix: no rewrite.
    const other = await submitVia(acme, alpha, { source_addr: 'ACMEUK', destination_addr: '12025550101' });
    expect(other.record.pdu.body.source_addr).toBe('ACMEUK');
  });
});

function expectSameExceptSequence(received: Buffer, sent: Buffer): void {
  expect(received.length).toBe(sent.length);
  // Header: command_length, command_id, command_status equal; sequence_number is the proxy's own.
  expect(received.subarray(0, 12).equals(sent.subarray(0, 12))).toBe(true);
  expect(received.subarray(16).equals(sent.subarray(16))).toBe(true);
}

describe('byte transparency', () => {
  const vendorTlv: Tlv = { tag: 0x1401, value: Buffer.from([0x00, 0xff, 0x80, 0x7f, 0x01]) };
  const emptyVendorTlv: Tlv = { tag: 0x3fff, value: Buffer.alloc(0) };
  const highBytes = Buffer.from(Array.from({ length: 128 }, (_, i) => 0x80 + i));

  it('carries data_coding 0 bytes >= 0x80 and unknown TLVs unchanged', async () => {
    const { sent, record } = await submitVia(acme, beta, { source_addr: 'BRAND', data_coding: 0, short_message: highBytes }, [vendorTlv, emptyVendorTlv]);
    expectSameExceptSequence(record.frame, sent);
    expect(shortMessageOf(record).equals(highBytes)).toBe(true);
    expect(record.pdu.tlvs).toEqual([vendorTlv, emptyVendorTlv]);
  });

  it('carries an odd-length UCS-2 body, a dc 0x11 body and a 254-octet body unchanged', async () => {
    const cases: Partial<SubmitSmBody>[] = [
      { data_coding: 8, short_message: Buffer.from([0x04, 0x1f, 0x04, 0x40, 0x04]) },
      { data_coding: 0x11, short_message: Buffer.from([0x00, 0x41, 0xd8, 0x3d, 0xde, 0x00]) },
      { data_coding: 4, short_message: Buffer.from(Array.from({ length: 254 }, (_, i) => (i * 7) & 0xff)) },
    ];
    for (const fields of cases) {
      const { sent, record } = await submitVia(acme, beta, { source_addr: 'BRAND', ...fields }, [vendorTlv]);
      expectSameExceptSequence(record.frame, sent);
    }
  });

  it('keeps the body bytes and unknown TLVs when the sender is rewritten (only the sender fields change)', async () => {
    const fields = { source_addr: 'ACME', data_coding: 0, short_message: highBytes };
    const tlvs = [vendorTlv, { tag: 0x0204, value: Buffer.from([0x12, 0x34]) }];
    const { record } = await submitVia(acme, beta, fields, tlvs);
    const original = submitSmPdu(fields, { tlvs });
    const expected = encodePdu({
      ...original,
      body: { ...original.body, source_addr: 'ACMECO', source_addr_ton: 5, source_addr_npi: 0 },
      sequence: record.pdu.sequence,
    });
    expect(record.frame.equals(expected)).toBe(true);
  });
});
