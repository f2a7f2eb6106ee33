import { describe, expect, it } from 'vitest';
import { ProxyEvents } from '../../src/broker/events.js';
import type { AuditOutbox, OutboxRecordInput, OutboxRecordStored } from '../../src/audit/outbox-port.js';
import { renderAuditPayload } from '../../src/audit/pdu-facts.js';
import { AuditRecorder } from '../../src/audit/recorder.js';
import { openMemoryStore } from '../../src/store/index.js';
import { billingEvent, dlrEvent, pduEvent, submitSmFrame } from './fixtures.js';

/** An outbox that records each append call and can be told to fail. */
class ScriptedOutbox implements AuditOutbox {
  readonly calls: OutboxRecordInput[][] = [];
  readonly stored: OutboxRecordStored[] = [];
  failNext = 0;
  full = false;

  async append(records: readonly OutboxRecordInput[]): Promise<void> {
    this.calls.push([...records]);
    await Promise.resolve();
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('disk on fire');
    }
    for (const r of records) this.stored.push({ ...r, seq: this.stored.length + 1 });
  }
  async read(afterSeq: number, limit: number): Promise<OutboxRecordStored[]> {
    return this.stored.filter((r) => r.seq > afterSeq).slice(0, limit);
  }
  async ackUpTo(): Promise<void> {}
  depth(): number {
    return this.stored.length;
  }
  isFull(): boolean {
    return this.full;
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe('AuditRecorder', () => {
  it('appends the events of one event-loop turn as one batch, in emit order', async () => {
    const events = new ProxyEvents();
    const outbox = new ScriptedOutbox();
    const recorder = new AuditRecorder({ events, outbox, instance: 'px' });
    recorder.start();
    for (let i = 1; i <= 100; i++) events.emit('billing', billingEvent(i));
    // Nothing is written synchronously inside emit: the SMPP path only builds the record.
    expect(outbox.calls).toHaveLength(0);
    await recorder.flush();
    expect(outbox.calls).toHaveLength(1);
    expect(outbox.calls[0]!.map((r) => JSON.parse(String(r.payload)).proxy_id)).toEqual(
      Array.from({ length: 100 }, (_, i) => `P${i + 1}`),
    );
    await recorder.stop();
  });

  it('gives every event a distinct id that is also in its published document', async () => {
    const events = new ProxyEvents();
    const store = openMemoryStore();
    const recorder = new AuditRecorder({ events, outbox: store.outbox, instance: 'px' });
    recorder.start();
    for (let i = 1; i <= 500; i++) {
      events.emit('pdu', pduEvent({ frame: submitSmFrame(i) }));
      events.emit('dlr', dlrEvent(i));
    }
    await recorder.flush();
    const entries = await store.outbox.read(0, 2_000);
    expect(entries).toHaveLength(1_000);
    expect(new Set(entries.map((e) => e.id)).size).toBe(1_000);
    // PDU events are stored as their facts and become JSON when published.
    for (const e of entries) expect(JSON.parse(String(renderAuditPayload(e.payload, e.id))).id).toBe(e.id);
    await recorder.stop();
    await store.close();
  });

  it('hands the next batch to the outbox without waiting for the previous one to be durable', async () => {
    const events = new ProxyEvents();
    const released: Array<() => void> = [];
    const calls: number[] = [];
    const outbox: AuditOutbox = {
      append(records) {
        calls.push(records.length);
        return new Promise<void>((resolve) => released.push(resolve));
      },
      read: async () => [],
      ackUpTo: async () => undefined,
      depth: () => 0,
      isFull: () => false,
    };
    const recorder = new AuditRecorder({ events, outbox });
    recorder.start();
    events.emit('billing', billingEvent(1));
    await sleep(5);
    const first = recorder.flush();
    events.emit('billing', billingEvent(2));
    events.emit('billing', billingEvent(3));
    const both = recorder.flush();
    await sleep(5);
    // Both appends are under way at once; neither flush is settled until its records are durable.
    expect(calls).toEqual([1, 2]);
    let settled = '';
    void first.then(() => (settled += 'first '));
    void both.then(() => (settled += 'both'));
    released[0]!();
    await sleep(1);
    expect(settled).toBe('first ');
    expect(recorder.stats).toMatchObject({ recorded: 3, durable: 1, pending: 2 });
    released[1]!();
    await both;
    expect(recorder.stats).toMatchObject({ durable: 3, pending: 0 });
    released.splice(0);
    void recorder.stop(50);
  });

  it('hands batches to the publisher in append order even when the outbox settles them out of order', async () => {
    const events = new ProxyEvents();
    const released: Array<(seqs: number[]) => void> = [];
    let nextSeq = 1;
    const outbox: AuditOutbox = {
      append(records) {
        const seqs = records.map(() => nextSeq++);
        return new Promise<number[]>((resolve) => released.push(() => resolve(seqs)));
      },
      read: async () => [],
      ackUpTo: async () => undefined,
      depth: () => 0,
      isFull: () => false,
    };
    const handed: number[][] = [];
    const recorder = new AuditRecorder({ events, outbox, onAppended: (_records, seqs) => handed.push([...(seqs ?? [])]) });
    recorder.start();
    events.emit('billing', billingEvent(1));
    await sleep(2);
    events.emit('billing', billingEvent(2));
    events.emit('billing', billingEvent(3));
    await sleep(2);
    expect(released).toHaveLength(2);
    released[1]!([]);
    await sleep(1);
    expect(handed).toEqual([]);
    released[0]!([]);
    await recorder.flush();
    expect(handed).toEqual([[1], [2, 3]]);
    await recorder.stop();
  });

  it('keeps a failed batch ahead of newer records and retries it, losing nothing', async () => {
    const events = new ProxyEvents();
    const outbox = new ScriptedOutbox();
    outbox.failNext = 2;
    const recorder = new AuditRecorder({ events, outbox });
    recorder.start();
    for (let i = 1; i <= 10; i++) events.emit('billing', billingEvent(i));
    await sleep(5);
    for (let i = 11; i <= 20; i++) events.emit('billing', billingEvent(i));
    await recorder.flush();
    expect(recorder.stats).toMatchObject({ recorded: 20, durable: 20, pending: 0, appendErrors: 2 });
    expect(recorder.stats.lastAppendError).toBe('disk on fire');
    expect(outbox.stored.map((r) => JSON.parse(String(r.payload)).proxy_id)).toEqual(
      Array.from({ length: 20 }, (_, i) => `P${i + 1}`),
    );
    await recorder.stop();
  });

  it('reports full when the outbox is full, or when records pile up because the outbox fails', async () => {
    const events = new ProxyEvents();
    const outbox = new ScriptedOutbox();
    const recorder = new AuditRecorder({ events, outbox, maxPendingRecords: 5 });
    recorder.start();
    expect(recorder.isFull()).toBe(false);
    outbox.full = true;
    expect(recorder.isFull()).toBe(true);
    outbox.full = false;
    outbox.failNext = 1_000;
    for (let i = 1; i <= 5; i++) events.emit('billing', billingEvent(i));
    await sleep(20);
    expect(recorder.isFull()).toBe(true);
    outbox.failNext = 0;
    await recorder.flush();
    expect(recorder.isFull()).toBe(false);
    await recorder.stop();
  });

  it('passes the store outbox limit through isFull()', async () => {
    const events = new ProxyEvents();
    const store = openMemoryStore({ outboxMaxEvents: 3 });
    const recorder = new AuditRecorder({ events, outbox: store.outbox });
    recorder.start();
    for (let i = 1; i <= 2; i++) events.emit('billing', billingEvent(i));
    await recorder.flush();
    expect(recorder.isFull()).toBe(false);
    events.emit('billing', billingEvent(3));
    await recorder.flush();
    expect(recorder.isFull()).toBe(true);
    await recorder.stop();
    await store.close();
  });

  it('does not let a malformed event break the emitter', async () => {
    const events = new ProxyEvents();
    const outbox = new ScriptedOutbox();
    const recorder = new AuditRecorder({ events, outbox });
    recorder.start();
    expect(() => events.emit('billing', { ...billingEvent(1), acceptedAt: Number.NaN })).not.toThrow();
    events.emit('billing', billingEvent(2));
    await recorder.flush();
    expect(recorder.stats).toMatchObject({ buildErrors: 1, durable: 1 });
    await recorder.stop();
  });

  it('stops listening on stop() and says when the outbox could not take the rest in time', async () => {
    const events = new ProxyEvents();
    const outbox = new ScriptedOutbox();
    const recorder = new AuditRecorder({ events, outbox });
    recorder.start();
    events.emit('billing', billingEvent(1));
    expect(await recorder.stop(1_000)).toBe(true);
    events.emit('billing', billingEvent(2));
    await sleep(5);
    expect(outbox.stored).toHaveLength(1);

    const stuck = new ScriptedOutbox();
    stuck.failNext = Number.POSITIVE_INFINITY;
    const second = new AuditRecorder({ events, outbox: stuck });
    second.start();
    events.emit('billing', billingEvent(3));
    expect(await second.stop(100)).toBe(false);
    expect(second.stats.pending).toBe(1);
    await expect(second.flush()).rejects.toThrow(/1 records not stored/);
  });
});
