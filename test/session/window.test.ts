import { describe, expect, it } from 'vitest';
import { RequestWindow, type ExpiredRequest } from '../../src/session/window.js';
import { FakeTimers } from '../../src/session/timers.js';
import { SessionError } from '../../src/session/errors.js';
import { rejectionOf } from './helpers.js';

const SUBMIT = 0x00000004;

function makeWindow(size = 2, timeoutMs = 1000) {
  const timers = new FakeTimers();
  const window = new RequestWindow<string>({ size, timeoutMs, timers });
  return { timers, window };
}

describe('RequestWindow', () => {
  it('resolves a request with its response and reports it no longer pending', async () => {
    const { window } = makeWindow();
    const promise = window.add(1, SUBMIT);
    expect(promise).not.toBeNull();
    expect(window.commandOf(1)).toBe(SUBMIT);
    expect(window.resolve(1, 'resp')).toBe(true);
    await expect(promise).resolves.toBe('resp');
    expect(window.pending).toBe(0);
    expect(window.resolve(1, 'again')).toBe(false);
  });

  it('refuses with null when full and emits drain once space frees', () => {
    const { window } = makeWindow(2);
    let drains = 0;
    window.on('drain', () => drains++);
    expect(window.add(1, SUBMIT)).not.toBeNull();
    expect(window.add(2, SUBMIT)).not.toBeNull();
    expect(window.isFull).toBe(true);
    expect(window.add(3, SUBMIT)).toBeNull();
    expect(window.pending).toBe(2);
    window.resolve(1, 'ok');
    expect(drains).toBe(1);
    expect(window.add(3, SUBMIT)).not.toBeNull();
    window.resolve(2, 'ok');
    expect(drains).toBe(2);
    window.resolve(3, 'ok');
    expect(drains).toBe(2);
  });

  it('does not emit drain when it never was full', () => {
    const { window } = makeWindow(3);
    let drains = 0;
    window.on('drain', () => drains++);
    void window.add(1, SUBMIT);
    window.resolve(1, 'ok');
    expect(drains).toBe(0);
  });

  it('expires a request with RESPONSE_TIMEOUT, frees its slot and reports it', async () => {
    const { timers, window } = makeWindow(1, 500);
    const expired: ExpiredRequest[] = [];
    let drains = 0;
    window.on('timeout', (e) => expired.push(e));
    window.on('drain', () => drains++);
    const promise = window.add(9, SUBMIT)!;
    const rejection = rejectionOf(promise);
    timers.advance(499);
    expect(window.pending).toBe(1);
    timers.advance(1);
    const error = await rejection;
    expect(error.code).toBe('RESPONSE_TIMEOUT');
    expect(error.sequence).toBe(9);
    expect(error.commandId).toBe(SUBMIT);
    expect(expired).toEqual([{ sequence: 9, commandId: SUBMIT, waitedMs: 500 }]);
    expect(window.pending).toBe(0);
    expect(drains).toBe(1);
    expect(window.resolve(9, 'late')).toBe(false);
  });

  it('honours a per-request timeout and force admission beyond the size', async () => {
    const { timers, window } = makeWindow(1, 1000);
    void window.add(1, SUBMIT)!.catch(() => undefined);
    const forced = window.add(2, 0x6, { force: true, timeoutMs: 50 });
    expect(forced).not.toBeNull();
    expect(window.pending).toBe(2);
    const rejection = rejectionOf(forced!);
    timers.advance(50);
    expect((await rejection).code).toBe('RESPONSE_TIMEOUT');
    expect(window.pending).toBe(1);
  });

  it('a timeout of 0 never expires', () => {
    const { timers, window } = makeWindow(1, 0);
    void window.add(1, SUBMIT);
    timers.advance(1e9);
    expect(window.pending).toBe(1);
    expect(timers.pending).toBe(0);
  });

  it('failAll rejects every pending request with SESSION_CLOSED and clears their timers', async () => {
    const { timers, window } = makeWindow(3);
    const promises = [window.add(1, SUBMIT)!, window.add(2, SUBMIT)!, window.add(3, SUBMIT)!];
    const rejections = promises.map(rejectionOf);
    let idle = 0;
    window.on('idle', () => idle++);
    expect(window.failAll('peer vanished')).toBe(3);
    const errors = await Promise.all(rejections);
    expect(errors.map((e) => e.code)).toEqual(['SESSION_CLOSED', 'SESSION_CLOSED', 'SESSION_CLOSED']);
    expect(errors.map((e) => e.sequence)).toEqual([1, 2, 3]);
    expect(errors[0]?.message).toContain('peer vanished');
    expect(window.pending).toBe(0);
    expect(timers.pending).toBe(0);
    expect(idle).toBe(1);
  });

  it('reject settles one request with the given error', async () => {
    const { window } = makeWindow();
    const promise = window.add(4, SUBMIT)!;
    const nack = new SessionError('GENERIC_NACK', 'nack', { status: 3, sequence: 4 });
    expect(window.reject(4, nack)).toBe(true);
    await expect(promise).rejects.toBe(nack);
  });

  it('refuses a duplicate sequence number and bad options with typed errors', () => {
    const { window } = makeWindow();
    void window.add(1, SUBMIT);
    expect(() => window.add(1, SUBMIT)).toThrow(SessionError);
    expect(() => new RequestWindow({ size: 0, timeoutMs: 1, timers: new FakeTimers() })).toThrow(SessionError);
    expect(() => new RequestWindow({ size: 1, timeoutMs: -1, timers: new FakeTimers() })).toThrow(SessionError);
  });
});
