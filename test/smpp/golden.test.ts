import { describe, expect, it } from 'vitest';
import {
  CommandId,
  commandNameOf,
  decodePdu,
  encodePdu,
  makePdu,
  tlvNameOf,
  type CommandName,
  type Pdu,
} from '../../src/smpp/index.js';
import { FieldKind, LAYOUTS } from '../../src/smpp/layout.js';
import { bodyFromVector, tlvsFromVector, vectorFieldsOf, vectors } from './vectors.js';

function decodeOk(hex: string): Pdu {
  const result = decodePdu(Buffer.from(hex, 'hex'));
  if (!result.ok) throw result.error;
  return result.pdu;
}

describe('golden vectors (Net::SMPP 1.19)', () => {
  it('covers all 41 vectors and every command they name', () => {
    expect(vectors).toHaveLength(41);
    for (const v of vectors) expect(commandNameOf(Number.parseInt(v.command_id, 16))).toBe(v.command);
  });

  describe.each(vectors.map((v) => [v.name, v] as const))('%s', (_name, v) => {
    it('decodes to the listed header, fields and TLVs', () => {
      const pdu = decodeOk(v.hex);
      expect(pdu.command).toBe(v.command);
      expect(pdu.status).toBe(v.command_status);
      expect(pdu.sequence).toBe(v.sequence_number);
      const fields = vectorFieldsOf(pdu);
      expect(fields).toEqual(v.fields);
      // Wire order matters to readers of the vectors and to anyone iterating a body.
      expect(Object.keys(fields)).toEqual(Object.keys(v.fields));
      expect(pdu.tlvs.map((t) => ({ tag: t.tag, name: tlvNameOf(t.tag), hex: t.value.toString('hex') }))).toEqual(
        v.tlvs.map((t) => ({ tag: Number.parseInt(t.tag, 16), name: t.name, hex: t.hex })),
      );
    });

    it('re-encodes the decoded PDU to the same octets', () => {
      expect(encodePdu(decodeOk(v.hex)).toString('hex')).toBe(v.hex);
    });

    it('encodes a PDU built from the listed fields to the same octets', () => {
      const pdu = makePdu(v.command, bodyFromVector(v.fields) as never, {
        status: v.command_status,
        sequence: v.sequence_number,
        tlvs: tlvsFromVector(v.tlvs),
      });
      expect(encodePdu(pdu).toString('hex')).toBe(v.hex);
    });
  });

  it('keeps the non-conformant one-octet error bodies apart from the bodiless spec form', () => {
    const withBody = decodeOk('00000011800000020000000d0000000600');
    const without = decodeOk('00000010800000020000000d00000005');
    expect(withBody.body).toEqual({ system_id: '' });
    expect(without.body).toEqual({});
    expect(encodePdu(withBody)).toHaveLength(17);
    expect(encodePdu(without)).toHaveLength(16);
  });
});

describe('editing one field changes only its own octets', () => {
  // For every vector and every top-level C-string, append one character: the new frame must be
  // the old one with that single octet inserted before the field's NUL, and command_length + 1.
  const cases: [string, string][] = [];
  for (const v of vectors) {
    for (const spec of LAYOUTS[v.command].fields) {
      const value = v.fields[spec.name];
      // Time fields only take exactly 16 characters, so they are not grown here.
      if (spec.kind === FieldKind.cstring && typeof value === 'string' && value.length + 2 <= spec.max) {
        cases.push([v.name, spec.name]);
      }
    }
  }

  it('has a case for most vectors', () => {
    expect(new Set(cases.map(([name]) => name)).size).toBeGreaterThan(20);
  });

  it.each(cases)('%s: %s', (name, field) => {
    const v = vectors.find((x) => x.name === name)!;
    const original = Buffer.from(v.hex, 'hex');
    const pdu = decodeOk(v.hex);
    const body = pdu.body as Record<string, unknown>;
    body[field] = (body[field] as string) + 'Z';
    const edited = encodePdu(pdu);
    expect(edited.length).toBe(original.length + 1);
    expect(edited.readUInt32BE(0)).toBe(original.length + 1);
    expect(edited.subarray(4, 16)).toEqual(original.subarray(4, 16));
    let at = 16;
    while (edited[at] === original[at]) at++;
    expect(original[at]).toBe(0);
    expect(edited[at]).toBe(0x5a);
    expect(edited.subarray(at + 1)).toEqual(original.subarray(at));
    const reread = decodeOk(edited.toString('hex'));
    expect((reread.body as Record<string, unknown>)[field]).toBe(body[field]);
  });

  it('changing source_addr of a submit_sm moves only the bytes after it', () => {
    const v = vectors.find((x) => x.name === 'submit_sm_gsm_text')!;
    const pdu = decodeOk(v.hex) as Extract<Pdu, { command: 'submit_sm' }>;
    pdu.body.source_addr = 'ACME-LONGER';
    const out = encodePdu(pdu).toString('hex');
    const expected = v.hex
      .replace(/^0000003c/, '00000043')
      .replace('41434d4500', Buffer.from('ACME-LONGER\0', 'latin1').toString('hex'));
    expect(out).toBe(expected);
  });

  it('changing one integer field changes exactly one octet', () => {
    for (const v of vectors) {
      const ints = Object.entries(v.fields).filter(([k, val]) => typeof val === 'number' && !['sm_length', 'number_of_dests', 'no_unsuccess'].includes(k));
      for (const [key, value] of ints) {
        const pdu = decodeOk(v.hex);
        (pdu.body as Record<string, unknown>)[key] = ((value as number) + 1) & 0xff;
        const out = encodePdu(pdu);
        const original = Buffer.from(v.hex, 'hex');
        let differing = 0;
        for (let i = 0; i < out.length; i++) if (out[i] !== original[i]) differing++;
        expect(out.length, `${v.name}.${key}`).toBe(original.length);
        expect(differing, `${v.name}.${key}`).toBe(1);
      }
    }
  });
});

describe('hand-written golden PDUs beyond the vectors', () => {
  // Each entry: hex, command, expected body (in vector notation) and TLVs, all checked both ways.
  const cases: { name: string; hex: string; command: CommandName; status: number; fields: Record<string, unknown>; tlvs?: [number, string][] }[] = [
    { name: 'generic_nack ESME_RINVCMDLEN', hex: '00000010800000000000000200000001', command: 'generic_nack', status: 2, fields: {} },
    { name: 'generic_nack ESME_RSYSERR max sequence', hex: '0000001080000000000000087fffffff', command: 'generic_nack', status: 8, fields: {} },
    {
      name: 'data_sm_resp with network_error_code, delivery_failure_reason and additional_status_info_text',
      hex: '0000002b800001030000004500000005' + '6d696400' + '0423000303000b' + '0425000101' + '001d0007626164206e6f00',
      command: 'data_sm_resp',
      status: 0x45,
      fields: { message_id: 'mid' },
      tlvs: [
        [0x0423, '03000b'],
        [0x0425, '01'],
        [0x001d, '626164206e6f00'],
      ],
    },
    { name: 'deliver_sm_resp without body (a common peer habit)', hex: '00000010800000050000000000000009', command: 'deliver_sm_resp', status: 0, fields: {} },
    { name: 'data_sm_resp error without body', hex: '00000010800001030000000800000009', command: 'data_sm_resp', status: 8, fields: {} },
    { name: 'query_sm_resp error without body', hex: '00000010800000030000006700000009', command: 'query_sm_resp', status: 0x67, fields: {} },
    { name: 'submit_multi_resp error without body', hex: '00000010800000210000004500000009', command: 'submit_multi_resp', status: 0x45, fields: {} },
    {
      name: 'submit_multi_resp with every destination accepted',
      hex: '00000015800000210000000000000009' + '69643100' + '00',
      command: 'submit_multi_resp',
      status: 0,
      fields: { message_id: 'id1', no_unsuccess: 0, unsuccess_sme: [] },
    },
    {
      name: 'submit_sm_resp with an SMPP 5.0 TLV tolerated',
      hex: '0000001880000004000000000000000a' + '616200' + '0425000102',
      command: 'submit_sm_resp',
      status: 0,
      fields: { message_id: 'ab' },
      tlvs: [[0x0425, '02']],
    },
    {
      name: 'bind_receiver_resp error without body',
      hex: '00000010800000010000000e00000002',
      command: 'bind_receiver_resp',
      status: 0x0e,
      fields: {},
    },
    {
      name: 'submit_sm with an unknown vendor TLV kept verbatim, latin1 source_addr',
      hex:
        '0000003a000000040000000000000003' +
        '00' + '0500' + 'e94100' + '0101' + '343400' + '000000' + '00' + '00' + '00' + '00' + '00' + '00' + '03616263' +
        '1401000401020304' + '14000000' + 'fffe0002ff00',
      command: 'submit_sm',
      status: 0,
      fields: {
        service_type: '', source_addr_ton: 5, source_addr_npi: 0, source_addr: '\u00e9A', dest_addr_ton: 1, dest_addr_npi: 1,
        destination_addr: '44', esm_class: 0, protocol_id: 0, priority_flag: 0, schedule_delivery_time: '', validity_period: '',
        registered_delivery: 0, replace_if_present_flag: 0, data_coding: 0, sm_default_msg_id: 0, sm_length: 3, short_message: '616263',
      },
      tlvs: [
        [0x1401, '01020304'],
        [0x1400, ''],
        [0xfffe, 'ff00'],
      ],
    },
    {
      name: 'deliver_sm with an empty short_message and a message_payload',
      hex:
        '0000002b000000050000000000000004' +
        '00' + '0101' + '3100' + '0101' + '3200' + '00' + '00' + '00' + '00' + '00' + '00' + '00' + '08' + '00' + '00' +
        '0424000400410042',
      command: 'deliver_sm',
      status: 0,
      fields: {
        service_type: '', source_addr_ton: 1, source_addr_npi: 1, source_addr: '1', dest_addr_ton: 1, dest_addr_npi: 1,
        destination_addr: '2', esm_class: 0, protocol_id: 0, priority_flag: 0, schedule_delivery_time: '', validity_period: '',
        registered_delivery: 0, replace_if_present_flag: 0, data_coding: 8, sm_default_msg_id: 0, sm_length: 0, short_message: '',
      },
      tlvs: [[0x0424, '00410042']],
    },
    {
      name: 'alert_notification without TLVs',
      hex: '00000018000001020000000000000004' + '0101' + '3100' + '0000' + '3200',
      command: 'alert_notification',
      status: 0,
      fields: { source_addr_ton: 1, source_addr_npi: 1, source_addr: '1', esme_addr_ton: 0, esme_addr_npi: 0, esme_addr: '2' },
    },
    {
      name: 'bind_transceiver with maximal system_id (15) and password (8)',
      hex:
        '0000002e000000090000000000000001' +
        Buffer.from('ABCDEFGHIJKLMNO\0', 'latin1').toString('hex') + Buffer.from('pass1234\0', 'latin1').toString('hex') +
        '00' + '34' + '00' + '00' + '00',
      command: 'bind_transceiver',
      status: 0,
      fields: { system_id: 'ABCDEFGHIJKLMNO', password: 'pass1234', system_type: '', interface_version: 0x34, addr_ton: 0, addr_npi: 0, address_range: '' },
    },
  ];

  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const pdu = decodeOk(c.hex);
    expect(pdu.command).toBe(c.command);
    expect(pdu.status).toBe(c.status);
    expect(vectorFieldsOf(pdu)).toEqual(c.fields);
    expect(pdu.tlvs.map((t) => [t.tag, t.value.toString('hex')])).toEqual(c.tlvs ?? []);
    expect(encodePdu(pdu).toString('hex')).toBe(c.hex);
    const built = makePdu(c.command, bodyFromVector(c.fields) as never, {
      status: c.status,
      sequence: Buffer.from(c.hex, 'hex').readUInt32BE(12),
      tlvs: (c.tlvs ?? []).map(([tag, hex]) => ({ tag, value: Buffer.from(hex, 'hex') })),
    });
    expect(encodePdu(built).toString('hex')).toBe(c.hex);
    expect(CommandId[c.command]).toBe(Buffer.from(c.hex, 'hex').readUInt32BE(4));
  });
});
