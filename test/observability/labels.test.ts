import { describe, expect, it } from 'vitest';
import { bindRefusalLabel, commandLabel, failoverReasonLabel, OTHER, receiptStatLabel, statusLabel } from '../../src/observability/labels.js';
import { CommandId, Status } from '../../src/smpp/index.js';

describe('metric label values', () => {
  it('names every SMPP 3.4 status, keeps vendor codes as hex, and folds the rest', () => {
    expect(statusLabel(Status.ESME_ROK)).toBe('ESME_ROK');
    expect(statusLabel(Status.ESME_RTHROTTLED)).toBe('ESME_RTHROTTLED');
    expect(statusLabel(0x400)).toBe('0x00000400');
    expect(statusLabel(0x4ff)).toBe('0x000004FF');
    expect(statusLabel(0x3ff)).toBe(OTHER);
    expect(statusLabel(0x500)).toBe(OTHER);
    expect(statusLabel(0xffffffff)).toBe(OTHER);
    expect(statusLabel(-1)).toBe(OTHER);
  });

  it('names SMPP commands and folds unknown command ids', () => {
    expect(commandLabel(CommandId.submit_sm)).toBe('submit_sm');
    expect(commandLabel(CommandId.deliver_sm_resp)).toBe('deliver_sm_resp');
    expect(commandLabel(0x00000999)).toBe(OTHER);
  });

  it('keeps only the SMPP receipt stats', () => {
    for (const stat of ['DELIVRD', 'EXPIRED', 'DELETED', 'UNDELIV', 'ACCEPTD', 'UNKNOWN', 'REJECTD']) expect(receiptStatLabel(stat)).toBe(stat);
    expect(receiptStatLabel('delivrd')).toBe(OTHER);
    expect(receiptStatLabel('447700900123')).toBe(OTHER);
  });

  it('turns failover reasons into status names or pool reasons', () => {
    expect(failoverReasonLabel('status 0x14')).toBe('ESME_RMSGQFUL');
    expect(failoverReasonLabel('status 0x58')).toBe('ESME_RTHROTTLED');
    expect(failoverReasonLabel('status 0x7fffffff')).toBe(OTHER);
    for (const reason of ['timeout', 'session_lost', 'not_bound', 'window_full', 'throttled', 'circuit_open']) expect(failoverReasonLabel(reason)).toBe(reason);
    expect(failoverReasonLabel('connect ECONNREFUSED 10.1.2.3:2775')).toBe(OTHER);
  });

  it('classifies bind refusals without the addresses they mention', () => {
    expect(bindRefusalLabel('unknown system_id')).toBe('unknown_system_id');
    expect(bindRefusalLabel('wrong password')).toBe('wrong_password');
    expect(bindRefusalLabel('source address 203.0.113.9 not allowed')).toBe('address_not_allowed');
    expect(bindRefusalLabel('bind type receiver not allowed')).toBe('bind_type_not_allowed');
    expect(bindRefusalLabel('account requires TLS')).toBe('tls_required');
    expect(bindRefusalLabel('max_binds (2) reached')).toBe('max_binds');
    expect(bindRefusalLabel('client locked out after failed binds')).toBe('locked_out');
    expect(bindRefusalLabel('not accepting binds: shutting down')).toBe('shutting_down');
    expect(bindRefusalLabel('something new')).toBe(OTHER);
  });
});
