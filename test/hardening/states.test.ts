import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { COMMAND_NAMES, Status, isResponseName, patchSequence, responseNameOf, type CommandName } from '../../src/smpp/index.js';
import { PASSWORD, RawClient, account, bindPdu, cleanupAll, makeConfig, startProxy } from './harness.js';

afterEach(cleanupAll);

interface Vector {
  name: string;
  command: CommandName;
  hex: string;
}

/** One well-formed PDU per command from the golden vectors, so only the bind state decides the answer. */
const VECTORS: ReadonlyMap<CommandName, Buffer> = (() => {
  const list = JSON.parse(readFileSync(new URL('../fixtures/vectors.json', import.meta.url), 'utf8')) as Vector[];
  const byCommand = new Map<CommandName, Buffer>();
  for (const v of list) if (!byCommand.has(v.command)) byCommand.set(v.command, Buffer.from(v.hex, 'hex'));
  return byCommand;
})();

const STATES = ['OPEN', 'BOUND_TX', 'BOUND_RX', 'BOUND_TRX'] as const;
type State = (typeof STATES)[number];

const BIND_FOR: Record<Exclude<State, 'OPEN'>, 'bind_transmitter' | 'bind_receiver' | 'bind_transceiver'> = {
  BOUND_TX: 'bind_transmitter',
  BOUND_RX: 'bind_receiver',
  BOUND_TRX: 'bind_transceiver',
};

const BINDS = new Set<CommandName>(['bind_transmitter', 'bind_receiver', 'bind_transceiver']);
const SUBMITS = new Set<CommandName>(['submit_sm', 'submit_multi', 'data_sm', 'query_sm', 'cancel_sm', 'replace_sm']);

/**
 * SMPP 3.4 section 2.3, written out independently of the implementation's table: what an ESME may
 * send to an SMSC in each state. Everything else is ESME_RINVBNDSTS, except a bind on a bound
 * session (ESME_RALYBND). deliver_sm, alert_notification and outbind only ever flow SMSC to ESME.
 */
function allowed(state: State, command: CommandName): boolean {
  if (state === 'OPEN') return BINDS.has(command);
  if (command === 'unbind' || command === 'enquire_link') return true;
  return state !== 'BOUND_RX' && SUBMITS.has(command);
}

type Expectation = { kind: 'silent' } | { kind: 'answer'; command: CommandName; status: (s: number) => boolean; closes: boolean };

function expectationFor(state: State, command: CommandName): Expectation {
  if (isResponseName(command)) return { kind: 'silent' }; // a response to nothing we sent is ignored
  const response = responseNameOf(command) ?? 'generic_nack';
  if (!allowed(state, command)) {
    const status = state !== 'OPEN' && BINDS.has(command) ? Status.ESME_RALYBND : Status.ESME_RINVBNDSTS;
    return { kind: 'answer', command: response, status: (s) => s === status, closes: false };
  }
  if (command === 'enquire_link') return { kind: 'answer', command: response, status: (s) => s === Status.ESME_ROK, closes: false };
  if (command === 'unbind') return { kind: 'answer', command: response, status: (s) => s === Status.ESME_ROK, closes: true };
  if (BINDS.has(command)) return { kind: 'answer', command: response, status: (s) => s === Status.ESME_ROK, closes: false };
  // Allowed submissions reach the proxy's own logic: any answer but a state error is right here.
  return { kind: 'answer', command: response, status: (s) => s !== Status.ESME_RINVBNDSTS && s !== Status.ESME_RALYBND, closes: false };
}

function probeFrame(command: CommandName, sequence: number): Buffer {
  if (BINDS.has(command)) return bindPdu(command as 'bind_transceiver', 'acme', PASSWORD, sequence);
  const vector = VECTORS.get(command);
  if (vector === undefined) throw new Error(`no vector for ${command}`);
  return patchSequence(vector, sequence);
}

describe('bind states', () => {
  it('answers every command in every bind state as the state table says, with sequence numbers 0 and 0x7FFFFFFF', async () => {
    const { port } = await startProxy(
      makeConfig({
        // Senders and destinations of the vectors are not what this test is about.
        accounts: { acme: account({ max_binds: 1_000 }) },
        carriers: { sandbox: { simulator: { dlr_delay: '1h' } } },
        routes: [{ name: 'all', prefix: [''], carriers: [{ carrier: 'sandbox', cost: 0.01 }] }],
      }),
    );
    const failures: string[] = [];
    let probes = 0;
    for (const state of STATES) {
      for (const command of COMMAND_NAMES) {
        for (const sequence of [0, 0x7fffffff]) {
          probes++;
          const label = `${command} in ${state} (sequence ${sequence})`;
          const client = await RawClient.connect(port);
          if (state !== 'OPEN') {
            client.send(bindPdu(BIND_FOR[state], 'acme', PASSWORD, 0x1234));
            const bound = await client.responseTo(0x1234);
            if (bound.status !== Status.ESME_ROK) throw new Error(`could not bind for ${label}`);
          }
          const before = client.received.length;
          client.send(probeFrame(command, sequence));
          // Then a marker the session must still answer (unless the probe ended it).
          client.send(probeFrame('enquire_link', 0x4242));
          const expected = expectationFor(state, command);
          const markerExpected = expected.kind === 'silent' || !expected.closes;
          if (markerExpected) await client.responseTo(0x4242, 10_000).catch(() => undefined);
          else await client.closedWithin(10_000);
          const answers = client.received.slice(before).filter((p) => p.sequence === sequence);
          if (expected.kind === 'silent') {
            if (answers.length !== 0) failures.push(`${label}: expected no answer, got ${answers.map((a) => a.command).join(', ')}`);
          } else if (answers.length !== 1) {
            failures.push(`${label}: expected one ${expected.command}, got ${answers.length} answers`);
          } else {
            const answer = answers[0]!;
            if (answer.command !== expected.command || !expected.status(answer.status)) {
              failures.push(`${label}: got ${answer.command} status 0x${answer.status.toString(16)}`);
            }
          }
          const marker = client.responsesTo(0x4242).find((p) => p.command === 'enquire_link_resp');
          if (markerExpected && marker === undefined) failures.push(`${label}: the session stopped answering`);
          if (!markerExpected && !client.isClosed) failures.push(`${label}: the session did not close after unbind`);
          client.destroy();
        }
      }
    }
    expect(probes).toBe(STATES.length * COMMAND_NAMES.length * 2);
    expect(failures).toEqual([]);
  }, 60_000);
});
