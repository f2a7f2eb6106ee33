import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProxyEvents } from '../../src/broker/events.js';
import { attachEventLogs } from '../../src/observability/event-logs.js';
import { createLogger, type Logger } from '../../src/observability/logger.js';
import type { CarrierSimulator } from '../../src/sim/carrier-sim.js';
import { Status } from '../../src/smpp/index.js';
import { account, bindError, cleanupAll, makeConfig, NO_BREAKER, remoteCarrier, startCarrier, TestEsme, waitFor } from '../e2e/harness.js';
import { startObserved } from './helpers.js';

type Line = Record<string, unknown> & { msg: string; level: number };

/** A pino logger whose JSON lines are kept, raw and parsed, for the assertions. */
function captureLogger(level = 'info') {
  const stream = new PassThrough();
  const raw: string[] = [];
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    pending += chunk;
    const parts = pending.split('\n');
    pending = parts.pop() ?? '';
    raw.push(...parts.filter((p) => p !== ''));
  });
  const logger = createLogger({ level, destination: stream });
  return { logger, raw, lines: (): Line[] => raw.map((r) => JSON.parse(r) as Line) };
}

const INFO = 30;
const WARN = 40;

describe('event log lines from a real proxy', () => {
  const PASSWORD = 'Pw9zQx7k';
  const WRONG_PASSWORD = 'Wr0ngPw7';
  const TEXT = 'CONFIDENTIAL-BODY-42';
  const capture = captureLogger('info');
  let beta: CarrierSimulator;

  beforeAll(async () => {
    beta = await startCarrier('beta', { failure: { status: Status.ESME_RMSGQFUL, everyNth: 1 } });
    const config = makeConfig({
      accounts: { acme: account({ password: PASSWORD }) },
      carriers: {
        alpha: { simulator: { dlr_status: 'DELIVRD', dlr_delay: '20ms' } },
        beta: remoteCarrier(beta, 'beta', { circuit_breaker: NO_BREAKER }),
      },
      routes: [
        {
          name: 'uk',
          prefix: ['447'],
          carriers: [
            { carrier: 'beta', cost: 0.001 },
            { carrier: 'alpha', cost: 0.002 },
          ],
        },
      ],
    });
    const events = new ProxyEvents();
    // Attached the way the runtime does it: before the proxy starts, so carrier binds are logged.
    const detach = attachEventLogs(events, capture.logger);
    try {
      const observed = await startObserved(config, { logger: capture.logger, events });
      expect(await bindError(observed.running.port, 'acme', WRONG_PASSWORD)).toMatchObject({ code: 'BIND_FAILED' });
      const esme = await TestEsme.bind(observed.running.port, 'acme', { password: PASSWORD });
      for (let i = 0; i < 3; i++) {
        const response = await esme.submit({ short_message: Buffer.from(TEXT) });
        expect(response.status).toBe(Status.ESME_ROK);
      }
      await esme.waitForDeliveries(3);
      await esme.close();
      await beta.stop();
      await waitFor(() => capture.lines().some((l) => l.msg === 'carrier unbound' && l.peer === 'beta'), 'beta to be logged as unbound');
    } finally {
      detach();
    }
  });
  afterAll(cleanupAll);

  it('never writes a password or message text', () => {
    expect(capture.raw.length).toBeGreaterThan(5);
    const forbidden = [PASSWORD, WRONG_PASSWORD, TEXT, Buffer.from(TEXT).toString('hex'), Buffer.from(TEXT).toString('base64')];
    for (const line of capture.raw) {
      for (const secret of forbidden) expect(line.includes(secret), `log line holds ${secret}: ${line}`).toBe(false);
    }
  });

  it('logs each ESME bind, unbind and refused bind once', () => {
    const events = capture.lines().filter((l) => l.component === 'events');
    expect(events.filter((l) => l.msg === 'ESME bound')).toEqual([
      expect.objectContaining({ level: INFO, side: 'esme', peer: 'acme', bindType: 'transceiver', remote: expect.stringContaining('127.0.0.1') }),
    ]);
    expect(events.filter((l) => l.msg === 'ESME unbound')).toEqual([expect.objectContaining({ level: INFO, peer: 'acme', reason: expect.any(String) })]);
    expect(events.filter((l) => l.msg === 'ESME bind refused')).toEqual([
      expect.objectContaining({ level: INFO, systemId: 'acme', reason: 'wrong password', remote: expect.stringContaining('127.0.0.1') }),
    ]);
  });

  it('logs carrier binds and state changes, with a warning when a carrier loses its last session', () => {
    const lines = capture.lines().filter((l) => l.component === 'events');
    expect(lines.some((l) => l.msg === 'carrier bound' && l.peer === 'alpha')).toBe(true);
    expect(lines.some((l) => l.msg === 'carrier state' && l.carrier === 'beta' && l.boundSessions === 1)).toBe(true);
    expect(lines).toContainEqual(expect.objectContaining({ level: WARN, msg: 'carrier has no bound session', carrier: 'beta', boundSessions: 0 }));
  });

  it('logs failovers with route, carrier and reason, folding a burst into one line', () => {
    const failovers = capture.lines().filter((l) => l.msg === 'failover');
    // Three failovers within the default one-second fold: one line.
    expect(failovers).toEqual([expect.objectContaining({ level: INFO, account: 'acme', route: 'uk', fromCarrier: 'beta', reason: 'status 0x14' })]);
  });
});

describe('failover folding', () => {
  function failover(events: ProxyEvents, reason = 'timeout'): void {
    events.emit('failover', { account: 'acme', route: 'uk', fromCarrier: 'alpha', reason });
  }

  it('logs the first failover of a burst, then one line per interval carrying how many were folded', () => {
    const capture = captureLogger();
    const events = new ProxyEvents();
    let now = 0;
    const detach = attachEventLogs(events, capture.logger, { failoverIntervalMs: 1_000, now: () => now });
    failover(events);
    now = 100;
    failover(events);
    now = 900;
    failover(events);
    failover(events, 'not_bound');
    now = 1_000;
    failover(events);
    detach();
    failover(events);
    const lines = capture.lines().filter((l) => l.msg === 'failover');
    expect(lines.map((l) => [l.reason, l.suppressedSincePrevious])).toEqual([
      ['timeout', undefined],
      ['not_bound', undefined],
      ['timeout', 2],
    ]);
  });

  it('logs every failover when the interval is 0', () => {
    const capture = captureLogger();
    const events = new ProxyEvents();
    const detach = attachEventLogs(events, capture.logger, { failoverIntervalMs: 0 });
    for (let i = 0; i < 4; i++) failover(events);
    detach();
    expect(capture.lines().filter((l) => l.msg === 'failover')).toHaveLength(4);
  });

  it('logs refusals of a locked-out client at debug only, so retries cannot flood the log', () => {
    const capture = captureLogger('info');
    const events = new ProxyEvents();
    const detach = attachEventLogs(events, capture.logger);
    for (let i = 0; i < 3; i++) events.emit('bind_rejected', { systemId: 'acme', remote: '203.0.113.9', reason: 'client locked out after failed binds', at: 0 });
    events.emit('bind_rejected', { systemId: 'acme', remote: '203.0.113.9', reason: 'wrong password', at: 0 });
    detach();
    expect(capture.lines().map((l) => l.reason)).toEqual(['wrong password']);
  });

  it('does not let a failing logger throw into the emitter', () => {
    const events = new ProxyEvents();
    const fail = (): never => {
      throw new Error('log sink gone');
    };
    const broken = { child: () => ({ debug: fail, info: fail, warn: fail }) } as unknown as Logger;
    const detach = attachEventLogs(events, broken, { failoverIntervalMs: 0 });
    expect(() => failover(events)).not.toThrow();
    expect(() => events.emit('bind', { side: 'esme', peer: 'acme', sessionId: 's', bindType: 'transceiver', remote: 'x', up: true, at: 0 })).not.toThrow();
    detach();
  });
});
