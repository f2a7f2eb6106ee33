import { afterEach, describe, expect, it } from 'vitest';
import {
  EXPIRED_REASON,
  StoreErrorCodes,
  type DeliveryItem,
  type MessageRecord,
  type Store,
  type StoreOptions,
} from '../../src/store/index.js';
import { ManualClock } from './helpers.js';

/** Opens a fresh, empty store; the suite closes it. */
export type StoreFactory = (options: StoreOptions) => Promise<Store>;

const HOUR = 3_600_000;
const START = Date.UTC(2026, 10, 1);

export function record(proxyId: string, overrides: Partial<MessageRecord> = {}): MessageRecord {
  return {
    proxyId,
    account: 'acme',
    carrier: 'alpha',
    carrierMessageId: `C-${proxyId}`,
    route: 'uk',
    source: 'ACME',
    destination: '447700900123',
    submittedAt: START,
    registeredDelivery: 1,
    ...overrides,
  };
}

export function item(label: string, overrides: Partial<DeliveryItem> = {}): DeliveryItem {
  return {
    kind: 'dlr',
    pdu: Buffer.from(`deliver_sm ${label}`),
    createdAt: START,
    expiresAt: START + 72 * HOUR,
    ...overrides,
  };
}

function rejectsWith(code: string): { code: string } {
  return expect.objectContaining({ code }) as { code: string };
}

/**
 * The behaviour every Store implementation promises. Run against each implementation, so that
 * tests of the modules above the store can use the in-memory one and stay true for the real one.
 */
export function storeContract(name: string, factory: StoreFactory): void {
  describe(`${name} store contract`, () => {
    let store: Store | undefined;
    let clock: ManualClock;

    async function open(options: StoreOptions = {}): Promise<Store> {
      clock = new ManualClock(START);
      store = await factory({ idMapTtlMs: 24 * HOUR, clock, ...options });
      return store;
    }

    afterEach(async () => {
      await store?.close();
      store = undefined;
    });

    describe('messages', () => {
      it('finds a record by proxy id and by every carrier key, and nothing else', async () => {
        const { messages } = await open();
        const stored = record('P1', { parts: 2, cost: 0.012, esmeSequence: 7, extra: { udhRef: '42' } });
        await messages.putMessage(stored, ['abc123', '11256099']);
        expect(await messages.getByProxyId('P1')).toEqual(stored);
        expect(await messages.getByCarrierKey('alpha', 'abc123')).toEqual(stored);
        expect(await messages.getByCarrierKey('alpha', '11256099')).toEqual(stored);
        expect(await messages.getByCarrierKey('beta', 'abc123')).toBeUndefined();
        expect(await messages.getByCarrierKey('alpha', 'ABC123')).toBeUndefined();
        expect(await messages.getByProxyId('P2')).toBeUndefined();
        expect(messages.count()).toBe(1);
      });

      it('makes a record visible to lookups before its write is durable', async () => {
        const { messages } = await open();
        const write = messages.putMessage(record('P1'), ['k1']);
        expect((await messages.getByCarrierKey('alpha', 'k1'))?.proxyId).toBe('P1');
        const updated = messages.updateMessage('P1', { final: { status: 'DELIVRD', at: START + 5 } });
        expect((await messages.getByProxyId('P1'))?.final?.status).toBe('DELIVRD');
        await write;
        expect((await updated)?.final).toEqual({ status: 'DELIVRD', at: START + 5 });
      });

      it('hands out copies, so a caller cannot change what is stored', async () => {
        const { messages } = await open();
        const original = record('P1', { extra: { a: '1' } });
        await messages.putMessage(original, ['k1']);
        original.extra = { a: 'changed' };
        const first = await messages.getByProxyId('P1');
        if (first?.extra === undefined) throw new Error('record missing');
        first.extra['a'] = 'mutated';
        first.destination = 'mutated';
        expect(await messages.getByProxyId('P1')).toEqual(record('P1', { extra: { a: '1' } }));
      });

      it('hands out copies of a record whose write is still pending, too', async () => {
        const { messages } = await open();
        const write = messages.putMessage(record('P1', { extra: { a: '1' } }), ['k1']);
        const first = await messages.getByCarrierKey('alpha', 'k1');
        if (first?.extra === undefined) throw new Error('record missing');
        first.extra['a'] = 'mutated';
        first.destination = 'mutated';
        expect(await messages.getByProxyId('P1')).toEqual(record('P1', { extra: { a: '1' } }));
        await write;
        const second = await messages.getByProxyId('P1');
        second!.destination = 'changed after the write';
        expect(await messages.getByCarrierKey('alpha', 'k1')).toEqual(record('P1', { extra: { a: '1' } }));
      });

      it('updates the final state and merges extra fields, keeping identity fields', async () => {
        const { messages } = await open();
        await messages.putMessage(record('P1', { extra: { a: '1', b: '2' } }), ['k1']);
        const updated = await messages.updateMessage('P1', {
          final: { status: 'UNDELIV', at: START + 1000, error: '001' },
          extra: { b: '3', c: '4' },
          cost: 0.02,
        });
        const expected = record('P1', {
          extra: { a: '1', b: '3', c: '4' },
          final: { status: 'UNDELIV', at: START + 1000, error: '001' },
          cost: 0.02,
        });
        expect(updated).toEqual(expected);
        expect(await messages.getByCarrierKey('alpha', 'k1')).toEqual(expected);
        expect(await messages.updateMessage('nope', { cost: 1 })).toBeUndefined();
        expect(await messages.getByProxyId('nope')).toBeUndefined();
      });

      it('stores a record put as fresh like any other: found at once by id and key, expired and swept with its keys', async () => {
        const { messages } = await open();
        const stored = record('P1', { cost: 0.01 });
        const write = messages.putMessage(stored, ['k1', 'k2'], { fresh: true });
        expect((await messages.getByCarrierKey('alpha', 'k2'))?.proxyId).toBe('P1');
        await write;
        expect(await messages.getByProxyId('P1')).toEqual(stored);
        expect(await messages.getByCarrierKey('alpha', 'k1')).toEqual(stored);
        expect(messages.count()).toBe(1);
        clock.advance(24 * HOUR);
        expect(await messages.getByProxyId('P1')).toBeUndefined();
        expect(await messages.sweepExpired()).toEqual({ removed: 1, more: false });
        expect(messages.count()).toBe(0);
        await messages.putMessage(record('P2'), ['k3'], { fresh: true });
        expect(await messages.getByCarrierKey('alpha', 'k1')).toBeUndefined();
      });

      it('replaces a record stored again under the same proxy id, with its new keys only', async () => {
        const { messages } = await open();
        await messages.putMessage(record('P1', { carrierMessageId: 'old' }), ['old-1', 'shared']);
        await messages.putMessage(record('P1', { carrierMessageId: 'new' }), ['new-1', 'shared']);
        expect(await messages.getByCarrierKey('alpha', 'old-1')).toBeUndefined();
        expect((await messages.getByCarrierKey('alpha', 'new-1'))?.carrierMessageId).toBe('new');
        expect((await messages.getByCarrierKey('alpha', 'shared'))?.carrierMessageId).toBe('new');
        expect(messages.count()).toBe(1);
      });

      it('gives a reused carrier key to the newest record and keeps it there when the older expires', async () => {
        const { messages } = await open();
        await messages.putMessage(record('OLD'), ['dup']);
        clock.advance(HOUR);
        await messages.putMessage(record('NEW'), ['dup']);
        expect((await messages.getByCarrierKey('alpha', 'dup'))?.proxyId).toBe('NEW');
        clock.advance(23 * HOUR);
        expect(await messages.getByProxyId('OLD')).toBeUndefined();
        expect((await messages.sweepExpired()).removed).toBe(1);
        expect((await messages.getByCarrierKey('alpha', 'dup'))?.proxyId).toBe('NEW');
      });

      it('expires records after the TTL, at once for lookups and for good at the sweep', async () => {
        const { messages } = await open();
        await messages.putMessage(record('P1'), ['k1']);
        clock.advance(24 * HOUR - 1);
        expect((await messages.getByProxyId('P1'))?.proxyId).toBe('P1');
        clock.advance(1);
        expect(await messages.getByProxyId('P1')).toBeUndefined();
        expect(await messages.getByCarrierKey('alpha', 'k1')).toBeUndefined();
        expect(await messages.updateMessage('P1', { cost: 1 })).toBeUndefined();
        expect(messages.count()).toBe(1);
        expect(await messages.sweepExpired()).toEqual({ removed: 1, more: false });
        expect(messages.count()).toBe(0);
        // The index entry went with the record: a new record under another key does not revive it.
        await messages.putMessage(record('P2'), ['k2']);
        expect(await messages.getByCarrierKey('alpha', 'k1')).toBeUndefined();
      });

      it('sweeps a bounded number of records per call, oldest first', async () => {
        const { messages } = await open();
        for (let i = 0; i < 25; i++) {
          await messages.putMessage(record(`P${i}`), [`k${i}`]);
          clock.advance(1);
        }
        await messages.putMessage(record('FRESH'), ['fresh']);
        clock.advance(24 * HOUR - 1);
        expect(await messages.sweepExpired(10)).toEqual({ removed: 10, more: true });
        expect(await messages.getByProxyId('P10')).toBeUndefined();
        expect(messages.count()).toBe(16);
        expect(await messages.sweepExpired(10)).toEqual({ removed: 10, more: true });
        expect(await messages.sweepExpired(10)).toEqual({ removed: 5, more: false });
        expect(messages.count()).toBe(1);
        expect((await messages.getByCarrierKey('alpha', 'fresh'))?.proxyId).toBe('FRESH');
      });

      it('rejects what it cannot store with a typed error and stores nothing', async () => {
        const { messages } = await open();
        const bad: unknown[] = [
          { ...record('P1'), proxyId: '' },
          { ...record('P1'), submittedAt: Number.NaN },
          { ...record('P1'), registeredDelivery: -1 },
          { ...record('P1'), extra: { a: 1 } },
          { ...record('P1'), proxyId: 'x'.repeat(201) },
          null,
        ];
        for (const value of bad) {
          await expect(messages.putMessage(value as MessageRecord, ['k'])).rejects.toEqual(
            rejectsWith(StoreErrorCodes.INVALID_ARGUMENT),
          );
        }
        await expect(messages.putMessage(record('P1'), 'k' as unknown as string[])).rejects.toEqual(
          rejectsWith(StoreErrorCodes.INVALID_ARGUMENT),
        );
        await expect(messages.putMessage(record('P1'), [''])).rejects.toEqual(
          rejectsWith(StoreErrorCodes.INVALID_ARGUMENT),
        );
        await expect(messages.getByCarrierKey('alpha', '')).rejects.toEqual(
          rejectsWith(StoreErrorCodes.INVALID_ARGUMENT),
        );
        await expect(messages.updateMessage('P1', { cost: Number.POSITIVE_INFINITY })).rejects.toEqual(
          rejectsWith(StoreErrorCodes.INVALID_ARGUMENT),
        );
        expect(messages.count()).toBe(0);
        expect(await messages.getByProxyId('P1')).toBeUndefined();
      });
    });

    describe('delivery queues', () => {
      it('returns items in enqueue order, up to the limit, per account', async () => {
        const { queues } = await open();
        const ids: string[] = [];
        for (let i = 0; i < 5; i++) ids.push(await queues.enqueue('acme', item(`a${i}`, { proxyId: `P${i}` })));
        await queues.enqueue('other', item('o0', { kind: 'mo' }));
        expect(new Set(ids).size).toBe(5);
        const peeked = await queues.peek('acme', 3);
        expect(peeked.map((entry) => entry.id)).toEqual(ids.slice(0, 3));
        expect(peeked[0]).toEqual({
          ...item('a0', { proxyId: 'P0' }),
          id: ids[0],
          account: 'acme',
          attempts: 0,
          notBefore: 0,
        });
        expect(Buffer.isBuffer(peeked[0]?.pdu)).toBe(true);
        expect((await queues.peek('acme', 100)).map((entry) => entry.pdu.toString())).toEqual(
          [0, 1, 2, 3, 4].map((i) => `deliver_sm a${i}`),
        );
        const other = await queues.peek('other', 10);
        expect(other.map((entry) => [entry.kind, entry.proxyId])).toEqual([['mo', undefined]]);
        expect(await queues.peek('nobody', 10)).toEqual([]);
        expect(queues.depth('acme')).toBe(5);
        expect(queues.depth('nobody')).toBe(0);
        expect(queues.depths()).toEqual(new Map([['acme', 5], ['other', 1]]));
      });

      it('keeps accounts apart even when one name is a prefix of another', async () => {
        const { queues } = await open();
        for (const account of ['acm', 'acme', 'acme2', 'acme\u0000x']) await queues.enqueue(account, item(account));
        for (const account of ['acm', 'acme', 'acme2', 'acme\u0000x']) {
          expect((await queues.peek(account, 10)).map((entry) => entry.pdu.toString())).toEqual([`deliver_sm ${account}`]);
          expect(queues.depth(account)).toBe(1);
        }
      });

      it('removes an acknowledged item once, and only from its own account', async () => {
        const { queues } = await open();
        const first = await queues.enqueue('acme', item('a'));
        const second = await queues.enqueue('acme', item('b'));
        expect(await queues.ack('other', first)).toBe(false);
        expect(await queues.ack('acme', first)).toBe(true);
        expect(await queues.ack('acme', first)).toBe(false);
        expect((await queues.peek('acme', 10)).map((entry) => entry.id)).toEqual([second]);
        expect(await queues.ack('acme', second)).toBe(true);
        expect(queues.depth('acme')).toBe(0);
        expect(queues.depths()).toEqual(new Map());
        await expect(queues.ack('acme', 'not-an-id')).rejects.toEqual(rejectsWith(StoreErrorCodes.INVALID_ARGUMENT));
      });

      it('hides a deferred item until its time, records attempts, and queues it behind fresh items', async () => {
        const { queues } = await open();
        const a = await queues.enqueue('acme', item('a'));
        const b = await queues.enqueue('acme', item('b'));
        expect(await queues.defer('acme', a, START + 30_000, 1)).toBe(true);
        const c = await queues.enqueue('acme', item('c'));
        expect((await queues.peek('acme', 10)).map((entry) => entry.id)).toEqual([b, c]);
        expect(await queues.nextDueAt('acme')).toBe(0);
        await queues.ack('acme', b);
        await queues.ack('acme', c);
        expect(await queues.peek('acme', 10)).toEqual([]);
        expect(await queues.nextDueAt('acme')).toBe(START + 30_000);
        clock.advance(30_000);
        const due = await queues.peek('acme', 10);
        expect(due.map((entry) => [entry.id, entry.attempts, entry.notBefore])).toEqual([[a, 1, START + 30_000]]);
        expect(queues.depth('acme')).toBe(1);
        expect(await queues.defer('acme', '999999', START, 1)).toBe(false);
      });

      it('orders deferred items by their due time', async () => {
        const { queues } = await open();
        const a = await queues.enqueue('acme', item('a'));
        const b = await queues.enqueue('acme', item('b'));
        await queues.defer('acme', a, START + 2000, 2);
        await queues.defer('acme', b, START + 1000, 1);
        clock.advance(5000);
        expect((await queues.peek('acme', 10)).map((entry) => entry.id)).toEqual([b, a]);
      });

      it('decides each call when it is made, so calls need not wait for each other', async () => {
        const { queues } = await open();
        const a = await queues.enqueue('acme', item('a'));
        const deferred = queues.defer('acme', a, START + 1000, 1);
        const acked = queues.ack('acme', a);
        const again = queues.ack('acme', a);
        expect(await Promise.all([deferred, acked, again])).toEqual([true, true, false]);
        clock.advance(2000);
        expect(await queues.peek('acme', 10)).toEqual([]);
        expect(queues.depth('acme')).toBe(0);
      });

      it('keeps a dropped item as a dead letter with its reason', async () => {
        const { queues } = await open();
        const a = await queues.enqueue('acme', item('a', { proxyId: 'P1' }));
        await queues.enqueue('other', item('o'));
        const o = (await queues.peek('other', 1))[0]?.id ?? '';
        clock.advance(10);
        const letter = await queues.drop('acme', a, 'ESME_RX_P_APPN');
        expect(letter).toEqual({
          ...item('a', { proxyId: 'P1' }),
          id: a,
          account: 'acme',
          attempts: 0,
          notBefore: 0,
          reason: 'ESME_RX_P_APPN',
          droppedAt: START + 10,
        });
        await queues.drop('other', o, 'ESME_RX_P_APPN');
        expect(await queues.drop('acme', a, 'again')).toBeUndefined();
        expect(queues.depth('acme')).toBe(0);
        expect(await queues.peek('acme', 10)).toEqual([]);
        expect(await queues.deadLetters({ account: 'acme' })).toEqual([letter]);
        expect((await queues.deadLetters()).map((entry) => entry.account)).toEqual(['acme', 'other']);
        expect(await queues.deadLetters({ limit: 1 })).toHaveLength(1);
      });

      it('skips expired items at once, and the sweep removes, counts and dead-letters them', async () => {
        const { queues } = await open({ deadLetterTtlMs: HOUR });
        await queues.enqueue('acme', item('short-1', { expiresAt: START + 1000 }));
        const keep = await queues.enqueue('acme', item('long'));
        await queues.enqueue('acme', item('short-2', { expiresAt: START + 1000 }));
        await queues.enqueue('other', item('short-3', { expiresAt: START + 500 }));
        clock.advance(1000);
        expect((await queues.peek('acme', 10)).map((entry) => entry.id)).toEqual([keep]);
        expect(await queues.nextDueAt('other')).toBeUndefined();
        expect(queues.depth('acme')).toBe(3);
        const result = await queues.sweepExpired();
        expect(result).toEqual({
          expired: 3,
          expiredByAccount: new Map([['acme', 2], ['other', 1]]),
          deadLettersRemoved: 0,
          more: false,
        });
        expect(queues.depths()).toEqual(new Map([['acme', 1]]));
        const letters = await queues.deadLetters();
        // Dropped in the same instant, so listed in the order they were queued.
        expect(letters.map((entry) => [entry.account, entry.pdu.toString(), entry.reason])).toEqual([
          ['acme', 'deliver_sm short-1', EXPIRED_REASON],
          ['acme', 'deliver_sm short-2', EXPIRED_REASON],
          ['other', 'deliver_sm short-3', EXPIRED_REASON],
        ]);
        clock.advance(HOUR);
        const later = await queues.sweepExpired();
        expect([later.expired, later.deadLettersRemoved, later.more]).toEqual([0, 3, false]);
        expect(await queues.deadLetters()).toEqual([]);
      });

      it('sweeps a bounded number of items per call', async () => {
        const { queues } = await open();
        for (let i = 0; i < 7; i++) await queues.enqueue('acme', item(`x${i}`, { expiresAt: START + 10 }));
        clock.advance(10);
        expect((await queues.sweepExpired(3)).expired).toBe(3);
        const second = await queues.sweepExpired(3);
        expect([second.expired, second.more]).toEqual([3, true]);
        const third = await queues.sweepExpired(3);
        expect([third.expired, third.more]).toEqual([1, false]);
        expect(queues.depth('acme')).toBe(0);
      });

      it('keeps no dead letters when their retention is zero', async () => {
        const { queues } = await open({ deadLetterTtlMs: 0 });
        const a = await queues.enqueue('acme', item('a'));
        expect((await queues.drop('acme', a, 'refused'))?.reason).toBe('refused');
        expect(await queues.deadLetters()).toEqual([]);
      });

      it('rejects what it cannot queue with a typed error', async () => {
        const { queues } = await open();
        const bad: unknown[] = [
          item('a', { kind: 'sms' as 'dlr' }),
          item('a', { pdu: Buffer.alloc(0) }),
          { ...item('a'), pdu: 'text' },
          item('a', { expiresAt: Number.NaN }),
        ];
        for (const value of bad) {
          await expect(queues.enqueue('acme', value as DeliveryItem)).rejects.toEqual(
            rejectsWith(StoreErrorCodes.INVALID_ARGUMENT),
          );
        }
        await expect(queues.enqueue('', item('a'))).rejects.toEqual(rejectsWith(StoreErrorCodes.INVALID_ARGUMENT));
        await expect(queues.peek('acme', 0)).rejects.toEqual(rejectsWith(StoreErrorCodes.INVALID_ARGUMENT));
        const id = await queues.enqueue('acme', item('a'));
        await expect(queues.defer('acme', id, Number.NaN, 1)).rejects.toEqual(
          rejectsWith(StoreErrorCodes.INVALID_ARGUMENT),
        );
        expect(queues.depths()).toEqual(new Map([['acme', 1]]));
      });

      it('copies the pdu, so a caller reusing its buffer cannot change a queued item', async () => {
        const { queues } = await open();
        const pdu = Buffer.from('original');
        await queues.enqueue('acme', item('a', { pdu }));
        pdu.write('CHANGED!');
        const [peeked] = await queues.peek('acme', 1);
        expect(peeked?.pdu.toString()).toBe('original');
        peeked?.pdu.write('mutated!');
        expect((await queues.peek('acme', 1))[0]?.pdu.toString()).toBe('original');
      });
    });

    describe('outbox', () => {
      const event = (n: number, payload: Buffer | string = `{"n":${n}}`) => ({
        id: `evt-${n}`,
        subject: `smpp.pdu.esme.acme.in.submit_sm`,
        payload,
      });

      it('assigns increasing sequence numbers and reads entries back in order, payload types intact', async () => {
        const { outbox } = await open();
        expect(await outbox.append([event(1), event(2, Buffer.from([0, 1, 255]))])).toEqual([1, 2]);
        expect(await outbox.append([event(3)])).toEqual([3]);
        expect(await outbox.append([])).toEqual([]);
        const entries = await outbox.read(0, 10);
        expect(entries).toEqual([
          { seq: 1, ...event(1) },
          { seq: 2, ...event(2, Buffer.from([0, 1, 255])) },
          { seq: 3, ...event(3) },
        ]);
        expect(Buffer.isBuffer(entries[1]?.payload)).toBe(true);
        expect(typeof entries[0]?.payload).toBe('string');
        expect((await outbox.read(1, 1)).map((entry) => entry.seq)).toEqual([2]);
        expect(await outbox.read(3, 10)).toEqual([]);
        expect(outbox.lastSeq()).toBe(3);
        expect(outbox.depth()).toBe(3);
      });

      it('frees acknowledged entries and counts what is left', async () => {
        const { outbox } = await open();
        const events = [event(1, 'a'), event(2, 'bb'), event(3, 'ccc')];
        await outbox.append(events);
        const size = (n: number, payload: string) => payload.length + `evt-${n}`.length + events[0]!.subject.length;
        expect(outbox.bytes()).toBe(size(1, 'a') + size(2, 'bb') + size(3, 'ccc'));
        await outbox.ackUpTo(2);
        expect(outbox.ackedSeq()).toBe(2);
        expect(outbox.depth()).toBe(1);
        expect(outbox.bytes()).toBe(size(3, 'ccc'));
        expect((await outbox.read(0, 10)).map((entry) => entry.seq)).toEqual([3]);
        await outbox.ackUpTo(1);
        expect(outbox.ackedSeq()).toBe(2);
        await expect(outbox.ackUpTo(4)).rejects.toEqual(rejectsWith(StoreErrorCodes.INVALID_ARGUMENT));
        await outbox.ackUpTo(3);
        expect([outbox.depth(), outbox.bytes()]).toEqual([0, 0]);
        expect(await outbox.read(0, 10)).toEqual([]);
        expect(await outbox.append([event(4)])).toEqual([4]);
      });

      it('reports full at the event limit and not full once acknowledged, never refusing appends', async () => {
        const { outbox } = await open({ outboxMaxEvents: 3 });
        await outbox.append([event(1), event(2)]);
        expect(outbox.isFull()).toBe(false);
        await outbox.append([event(3)]);
        expect(outbox.isFull()).toBe(true);
        expect(await outbox.append([event(4)])).toEqual([4]);
        await outbox.ackUpTo(2);
        expect(outbox.isFull()).toBe(false);
      });

      it('reports full at the byte limit', async () => {
        const { outbox } = await open({ outboxMaxBytes: 100 });
        await outbox.append([event(1, 'x'.repeat(40))]);
        expect(outbox.isFull()).toBe(false);
        await outbox.append([event(2, 'x'.repeat(40))]);
        expect(outbox.isFull()).toBe(true);
      });

      it('counts an append at once, before it is durable, so admission control sees bursts', async () => {
        const { outbox } = await open({ outboxMaxEvents: 2 });
        const writes = [outbox.append([event(1)]), outbox.append([event(2)])];
        expect(outbox.isFull()).toBe(true);
        expect(outbox.depth()).toBe(2);
        expect(await Promise.all(writes)).toEqual([[1], [2]]);
      });

      it('tells subscribers when appended entries are readable', async () => {
        const { outbox } = await open();
        const seen: number[] = [];
        const unsubscribe = outbox.onAppended((last) => seen.push(last));
        await outbox.append([event(1), event(2)]);
        await new Promise((resolve) => setImmediate(resolve));
        expect(seen).toEqual([2]);
        expect((await outbox.read(0, 10)).length).toBe(2);
        unsubscribe();
        await outbox.append([event(3)]);
        await new Promise((resolve) => setImmediate(resolve));
        expect(seen).toEqual([2]);
      });

      it('rejects malformed events with a typed error and assigns nothing', async () => {
        const { outbox } = await open();
        const bad: unknown[] = [
          [{ ...event(1), id: '' }],
          [{ ...event(1), subject: 7 }],
          [{ ...event(1), payload: { n: 1 } }],
          [event(1), null],
          'not an array',
        ];
        for (const value of bad) {
          await expect(outbox.append(value as [])).rejects.toEqual(rejectsWith(StoreErrorCodes.INVALID_ARGUMENT));
        }
        expect(outbox.lastSeq()).toBe(0);
        await expect(outbox.read(-1, 10)).rejects.toEqual(rejectsWith(StoreErrorCodes.INVALID_ARGUMENT));
      });
    });

    describe('store', () => {
      it('sweeps everything that expired in one call', async () => {
        const current = await open({ deadLetterTtlMs: HOUR });
        await current.messages.putMessage(record('P1'), ['k1']);
        await current.queues.enqueue('acme', item('a', { expiresAt: START + 1 }));
        clock.advance(24 * HOUR);
        const result = await current.sweep();
        expect(result.messages).toEqual({ removed: 1, more: false });
        expect([result.queues.expired, result.queues.deadLettersRemoved]).toEqual([1, 0]);
        clock.advance(HOUR);
        const later = await current.sweep();
        expect([later.messages.removed, later.queues.expired, later.queues.deadLettersRemoved]).toEqual([0, 0, 1]);
      });

      it('reports a size and refuses every call once closed', async () => {
        const current = await open();
        await current.messages.putMessage(record('P1'), ['k1']);
        await current.outbox.append([{ id: 'e1', subject: 's', payload: 'p' }]);
        expect(current.sizeBytes()).toBeGreaterThan(0);
        await current.close();
        await current.close();
        const closed = rejectsWith(StoreErrorCodes.CLOSED);
        await expect(current.messages.putMessage(record('P2'), [])).rejects.toEqual(closed);
        await expect(current.messages.getByProxyId('P1')).rejects.toEqual(closed);
        await expect(current.queues.enqueue('acme', item('a'))).rejects.toEqual(closed);
        await expect(current.queues.peek('acme', 1)).rejects.toEqual(closed);
        await expect(current.outbox.append([{ id: 'e2', subject: 's', payload: 'p' }])).rejects.toEqual(closed);
        await expect(current.outbox.read(0, 1)).rejects.toEqual(closed);
        await expect(current.sweep()).rejects.toEqual(closed);
      });

      it('refuses options it cannot honour', async () => {
        await expect(open({ idMapTtlMs: 0 })).rejects.toEqual(rejectsWith(StoreErrorCodes.INVALID_ARGUMENT));
        await expect(open({ outboxMaxEvents: -1 })).rejects.toEqual(rejectsWith(StoreErrorCodes.INVALID_ARGUMENT));
      });
    });
  });
}
