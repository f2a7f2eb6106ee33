import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { PduEvent } from '../../src/broker/events.js';
import {
  decodePduFacts,
  encodePduFacts,
  isPduFacts,
  pduFactsRecord,
  PduFactsError,
  pduFactsTime,
  renderAuditPayload,
} from '../../src/audit/pdu-facts.js';
import { pduRecord } from '../../src/audit/schema.js';
import { bindFrame, pduEvent, receiptFrame, submitSmFrame, submitSmRespFrame } from './fixtures.js';

const ctx = (id: string) => ({ prefix: 'smpp', instance: 'px-1', nextId: () => id });

describe('PDU fact records (the stored form of PDU events)', () => {
  const cases: Array<[string, PduEvent]> = [
    ['esme submit_sm', pduEvent({ frame: submitSmFrame(7), peer: 'acme' })],
    [
      'carrier submit_sm_resp with both ids',
      pduEvent({
        frame: submitSmRespFrame(31, 'abc123'),
        side: 'carrier',
        peer: 'cheap.uk carrier ünïcode',
        direction: 'in',
        command: 'submit_sm_resp',
        commandId: 0x80000004,
        sessionId: 'carrier-3',
        proxyId: 'P1',
        carrierMessageId: 'abc123',
      }),
    ],
    ['receipt out to an esme', pduEvent({ frame: receiptFrame(9, 'abc123'), direction: 'out', command: 'deliver_sm', commandId: 5, proxyId: 'P9' })],
    ['an undecodable frame', pduEvent({ frame: Buffer.from([0, 0, 0, 16, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 1]), status: 0xff })],
  ];

  it.each(cases)('renders %s to exactly the document built at once', (_name, ev) => {
    const record = pduFactsRecord(ev, ctx('ev-1'));
    const direct = pduRecord(ev, ctx('ev-1'));
    expect(record.id).toBe('ev-1');
    expect(record.subject).toBe(direct.subject);
    expect(isPduFacts(record.payload)).toBe(true);
    expect(pduFactsTime(record.payload)).toBe(ev.at);
    expect(Buffer.from(renderAuditPayload(record.payload, 'ev-1'))).toEqual(direct.payload);
  });

  it('keeps a copy of the frame, not a view of a buffer the session may reuse', () => {
    const frame = submitSmFrame(3);
    const record = pduFactsRecord(pduEvent({ frame }), ctx('x'));
    const expected = Buffer.from(frame);
    frame.fill(0);
    expect(decodePduFacts(record.payload).event.frame).toEqual(expected);
  });

  it('never stores a bind with its password: binds are stored as their redacted document', () => {
    const ev = pduEvent({ frame: bindFrame(1, 'acme', 's3cretpw'), command: 'bind_transceiver', commandId: 9 });
    const record = pduFactsRecord(ev, ctx('b1'));
    expect(isPduFacts(record.payload)).toBe(false);
    expect(record.payload.includes(Buffer.from('s3cretpw'))).toBe(false);
    expect(JSON.parse(record.payload.toString()).redacted).toEqual(['password']);
    expect(renderAuditPayload(record.payload, 'b1')).toBe(record.payload);
  });

  it('leaves JSON payloads and strings as they are', () => {
    expect(renderAuditPayload('{"v":1}', 'a')).toBe('{"v":1}');
    const json = Buffer.from('{"v":1}');
    expect(renderAuditPayload(json, 'a')).toBe(json);
  });

  it('round-trips any event facts', () => {
    const text = fc.string({ maxLength: 40 });
    fc.assert(
      fc.property(
        fc.record({
          side: fc.constantFrom('esme' as const, 'carrier' as const),
          direction: fc.constantFrom('in' as const, 'out' as const),
          peer: text,
          sessionId: text,
          command: text,
          instance: text,
          commandId: fc.nat({ max: 0xffffffff }),
          status: fc.nat({ max: 0xffffffff }),
          sequence: fc.nat({ max: 0x7fffffff }),
          at: fc.integer({ min: 0, max: 4_102_444_800_000 }),
          proxyId: fc.option(text, { nil: undefined }),
          carrierMessageId: fc.option(text, { nil: undefined }),
          frame: fc.uint8Array({ maxLength: 300 }),
        }),
        (r) => {
          const ev: PduEvent = {
            side: r.side,
            direction: r.direction,
            peer: r.peer,
            sessionId: r.sessionId,
            command: r.command,
            commandId: r.commandId,
            status: r.status,
            sequence: r.sequence,
            at: r.at,
            frame: Buffer.from(r.frame),
            ...(r.proxyId !== undefined ? { proxyId: r.proxyId } : {}),
            ...(r.carrierMessageId !== undefined ? { carrierMessageId: r.carrierMessageId } : {}),
          };
          const back = decodePduFacts(encodePduFacts(ev, r.instance));
          expect(back.instance).toBe(r.instance);
          expect({ ...back.event, frame: Buffer.from(back.event.frame) }).toEqual(ev);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses a cut-short record with a clear error rather than misreading it', () => {
    const record = encodePduFacts(pduEvent({ frame: submitSmFrame(1), proxyId: 'P1' }), 'px');
    expect(() => decodePduFacts(record.subarray(0, 30))).toThrow(PduFactsError);
    expect(() => renderAuditPayload(record.subarray(0, 30), 'x')).toThrow(PduFactsError);
  });
});
