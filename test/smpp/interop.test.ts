import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodePdu, encodePdu, makePdu, type Pdu, type SubmitSmBody } from '../../src/smpp/index.js';
import { LAYOUTS, FieldKind } from '../../src/smpp/layout.js';
import { vectors } from './vectors.js';

// The npm smpp package is an independent implementation; it ships no types, so it is loaded untyped.
interface PeerPdu {
  command: string;
  command_status: number;
  sequence_number: number;
  toBuffer(): Buffer;
  [field: string]: unknown;
}
const peer = createRequire(import.meta.url)('smpp') as { PDU: new (commandOrBuffer: string | Buffer, options?: object) => PeerPdu };

function ours(frame: Buffer): Pdu {
  const result = decodePdu(frame);
  if (!result.ok) throw result.error;
  return result.pdu;
}

/** Compares every integer and C-string field; the peer turns time strings into Dates, so only empty ones compare. */
function expectSameScalars(pdu: Pdu, theirs: PeerPdu): void {
  expect(theirs.command).toBe(pdu.command);
  expect(theirs.sequence_number).toBe(pdu.sequence);
  expect(theirs.command_status).toBe(pdu.status);
  const body = pdu.body as Record<string, unknown>;
  for (const field of LAYOUTS[pdu.command].fields) {
    const value = body[field.name];
    if (value === undefined) continue;
    if (field.kind === FieldKind.u8 || field.kind === FieldKind.cstring) {
      expect(theirs[field.name], field.name).toBe(value);
    } else if (field.kind === FieldKind.time && value === '') {
      expect(theirs[field.name], field.name).toBe('');
    }
  }
}

describe('interop with the npm smpp package', () => {
  // The peer drops the body of any non-zero-status response, so those vectors are left out.
  const comparable = vectors.filter((v) => v.command_status === 0 || !v.command.endsWith('_resp'));

  it.each(comparable.map((v) => [v.name, v] as const))('%s encoded by us decodes the same in the peer', (_name, v) => {
    const pdu = ours(Buffer.from(v.hex, 'hex'));
    const theirs = new peer.PDU(encodePdu(pdu));
    expectSameScalars(pdu, theirs);
  });

  it('the peer reads submit_multi destinations and unsuccess lists as we wrote them', () => {
    const multi = ours(Buffer.from(vectors.find((v) => v.name === 'submit_multi')!.hex, 'hex'));
    const theirs = new peer.PDU(encodePdu(multi));
    expect(theirs['dest_address']).toEqual([
      { dest_addr_ton: 1, dest_addr_npi: 1, destination_addr: '447700900123' },
      { dl_name: 'friends' },
    ]);
    const resp = ours(Buffer.from(vectors.find((v) => v.name === 'submit_multi_resp')!.hex, 'hex'));
    expect(new peer.PDU(encodePdu(resp))['unsuccess_sme']).toEqual([
      { dest_addr_ton: 1, dest_addr_npi: 1, destination_addr: '447700900999', error_status_code: 11 },
    ]);
  });

  it('random ASCII submit_sm we encode decode to the same fields and text in the peer', () => {
    const ascii = (max: number): fc.Arbitrary<string> => fc.string({ unit: fc.constantFrom(...'0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcxyz+'), maxLength: max });
    fc.assert(
      fc.property(ascii(20), ascii(20), fc.string({ unit: fc.constantFrom(...'abcdefghij klmnop'), minLength: 1, maxLength: 140 }), fc.integer({ min: 1, max: 0x7fffffff }), (src, dst, text, seq) => {
        const body: SubmitSmBody = {
          service_type: '', source_addr_ton: 1, source_addr_npi: 1, source_addr: src, dest_addr_ton: 1, dest_addr_npi: 1,
          destination_addr: dst, esm_class: 0, protocol_id: 0, priority_flag: 0, schedule_delivery_time: '', validity_period: '',
          registered_delivery: 1, replace_if_present_flag: 0, data_coding: 0, sm_default_msg_id: 0, short_message: Buffer.from(text, 'latin1'),
        };
        const pdu = makePdu('submit_sm', body, { sequence: seq });
        const theirs = new peer.PDU(encodePdu(pdu));
        expectSameScalars(pdu, theirs);
        expect((theirs['short_message'] as { message: string }).message).toBe(text);
      }),
      { numRuns: 100 },
    );
  });

  it('PDUs the peer encodes decode in ours to the values it was given', () => {
    const submit = new peer.PDU('submit_sm', {
      sequence_number: 5, source_addr: 'ACME', destination_addr: '447700900123', short_message: 'Hi there', registered_delivery: 1,
    }).toBuffer();
    const pdu = ours(submit);
    expect(pdu).toMatchObject({ command: 'submit_sm', sequence: 5, body: { source_addr: 'ACME', destination_addr: '447700900123', registered_delivery: 1 } });
    expect((pdu.body as SubmitSmBody).short_message.toString('latin1')).toBe('Hi there');
    expect(encodePdu(pdu)).toEqual(submit);

    const bind = new peer.PDU('bind_transceiver', { sequence_number: 1, system_id: 'acme', password: 'pw', interface_version: 0x34 }).toBuffer();
    expect(ours(bind)).toMatchObject({ command: 'bind_transceiver', body: { system_id: 'acme', password: 'pw', interface_version: 0x34 } });
    expect(encodePdu(ours(bind))).toEqual(bind);

    const resp = new peer.PDU('submit_sm_resp', { sequence_number: 5, message_id: 'abc-1' }).toBuffer();
    expect(ours(resp)).toMatchObject({ command: 'submit_sm_resp', body: { message_id: 'abc-1' } });

    const multi = new peer.PDU('submit_multi', {
      sequence_number: 6, source_addr: 'ACME', short_message: 'Hi',
      dest_address: [{ dest_addr_ton: 1, dest_addr_npi: 1, destination_addr: '4477' }, { dl_name: 'team' }],
    }).toBuffer();
    expect(ours(multi).body).toMatchObject({
      dest_address: [
        { dest_flag: 1, dest_addr_ton: 1, dest_addr_npi: 1, destination_addr: '4477' },
        { dest_flag: 2, dl_name: 'team' },
      ],
    });
    expect(encodePdu(ours(multi))).toEqual(multi);

    for (const command of ['enquire_link', 'enquire_link_resp', 'unbind', 'unbind_resp', 'generic_nack']) {
      const frame = new peer.PDU(command, { sequence_number: 9 }).toBuffer();
      expect(ours(frame)).toMatchObject({ command, sequence: 9, body: {} });
    }
  });
});
