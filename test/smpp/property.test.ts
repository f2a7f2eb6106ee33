import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  COMMAND_NAMES,
  CommandId,
  SmppError,
  TlvTag,
  decodePdu,
  encodePdu,
  errorResponseFor,
  makePdu,
  tlvSpecOf,
  type CommandName,
  type Pdu,
  type Tlv,
} from '../../src/smpp/index.js';
import { FieldKind, LAYOUTS, MULTI_ADDRESS_MAX, type FieldSpec } from '../../src/smpp/layout.js';
import { vectors } from './vectors.js';

const RUNS = 150;

/** Any latin1 string without NUL that fits a C-octet string of `max` octets. */
const cstring = (max: number): fc.Arbitrary<string> =>
  fc.array(fc.integer({ min: 1, max: 255 }), { maxLength: max - 1 }).map((codes) => String.fromCharCode(...codes));

const digits = (n: number): fc.Arbitrary<string> =>
  fc.array(fc.integer({ min: 0, max: 9 }), { minLength: n, maxLength: n }).map((d) => d.join(''));

const time: fc.Arbitrary<string> = fc.oneof(
  fc.constant(''),
  fc.tuple(digits(15), fc.constantFrom('+', '-', 'R')).map(([d, p]) => d + p),
);

const octet = fc.integer({ min: 0, max: 255 });
const bytes = (maxLength: number, minLength = 0): fc.Arbitrary<Buffer> =>
  fc.uint8Array({ minLength, maxLength }).map((a) => Buffer.from(a));

const destAddress = fc.oneof(
  fc.record({ dest_flag: fc.constant(1 as const), dest_addr_ton: octet, dest_addr_npi: octet, destination_addr: cstring(MULTI_ADDRESS_MAX) }),
  fc.record({ dest_flag: fc.constant(2 as const), dl_name: cstring(MULTI_ADDRESS_MAX) }),
);

const unsuccessSme = fc.record({
  dest_addr_ton: octet,
  dest_addr_npi: octet,
  destination_addr: cstring(MULTI_ADDRESS_MAX),
  error_status_code: fc.integer({ min: 0, max: 0xffffffff }),
});

function fieldArbitrary(field: FieldSpec): fc.Arbitrary<unknown> {
  switch (field.kind) {
    case FieldKind.u8:
      return octet;
    case FieldKind.cstring:
      return cstring(field.max);
    case FieldKind.time:
      return time;
    case FieldKind.shortMessage:
      return bytes(254);
    case FieldKind.destAddresses:
      return fc.array(destAddress, { minLength: 1, maxLength: 6 });
    case FieldKind.unsuccessSmes:
      return fc.array(unsuccessSme, { maxLength: 6 });
  }
}

const KNOWN_TAGS = Object.values(TlvTag);

/** A standard TLV of a legal size, or an unknown tag with any value. */
const tlv: fc.Arbitrary<Tlv> = fc.oneof(
  fc.constantFrom(...KNOWN_TAGS).chain((tag) => {
    const spec = tlvSpecOf(tag)!;
    const max = Math.min(spec.maxLength, 300);
    return bytes(max, spec.minLength).map((value) => ({ tag, value }));
  }),
  fc
    .integer({ min: 0, max: 0xffff })
    .filter((tag) => tlvSpecOf(tag) === undefined)
    .chain((tag) => bytes(40).map((value) => ({ tag, value }))),
);

function pduArbitrary(command: CommandName): fc.Arbitrary<Pdu> {
  const layout = LAYOUTS[command];
  const fields: Record<string, fc.Arbitrary<unknown>> = {};
  for (const field of layout.fields) fields[field.name] = fieldArbitrary(field);
  const fullBody = fc.record(fields);
  const body = layout.bodyOptional ? fc.oneof(fullBody, fc.constant({})) : fullBody;
  const header = fc.record({ status: fc.integer({ min: 0, max: 0xffffffff }), sequence: fc.integer({ min: 0, max: 0xffffffff }) });
  return fc.tuple(body, header, fc.array(tlv, { maxLength: layout.tlvsAllowed ? 5 : 0 })).map(([b, h, tlvs]) => {
    const hasBody = Object.keys(b).length > 0 || layout.fields.length === 0;
    let list = hasBody ? tlvs : [];
    const sm = (b as { short_message?: Buffer }).short_message;
    if (sm !== undefined && sm.length > 0) list = list.filter((t) => t.tag !== TlvTag.message_payload);
    return makePdu(command, b as never, { status: h.status, sequence: h.sequence, tlvs: list });
  });
}

function expectResultShape(input: Buffer): void {
  let result: ReturnType<typeof decodePdu> | undefined;
  expect(() => {
    result = decodePdu(input);
  }).not.toThrow();
  if (result!.ok) {
    // Whatever the decoder accepts, the encoder writes back octet for octet.
    expect(encodePdu(result!.pdu)).toEqual(input);
  } else {
    const error = result!.error;
    expect(error).toBeInstanceOf(SmppError);
    expect(Number.isInteger(error.status)).toBe(true);
    expect(typeof error.fatal).toBe('boolean');
    const answer = errorResponseFor(error);
    if (answer !== undefined) expect(encodePdu(answer).length).toBe(16);
  }
}

describe('random valid PDUs of every command round-trip byte-exactly', () => {
  it.each(COMMAND_NAMES.map((c) => [c]))('%s', (command) => {
    fc.assert(
      fc.property(pduArbitrary(command), (pdu) => {
        const encoded = encodePdu(pdu);
        expect(encoded.readUInt32BE(0)).toBe(encoded.length);
        expect(encoded.readUInt32BE(4)).toBe(CommandId[command]);
        const result = decodePdu(encoded);
        if (!result.ok) throw result.error;
        expect(result.pdu).toEqual(pdu);
        expect(encodePdu(result.pdu)).toEqual(encoded);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('hostile input never throws and always yields a PDU or an SmppError', () => {
  it('random octets', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (a) => expectResultShape(Buffer.from(a))), { numRuns: 1000 });
  });

  it('random bodies behind a consistent header of every command id (and some unknown ones)', () => {
    const ids = [...Object.values(CommandId), 0, 0x7fffffff, 0x80000022, 0xffffffff];
    fc.assert(
      fc.property(fc.constantFrom(...ids), fc.uint8Array({ maxLength: 200 }), fc.integer({ min: 0, max: 0xffffffff }), (id, body, seq) => {
        const f = Buffer.alloc(16 + body.length);
        f.writeUInt32BE(f.length, 0);
        f.writeUInt32BE(id, 4);
        f.writeUInt32BE(seq, 12);
        f.set(body, 16);
        expectResultShape(f);
      }),
      { numRuns: 2000 },
    );
  });

  it('vectors with random octets changed, cut or appended (command_length kept consistent)', () => {
    const originals = vectors.map((v) => Buffer.from(v.hex, 'hex'));
    fc.assert(
      fc.property(
        fc.constantFrom(...originals),
        fc.array(fc.tuple(fc.nat(), octet), { maxLength: 4 }),
        fc.integer({ min: -8, max: 8 }),
        fc.boolean(),
        (original, edits, resize, fixLength) => {
          let f = Buffer.from(original);
          for (const [at, value] of edits) {
            const index = 4 + (at % Math.max(1, f.length - 4));
            if (index < f.length) f[index] = value;
          }
          if (resize < 0) f = f.subarray(0, Math.max(16, f.length + resize));
          else if (resize > 0) f = Buffer.concat([f, Buffer.alloc(resize, 0x41)]);
          if (fixLength) f.writeUInt32BE(f.length, 0);
          expectResultShape(Buffer.from(f));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('every single-octet change of every vector', () => {
    for (const v of vectors) {
      const original = Buffer.from(v.hex, 'hex');
      for (let i = 4; i < original.length; i++) {
        // Deep inside a long TLV value every octet is alike; its first and last octets suffice.
        if (i >= 128 && i < original.length - 8) continue;
        for (const value of [0x00, 0xff, original[i]! ^ 0x20]) {
          const f = Buffer.from(original);
          f[i] = value;
          expectResultShape(f);
        }
      }
    }
  });

  it('every truncation of every vector with command_length adjusted', () => {
    for (const v of vectors) {
      const original = Buffer.from(v.hex, 'hex');
      for (let length = 16; length < original.length; length++) {
        const f = Buffer.from(original.subarray(0, length));
        f.writeUInt32BE(length, 0);
        expectResultShape(f);
      }
    }
  });
});
