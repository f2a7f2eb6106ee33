import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AuditSubjectError,
  billingSubject,
  bindRejectedSubject,
  decodeSubjectToken,
  dlrSubject,
  pduSubject,
  subjectToken,
  validateSubjectPrefix,
} from '../../src/audit/subject.js';

describe('subject tokens', () => {
  it('leaves ordinary names alone', () => {
    expect(subjectToken('acme')).toBe('acme');
    expect(subjectToken('cheap-uk_2')).toBe('cheap-uk_2');
  });

  it('escapes what would split or widen a subject', () => {
    expect(subjectToken('a.b')).toBe('a%2Eb');
    expect(subjectToken('a b')).toBe('a%20b');
    expect(subjectToken('*')).toBe('%2A');
    expect(subjectToken('>')).toBe('%3E');
    expect(subjectToken('tab\there')).toBe('tab%09here');
    expect(subjectToken('100%')).toBe('100%25');
    expect(subjectToken('')).toBe('%');
    expect(subjectToken('café')).toBe('caf%C3%A9');
  });

  it('never yields a token with a separator, wildcard or whitespace, and round-trips', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (name) => {
        const token = subjectToken(name);
        expect(token.length).toBeGreaterThan(0);
        expect(token).not.toMatch(/[.*>\s]/);
        expect(decodeSubjectToken(token)).toBe(Buffer.from(name, 'utf8').toString('utf8'));
      }),
      { numRuns: 200 },
    );
  });

  it('gives different names different tokens', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 12 }), fc.string({ maxLength: 12 }), (a, b) => {
        fc.pre(a !== b);
        expect(subjectToken(a)).not.toBe(subjectToken(b));
      }),
      { numRuns: 200 },
    );
    expect(subjectToken('a.b')).not.toBe(subjectToken('a_b'));
    expect(subjectToken('')).not.toBe(subjectToken('\u0000'));
  });
});

describe('subjects', () => {
  it('follows the documented layout', () => {
    expect(pduSubject('smpp', 'esme', 'acme', 'in', 'submit_sm')).toBe('smpp.pdu.esme.acme.in.submit_sm');
    expect(pduSubject('prod.smpp', 'carrier', 'uk.tel', 'out', 'deliver_sm_resp')).toBe(
      'prod.smpp.pdu.carrier.uk%2Etel.out.deliver_sm_resp',
    );
    expect(billingSubject('smpp', 'acme')).toBe('smpp.billing.acme');
    expect(dlrSubject('smpp', 'ac me')).toBe('smpp.dlr.ac%20me');
    expect(bindRejectedSubject('smpp')).toBe('smpp.bind.rejected');
  });

  it('refuses a prefix that is empty or holds wildcards or whitespace', () => {
    expect(validateSubjectPrefix('smpp')).toBe('smpp');
    expect(validateSubjectPrefix('prod.smpp')).toBe('prod.smpp');
    for (const bad of ['', 'smpp.', '.smpp', 'a..b', 'smpp.*', 'smpp.>', 'sm pp']) {
      expect(() => validateSubjectPrefix(bad)).toThrow(AuditSubjectError);
    }
  });
});
