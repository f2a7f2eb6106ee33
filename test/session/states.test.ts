import { describe, expect, it } from 'vitest';
import { BindState, incomingStatus, isBound, mayReceive, maySend, type Role } from '../../src/session/states.js';
import { Status } from '../../src/smpp/status.js';

const ALL_STATES = Object.values(BindState);
const SUBMITS = ['submit_sm', 'submit_multi', 'data_sm', 'query_sm', 'cancel_sm', 'replace_sm'] as const;
const BINDS = ['bind_transmitter', 'bind_receiver', 'bind_transceiver'] as const;

describe('bind state table', () => {
  it('accepts binds only in OPEN on the SMSC side; a bind while bound is ESME_RALYBND', () => {
    for (const bind of BINDS) {
      expect(incomingStatus('smsc', 'OPEN', bind)).toBe(Status.ESME_ROK);
      for (const state of ['BOUND_TX', 'BOUND_RX', 'BOUND_TRX'] as const) {
        expect(incomingStatus('smsc', state, bind)).toBe(Status.ESME_RALYBND);
      }
      expect(incomingStatus('smsc', 'UNBOUND', bind)).toBe(Status.ESME_RINVBNDSTS);
      // An SMSC never sends binds, so an ESME-role session refuses them in every state.
      for (const state of ALL_STATES) expect(mayReceive('esme', state, bind)).toBe(false);
    }
  });

  it('accepts submissions from the ESME only in BOUND_TX and BOUND_TRX', () => {
    for (const command of SUBMITS) {
      for (const state of ALL_STATES) {
        const allowed = state === 'BOUND_TX' || state === 'BOUND_TRX';
        expect(mayReceive('smsc', state, command), `${command} in ${state}`).toBe(allowed);
        expect(maySend('esme', state, command), `${command} in ${state}`).toBe(allowed);
        if (!allowed) expect(incomingStatus('smsc', state, command)).toBe(Status.ESME_RINVBNDSTS);
      }
    }
  });

  it('sends deliver_sm and data_sm towards the ESME only in BOUND_RX and BOUND_TRX', () => {
    for (const command of ['deliver_sm', 'data_sm', 'alert_notification'] as const) {
      for (const state of ALL_STATES) {
        const allowed = state === 'BOUND_RX' || state === 'BOUND_TRX';
        expect(maySend('smsc', state, command), `${command} in ${state}`).toBe(allowed);
        expect(mayReceive('esme', state, command), `${command} in ${state}`).toBe(allowed);
      }
    }
    expect(mayReceive('smsc', 'BOUND_TRX', 'deliver_sm')).toBe(false);
  });

  it('allows unbind and enquire_link in every bound state, from either side', () => {
    for (const role of ['smsc', 'esme'] as Role[]) {
      for (const state of ALL_STATES) {
        expect(mayReceive(role, state, 'enquire_link'), `${role} ${state}`).toBe(isBound(state));
        expect(maySend(role, state, 'enquire_link'), `${role} ${state}`).toBe(isBound(state));
        expect(mayReceive(role, state, 'unbind'), `${role} ${state}`).toBe(isBound(state) || state === 'UNBOUND');
      }
    }
  });

  it('allows outbind only from the SMSC in OPEN', () => {
    for (const state of ALL_STATES) {
      expect(maySend('smsc', state, 'outbind')).toBe(state === 'OPEN');
      expect(mayReceive('esme', state, 'outbind')).toBe(state === 'OPEN');
      expect(mayReceive('smsc', state, 'outbind')).toBe(false);
    }
  });

  it('accepts nothing once CLOSED', () => {
    for (const command of [...SUBMITS, ...BINDS, 'unbind', 'enquire_link', 'deliver_sm'] as const) {
      expect(mayReceive('smsc', 'CLOSED', command)).toBe(false);
      expect(mayReceive('esme', 'CLOSED', command)).toBe(false);
    }
  });
});
