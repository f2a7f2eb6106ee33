import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { CommandId, Status, TlvTag, repeatedStandardTlv, tlvSpecOf } from '../../src/smpp/index.js';
import { account, boundRawClient, cleanupAll, makeConfig, remoteCarrier, startCarrier, startProxy } from './harness.js';

afterEach(cleanupAll);

/*
 * Mutated submit_sm PDUs against the running proxy. Every mutant is built to be invalid in one
 * specific way the issue names (missing NUL, fields over limit, sm_length 255 or past the data,
 * UDHI with an empty message, short_message plus message_payload, bad or duplicate TLVs, SAR or
 * UDH part numbers out of range), with everything else random. The proxy must answer each with
 * exactly one submit_sm_resp carrying its sequence number and a non-zero status, forward none of
 * them, and keep the session going.
 */

/**
 * 700 runs of 100..200 mutants is about 105,000 (the 100k), which takes about 22 s on an
 * idle 2-core machine. On a loaded one the run stops at TIME_LIMIT_MS instead and must still
 * have covered MIN_MUTANTS; the count reached is printed either way.
 */
const RUNS = 700;
const BATCH_MIN = 100;
const BATCH_MAX = 200;
const TIME_LIMIT_MS = 35_000;
const MIN_MUTANTS = 20_000;

const NUL = Buffer.from([0]);
const u8 = (n: number): Buffer => Buffer.from([n & 0xff]);
const cstr = (text: string): Buffer => Buffer.concat([Buffer.from(text, 'latin1'), NUL]);

function tlv(tag: number, value: Buffer, declaredLength = value.length): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt16BE(tag, 0);
  head.writeUInt16BE(declaredLength, 2);
  return Buffer.concat([head, value]);
}

/** The mandatory fields of submit_sm in wire order, each as the octets it occupies. */
interface Fields {
  service_type: Buffer;
  source_addr_ton: Buffer;
  source_addr_npi: Buffer;
  source_addr: Buffer;
  dest_addr_ton: Buffer;
  dest_addr_npi: Buffer;
  destination_addr: Buffer;
  esm_class: Buffer;
  protocol_id: Buffer;
  priority_flag: Buffer;
  schedule_delivery_time: Buffer;
  validity_period: Buffer;
  registered_delivery: Buffer;
  replace_if_present_flag: Buffer;
  data_coding: Buffer;
  sm_default_msg_id: Buffer;
  /** sm_length and short_message together. */
  short_message: Buffer;
}

const ORDER: readonly (keyof Fields)[] = [
  'service_type',
  'source_addr_ton',
  'source_addr_npi',
  'source_addr',
  'dest_addr_ton',
  'dest_addr_npi',
  'destination_addr',
  'esm_class',
  'protocol_id',
  'priority_flag',
  'schedule_delivery_time',
  'validity_period',
  'registered_delivery',
  'replace_if_present_flag',
  'data_coding',
  'sm_default_msg_id',
  'short_message',
];

/** C-octet string fields and their size with the NUL. */
const CSTRING_MAX = { service_type: 6, source_addr: 21, destination_addr: 21, schedule_delivery_time: 17, validity_period: 17 } as const;
type CstringField = keyof typeof CSTRING_MAX;
const CSTRING_FIELDS = Object.keys(CSTRING_MAX) as CstringField[];

interface Mutant {
  kind: string;
  /** Body octets after the header. */
  body: Buffer;
}

const printable = (min: number, max: number) =>
  fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), minLength: min, maxLength: max });

const shortMessageOf = (bytes: Uint8Array): Buffer => Buffer.concat([u8(bytes.length), Buffer.from(bytes)]);

/** A valid submit_sm body: the starting point every mutation breaks in one place. */
const baseFields = fc
  .record({
    source: printable(1, 11),
    destination: fc.stringMatching(/^44[0-9]{8,12}$/),
    text: fc.uint8Array({ minLength: 1, maxLength: 140 }),
    registered: fc.constantFrom(0, 1),
  })
  .map(
    ({ source, destination, text, registered }): Fields => ({
      service_type: NUL,
      source_addr_ton: u8(5),
      source_addr_npi: u8(0),
      source_addr: cstr(source),
      dest_addr_ton: u8(1),
      dest_addr_npi: u8(1),
      destination_addr: cstr(destination),
      esm_class: u8(0),
      protocol_id: u8(0),
      priority_flag: u8(0),
      schedule_delivery_time: NUL,
      validity_period: NUL,
      registered_delivery: u8(registered),
      replace_if_present_flag: u8(0),
      data_coding: u8(0),
      sm_default_msg_id: u8(0),
      short_message: shortMessageOf(text),
    }),
  );

const bodyOf = (fields: Fields, tail: Buffer[] = []): Buffer => Buffer.concat([...ORDER.map((k) => fields[k]), ...tail]);

/** Everything up to (not including) `field`. */
const bodyBefore = (fields: Fields, field: keyof Fields): Buffer => Buffer.concat(ORDER.slice(0, ORDER.indexOf(field)).map((k) => fields[k]));

/** Fixed-size standard TLVs (valid values are just the right number of octets). */
const FIXED_TLVS = Object.entries(TlvTag)
  .map(([, tag]) => ({ tag, spec: tlvSpecOf(tag) }))
  .filter((t) => t.spec !== undefined && t.spec.minLength === t.spec.maxLength && t.spec.minLength > 0)
  .filter((t) => ![TlvTag.sar_msg_ref_num, TlvTag.sar_total_segments, TlvTag.sar_segment_seqnum].includes(t.tag as never))
  .map((t) => ({ tag: t.tag, size: t.spec!.minLength }));

const mutations: fc.Arbitrary<Mutant>[] = [
  // A C-octet string whose NUL never comes: the body ends inside it.
  fc.tuple(baseFields, fc.constantFrom(...CSTRING_FIELDS), printable(1, 5)).map(([f, field, text]) => ({
    kind: 'missing NUL at the end',
    body: Buffer.concat([bodyBefore(f, field), Buffer.from(text.slice(0, CSTRING_MAX[field] - 1), 'latin1')]),
  })),
  // A C-octet string with no NUL within its size, the rest of the PDU after it.
  fc.tuple(baseFields, fc.constantFrom(...CSTRING_FIELDS), printable(21, 40)).map(([f, field, text]) => ({
    kind: 'missing NUL',
    body: bodyOf({ ...f, [field]: Buffer.from(text, 'latin1') }),
  })),
  // A field over its limit, properly terminated.
  fc.tuple(baseFields, fc.constantFrom(...CSTRING_FIELDS), printable(21, 60)).map(([f, field, text]) => ({
    kind: 'field over limit',
    body: bodyOf({ ...f, [field]: cstr(text.padEnd(CSTRING_MAX[field], 'X')) }),
  })),
  // A time field of the wrong shape.
  fc.tuple(baseFields, fc.constantFrom('schedule_delivery_time', 'validity_period'), fc.stringMatching(/^[0-9]{1,15}$/)).map(
    ([f, field, text]) => ({ kind: 'time field malformed', body: bodyOf({ ...f, [field]: cstr(text) }) }),
  ),
  // sm_length 255, with 255 octets present.
  fc.tuple(baseFields, fc.uint8Array({ minLength: 255, maxLength: 255 })).map(([f, data]) => ({
    kind: 'sm_length 255',
    body: bodyOf({ ...f, short_message: Buffer.concat([u8(255), Buffer.from(data)]) }),
  })),
  // sm_length pointing past the data.
  fc
    .tuple(baseFields, fc.integer({ min: 1, max: 254 }), fc.nat({ max: 253 }))
    .map(([f, n, k]) => ({
      kind: 'sm_length past the data',
      body: bodyOf({ ...f, short_message: Buffer.concat([u8(n), Buffer.alloc(Math.min(k, n - 1), 0x41)]) }),
    })),
  // UDHI set on an empty message (short_message empty, or an empty message_payload).
  fc.tuple(baseFields, fc.boolean(), fc.constantFrom(0x40, 0x43, 0x42)).map(([f, payload, esm]) => ({
    kind: 'UDHI with an empty message',
    body: bodyOf({ ...f, esm_class: u8(esm), short_message: u8(0) }, payload ? [tlv(TlvTag.message_payload, Buffer.alloc(0))] : []),
  })),
  // short_message and message_payload together.
  fc.tuple(baseFields, fc.uint8Array({ minLength: 0, maxLength: 300 })).map(([f, payload]) => ({
    kind: 'short_message plus message_payload',
    body: bodyOf(f, [tlv(TlvTag.message_payload, Buffer.from(payload))]),
  })),
  // A TLV whose length runs past the end of the PDU.
  fc
    .tuple(baseFields, fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 1, max: 0xffff }), fc.nat({ max: 40 }))
    .map(([f, tag, declared, present]) => ({
      kind: 'TLV length past the PDU',
      body: bodyOf(f, [tlv(tag, Buffer.alloc(Math.min(present, declared - 1), 0x55), declared)]),
    })),
  // 1 to 3 stray octets where a TLV header should be.
  fc.tuple(baseFields, fc.uint8Array({ minLength: 1, maxLength: 3 })).map(([f, stray]) => ({
    kind: 'truncated TLV header',
    body: bodyOf(f, [Buffer.from(stray)]),
  })),
  // A standard fixed-size TLV with the wrong length.
  fc
    .tuple(baseFields, fc.constantFrom(...FIXED_TLVS), fc.integer({ min: 0, max: 8 }))
    .filter(([, t, length]) => length !== t.size)
    .map(([f, t, length]) => ({ kind: 'TLV of the wrong size', body: bodyOf(f, [tlv(t.tag, Buffer.alloc(length, 1))]) })),
  // The same standard TLV twice.
  fc.tuple(baseFields, fc.constantFrom(...FIXED_TLVS), fc.nat({ max: 3 })).map(([f, t, between]) => {
    const one = tlv(t.tag, Buffer.alloc(t.size, 1));
    const filler = Array.from({ length: between }, (_, i) => tlv(0x1400 + i, Buffer.from('vendor')));
    return { kind: 'duplicate TLV', body: bodyOf(f, [one, ...filler, one]) };
  }),
  // SAR part number 0 or above the total (or a total of 0).
  fc
    .tuple(baseFields, fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 254 }), fc.integer({ min: 0, max: 255 }))
    .filter(([, , total, seq]) => total === 0 || seq === 0 || seq > total)
    .map(([f, ref, total, seq]) => {
      const refValue = Buffer.alloc(2);
      refValue.writeUInt16BE(ref, 0);
      return {
        kind: 'SAR part number out of range',
        body: bodyOf(f, [tlv(TlvTag.sar_msg_ref_num, refValue), tlv(TlvTag.sar_total_segments, u8(total)), tlv(TlvTag.sar_segment_seqnum, u8(seq))]),
      };
    }),
  // UDH concatenation part number 0 or above the total.
  fc
    .tuple(baseFields, fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 254 }), fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 100 }))
    .filter(([, , total, seq]) => total === 0 || seq === 0 || seq > total)
    .map(([f, ref, total, seq, text]) => ({
      kind: 'UDH part number out of range',
      body: bodyOf({ ...f, esm_class: u8(0x40), short_message: shortMessageOf(Buffer.concat([Buffer.from([5, 0, 3, ref, total, seq]), Buffer.from(text)])) }),
    })),
];

const mutant = fc.oneof(...mutations);

function frame(sequence: number, body: Buffer): Buffer {
  const header = Buffer.alloc(16);
  header.writeUInt32BE(16 + body.length, 0);
  header.writeUInt32BE(CommandId.submit_sm, 4);
  header.writeUInt32BE(0, 8);
  header.writeUInt32BE(sequence, 12);
  return Buffer.concat([header, body]);
}

describe('mutated PDUs', () => {
  it('answers every mutant once, with its sequence number and an error, forwards none, and keeps the session', async () => {
    const carrier = await startCarrier('mutcarrier');
    const { proxy, port } = await startProxy(
      makeConfig({
        server: { max_pdu_size: 70_000 },
        accounts: { acme: account({ throughput: 0 }) },
        carriers: { main: remoteCarrier(carrier, 'mutcarrier') },
        routes: [{ name: 'all', prefix: [''], carriers: [{ carrier: 'main', cost: 0.01 }] }],
      }),
    );
    const client = await boundRawClient(port, 'acme');
    let sequence = 1;
    let total = 0;
    const byKind = new Map<string, number>();
    const started = Date.now();

    await fc.assert(
      fc.asyncProperty(fc.array(mutant, { minLength: BATCH_MIN, maxLength: BATCH_MAX }), async (batch) => {
        client.forget();
        const sequences = batch.map(() => (sequence = sequence >= 0x7fffffff ? 1 : sequence + 1));
        client.send(Buffer.concat(batch.map((m, i) => frame(sequences[i]!, m.body))));
        const last = sequences[sequences.length - 1]!;
        // Responses to submits the proxy routes may come back out of order; wait for all of them.
        await client.until(() => sequences.every((s) => client.responsesTo(s).length > 0), 15_000);
        batch.forEach((m, i) => {
          const answers = client.responsesTo(sequences[i]!);
          const where = `${m.kind} (${m.body.toString('hex')})`;
          expect(answers.map((a) => a.command), where).toEqual(['submit_sm_resp']);
          expect(answers[0]!.status, where).not.toBe(Status.ESME_ROK);
          byKind.set(m.kind, (byKind.get(m.kind) ?? 0) + 1);
        });
        expect(client.received).toHaveLength(batch.length);
        expect(client.responsesTo(last)).toHaveLength(1);
        expect(client.isClosed).toBe(false);
        total += batch.length;
      }),
      { numRuns: RUNS, endOnFailure: true, interruptAfterTimeLimit: TIME_LIMIT_MS },
    );

    // The session is the one bound at the start and still answers.
    client.forget();
    client.send(enquireLink(0x7ffffff0));
    expect((await client.responseTo(0x7ffffff0)).status).toBe(Status.ESME_ROK);
    // Nothing reached the carrier, and nothing is left in flight.
    expect(carrier.stats.submitsReceived).toBe(0);
    expect(proxy.pendingWork).toBe(0);
    expect(total).toBeGreaterThanOrEqual(MIN_MUTANTS);
    expect(byKind.size).toBe(mutations.length);
    // Reported for the README's test matrix.
    console.info(`mutated PDUs: ${total} mutants in ${Date.now() - started} ms`, Object.fromEntries(byKind));
  }, 60_000);
});

describe('repeatedStandardTlv', () => {
  it('finds a standard tag given twice, and leaves vendor tags alone', () => {
    const t = (tag: number) => ({ tag, value: Buffer.alloc(1) });
    expect(repeatedStandardTlv([])).toBeUndefined();
    expect(repeatedStandardTlv([t(TlvTag.payload_type), t(TlvTag.dest_addr_subunit)])).toBeUndefined();
    expect(repeatedStandardTlv([t(0x1400), t(0x1400)])).toBeUndefined();
    expect(repeatedStandardTlv([t(TlvTag.payload_type), t(0x1400), t(TlvTag.payload_type)])?.tag).toBe(TlvTag.payload_type);
  });
});

function enquireLink(sequence: number): Buffer {
  const header = Buffer.alloc(16);
  header.writeUInt32BE(16, 0);
  header.writeUInt32BE(CommandId.enquire_link, 4);
  header.writeUInt32BE(sequence, 12);
  return header;
}
