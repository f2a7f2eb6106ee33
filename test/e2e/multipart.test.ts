import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CarrierSimulator } from '../../src/sim/carrier-sim.js';
import { integerTlv, Status, TlvTag, type SubmitSmBody, type Tlv } from '../../src/smpp/index.js';
import {
  account,
  cleanupAll,
  makeConfig,
  NO_BREAKER,
  remoteCarrier,
  shortMessageOf,
  startCarrier,
  startProxy,
  TestEsme,
  waitForBound,
  waitForUnbound,
  type RunningProxy,
} from './harness.js';

/**
 * Every part of one concatenated message must leave through the carrier that took its first
 * part, whichever way the message marks its parts, even when that carrier stops being the
 * first choice half way through.
 */
let alpha: CarrierSimulator;
let beta: CarrierSimulator;
let running: RunningProxy;
let esme: TestEsme;

beforeAll(async () => {
  alpha = await startCarrier('alpha');
  beta = await startCarrier('beta');
  const config = makeConfig({
    accounts: { acme: account() },
    carriers: {
      alpha: remoteCarrier(alpha, 'alpha', { circuit_breaker: NO_BREAKER }),
      beta: remoteCarrier(beta, 'beta', { circuit_breaker: NO_BREAKER }),
    },
    routes: [
      {
        name: 'uk',
        prefix: ['447'],
        carriers: [
          { carrier: 'alpha', cost: 0.005 },
          { carrier: 'beta', cost: 0.01 },
        ],
      },
    ],
  });
  running = await startProxy(config);
  esme = await TestEsme.bind(running.port, 'acme');
});

afterAll(cleanupAll);

beforeEach(() => {
  alpha.configure({ failure: null });
  beta.configure({ failure: null });
});

type Marking = 'udh8' | 'udh16' | 'sar';

/** Fields and TLVs of part `seq` of `total` of a concatenated message with reference `ref`. */
function part(marking: Marking, ref: number, total: number, seq: number, destination = '447700900123'): [Partial<SubmitSmBody>, Tlv[]] {
  const text = Buffer.from(`part ${seq} of ${total}`);
  const base = { destination_addr: destination, data_coding: 0 };
  switch (marking) {
    case 'udh8':
      return [{ ...base, esm_class: 0x40, short_message: Buffer.concat([Buffer.from([0x05, 0x00, 0x03, ref & 0xff, total, seq]), text]) }, []];
    case 'udh16':
      return [
        { ...base, esm_class: 0x40, short_message: Buffer.concat([Buffer.from([0x06, 0x08, 0x04, (ref >> 8) & 0xff, ref & 0xff, total, seq]), text]) },
        [],
      ];
    case 'sar':
      return [
        { ...base, short_message: text },
        [
          { tag: TlvTag.sar_msg_ref_num, value: Buffer.from([(ref >> 8) & 0xff, ref & 0xff]) },
          integerTlv(TlvTag.sar_total_segments, total),
          integerTlv(TlvTag.sar_segment_seqnum, seq),
        ],
      ];
  }
}

async function submitPart(marking: Marking, ref: number, total: number, seq: number, destination?: string): Promise<number> {
  const [fields, tlvs] = part(marking, ref, total, seq, destination);
  return (await esme.submit(fields, tlvs)).status;
}

function counts(): [number, number] {
  return [alpha.stats.submitsReceived, beta.stats.submitsReceived];
}

const MARKINGS: Marking[] = ['udh8', 'udh16', 'sar'];

describe('concatenated messages', () => {
  it.each(MARKINGS)('%s: a part whose carrier went down gets ESME_RMSGQFUL, never another carrier', async (marking) => {
    const ref = 0x1200 + MARKINGS.indexOf(marking);
    const [a0, b0] = counts();
    expect(await submitPart(marking, ref, 3, 1)).toBe(Status.ESME_ROK);
    expect(counts()).toEqual([a0 + 1, b0]);

    await alpha.stop();
    await waitForUnbound(running.proxy, 'alpha');
    // The carrier order changed: a single message now goes to beta ...
    expect((await esme.submit({ destination_addr: '447700900999' })).status).toBe(Status.ESME_ROK);
    expect(counts()).toEqual([a0 + 1, b0 + 1]);
    // ... but the next part of the started message waits for alpha.
    expect(await submitPart(marking, ref, 3, 2)).toBe(Status.ESME_RMSGQFUL);
    expect(counts()).toEqual([a0 + 1, b0 + 1]);

    await alpha.start();
    await waitForBound(running.proxy, ['alpha']);
    const a1 = alpha.stats.submitsReceived;
    expect(await submitPart(marking, ref, 3, 2)).toBe(Status.ESME_ROK);
    expect(await submitPart(marking, ref, 3, 3)).toBe(Status.ESME_ROK);
    expect(alpha.stats.submitsReceived).toBe(a1 + 2);
    expect(beta.stats.submitsReceived).toBe(b0 + 1);
  });

  it('a part the sticky carrier refuses temporarily is refused, not sent elsewhere', async () => {
    const [a0, b0] = counts();
    expect(await submitPart('udh8', 0x31, 2, 1)).toBe(Status.ESME_ROK);
    alpha.configure({ failure: { everyNth: 1, status: Status.ESME_RTHROTTLED } });
    expect(await submitPart('udh8', 0x31, 2, 2)).toBe(Status.ESME_RMSGQFUL);
    expect(counts()).toEqual([a0 + 2, b0]);
    alpha.configure({ failure: null });
    expect(await submitPart('udh8', 0x31, 2, 2)).toBe(Status.ESME_ROK);
    expect(counts()).toEqual([a0 + 3, b0]);
  });

  it('follows the carrier that accepted the first part, including after a failover', async () => {
    alpha.configure({ failure: { everyNth: 1, status: Status.ESME_RMSGQFUL } });
    const [a0, b0] = counts();
    expect(await submitPart('sar', 0x4242, 3, 1)).toBe(Status.ESME_ROK);
    expect(counts()).toEqual([a0 + 1, b0 + 1]);
    alpha.configure({ failure: null });
    expect(await submitPart('sar', 0x4242, 3, 2)).toBe(Status.ESME_ROK);
    expect(await submitPart('sar', 0x4242, 3, 3)).toBe(Status.ESME_ROK);
    // Alpha is healthy and cheaper again, yet the rest of the message went where part 1 did.
    expect(counts()).toEqual([a0 + 1, b0 + 3]);
    // A message with the same reference to another destination is a different message.
    expect(await submitPart('sar', 0x4242, 2, 1, '447700900555')).toBe(Status.ESME_ROK);
    expect(counts()).toEqual([a0 + 2, b0 + 3]);
  });

  it('keeps parts submitted back to back (without waiting for responses) on one carrier', async () => {
    // Alpha takes the first submit and throttles the second: if part 2 were routed before part 1
    // was placed, it would fail over to beta and the message would be split.
    alpha.configure({ failure: { everyNth: 2, status: Status.ESME_RTHROTTLED } });
    const [a0, b0] = counts();
    const parts = [1, 2].map((seq) => part('udh8', 0x77, 2, seq));
    const statuses = await Promise.all(parts.map(([fields, tlvs]) => esme.submit(fields, tlvs).then((r) => r.status)));
    expect(statuses).toEqual([Status.ESME_ROK, Status.ESME_RMSGQFUL]);
    expect(counts()).toEqual([a0 + 2, b0]);
    alpha.configure({ failure: null });
    expect(await submitPart('udh8', 0x77, 2, 2)).toBe(Status.ESME_ROK);
    expect(counts()).toEqual([a0 + 3, b0]);
  });

  it('sends many interleaved multipart messages with every message on a single carrier', async () => {
    // Alpha refuses every third submit, so messages keep failing over to beta part by part.
    alpha.configure({ failure: { everyNth: 3, status: Status.ESME_RMSGQFUL } });
    const destination = '447700900777';
    const submits: Promise<number>[] = [];
    for (let seq = 1; seq <= 3; seq++) {
      for (let ref = 0; ref < 6; ref++) {
        const [fields, tlvs] = part('udh8', ref, 3, seq, destination);
        submits.push(esme.submit(fields, tlvs).then((r) => r.status));
      }
    }
    const statuses = await Promise.all(submits);
    expect(statuses.every((s) => s === Status.ESME_ROK || s === Status.ESME_RMSGQFUL)).toBe(true);
    const carriersOf = new Map<number, Set<string>>();
    for (const [name, carrier] of [['alpha', alpha], ['beta', beta]] as const) {
      for (const s of carrier.submits) {
        if (s.pdu.body.destination_addr !== destination || s.status !== Status.ESME_ROK) continue;
        const ref = shortMessageOf(s)[3]!;
        let set = carriersOf.get(ref);
        if (set === undefined) carriersOf.set(ref, (set = new Set()));
        set.add(name);
      }
    }
    expect(carriersOf.size).toBe(6);
    for (const [ref, carriers] of carriersOf) expect({ ref, carriers: carriers.size }).toEqual({ ref, carriers: 1 });
  });

  it('keeps each part byte for byte, UDH included', async () => {
    const [fields, tlvs] = part('udh16', 0xbeef, 2, 1);
    const before = alpha.stats.submitsReceived;
    expect((await esme.submit(fields, tlvs)).status).toBe(Status.ESME_ROK);
    const record = (await alpha.waitForSubmits(before + 1, 2_000)).at(-1)!;
    expect(record.pdu.body.esm_class).toBe(0x40);
    expect(shortMessageOf(record).equals(fields.short_message!)).toBe(true);
  });

  it('refuses a part whose UDH contradicts itself, before any carrier sees it', async () => {
    const [a0, b0] = counts();
    // Part 3 of 2.
    const resp = await esme.submit({ esm_class: 0x40, short_message: Buffer.from([0x05, 0x00, 0x03, 0x01, 0x02, 0x03, 0x41]) });
    expect(resp.status).not.toBe(Status.ESME_ROK);
    expect(counts()).toEqual([a0, b0]);
  });
});
