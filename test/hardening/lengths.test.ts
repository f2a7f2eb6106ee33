import { afterEach, describe, expect, it } from 'vitest';
import { CommandId, Status } from '../../src/smpp/index.js';
import { RawClient, account, boundRawClient, cleanupAll, makeConfig, startProxy, type RunningProxy } from './harness.js';

afterEach(cleanupAll);

const CAP_BEFORE_BIND = 512;
const CAP_AFTER_BIND = 70_000;

async function proxy(): Promise<RunningProxy> {
  return startProxy(
    makeConfig({
      server: { max_pdu_size_before_bind: CAP_BEFORE_BIND, max_pdu_size: CAP_AFTER_BIND },
      accounts: { acme: account() },
      carriers: { sandbox: { simulator: {} } },
      routes: [{ name: 'all', prefix: [''], carriers: [{ carrier: 'sandbox', cost: 0.01 }] }],
    }),
  );
}

/** An enquire_link header announcing `length` octets; the body (zeros) is included only when `withBody`. */
function enquireLinkClaiming(length: number, sequence: number, withBody: boolean): Buffer {
  const header = Buffer.alloc(16);
  header.writeUInt32BE(length >>> 0, 0);
  header.writeUInt32BE(CommandId.enquire_link, 4);
  header.writeUInt32BE(0, 8);
  header.writeUInt32BE(sequence, 12);
  return withBody ? Buffer.concat([header, Buffer.alloc(length - 16)]) : header;
}

function lengthsFor(cap: number): number[] {
  return [0, 1, 8, 15, 16, cap, cap + 1, 0x7fffffff, 0xffffffff];
}

function inRange(length: number, cap: number): boolean {
  return length >= 16 && length <= cap;
}

/** Sends one length probe on `client` and checks the answer; returns whether the session is still open. */
async function probe(client: RawClient, length: number, cap: number, sequence: number, bound: boolean): Promise<void> {
  const label = `command_length ${length} (${bound ? 'bound' : 'before bind'})`;
  client.send(enquireLinkClaiming(length, sequence, inRange(length, cap)));
  if (!inRange(length, cap)) {
    expect(await client.closedWithin(5_000), label).toBe(true);
    expect(client.received.map((p) => [p.command, p.status, p.sequence]), label).toEqual([
      ['generic_nack', Status.ESME_RINVCMDLEN, sequence],
    ]);
    return;
  }
  const resp = await client.responseTo(sequence);
  expect(resp.command, label).toBe('enquire_link_resp');
  if (length === 16) expect(resp.status, label).toBe(bound ? Status.ESME_ROK : Status.ESME_RINVBNDSTS);
  // A body on enquire_link is malformed but the frame boundary is sound: answered, not fatal.
  else expect(resp.status, label).toBe(Status.ESME_RINVCMDLEN);
  // The session carries on: the next PDU is answered.
  client.send(enquireLinkClaiming(16, sequence + 1, true));
  expect((await client.responseTo(sequence + 1)).command, label).toBe('enquire_link_resp');
  expect(client.isClosed, label).toBe(false);
}

describe('command_length bounds', () => {
  it('before bind: out of range gets generic_nack ESME_RINVCMDLEN and a close; in range is answered and the session goes on', async () => {
    const { port } = await proxy();
    const memoryBefore = process.memoryUsage().arrayBuffers;
    for (const length of lengthsFor(CAP_BEFORE_BIND)) {
      const client = await RawClient.connect(port);
      await probe(client, length, CAP_BEFORE_BIND, 0x100 + (length & 0xff), false);
    }
    // Nothing was allocated from an announced length: 4 GiB claims left memory where it was.
    expect(process.memoryUsage().arrayBuffers - memoryBefore).toBeLessThan(32 * 1024 * 1024);
    // The pre-bind cap is the stricter one: a frame fine after bind is refused before it.
    const early = await RawClient.connect(port);
    early.send(enquireLinkClaiming(CAP_BEFORE_BIND + 100, 9, false));
    expect(await early.closedWithin(5_000)).toBe(true);
    expect(early.received[0]?.status).toBe(Status.ESME_RINVCMDLEN);
  });

  it('after bind: the same, against the bound cap; the proxy keeps serving', async () => {
    const { proxy: running, port } = await proxy();
    const memoryBefore = process.memoryUsage().arrayBuffers;
    for (const length of lengthsFor(CAP_AFTER_BIND)) {
      const client = await boundRawClient(port, 'acme');
      client.received.length = 0;
      await probe(client, length, CAP_AFTER_BIND, 0x200 + (length & 0xff), true);
    }
    expect(process.memoryUsage().arrayBuffers - memoryBefore).toBeLessThan(32 * 1024 * 1024);
    const fresh = await boundRawClient(port, 'acme');
    expect(fresh.isClosed).toBe(false);
    // The two in-range probes left their sessions bound; the out-of-range ones were closed.
    await expect.poll(() => running.registry.count('acme')).toBe(3);
  });
});
