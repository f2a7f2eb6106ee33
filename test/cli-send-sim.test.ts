import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { run as runCarrierSim } from '../src/cli/carrier-sim.js';
import { run as runSend } from '../src/cli/send.js';
import type { CarrierSimulator } from '../src/sim/carrier-sim.js';
import { Status } from '../src/smpp/index.js';
import { captureIo } from './helpers/capture-io.js';
import { ACCOUNT, cleanupAll, connectEsme, eventually, startSim, track } from './sim/helpers.js';

afterEach(cleanupAll);

function sendArgs(port: number, ...extra: string[]): string[] {
  return [
    '--port', String(port),
    '--system-id', ACCOUNT.systemId,
    '--password', ACCOUNT.password,
    '--from', 'DEMO',
    '--to', '447700900123',
    '--text', 'hello',
    ...extra,
  ];
}

describe('smpp-proxy send', () => {
  it('submits, prints each id and receipt, and exits 0 when everything arrived', async () => {
    const sim = await startSim({ receiptDelayMs: 10 });
    const { io, text } = captureIo();
    expect(await runSend(sendArgs(sim.port, '--count', '3', '--window', '2'), io)).toBe(0);
    const ids = [...text.stdout.matchAll(/accepted id=(\w+)/g)].map((m) => m[1]);
    expect(ids).toHaveLength(3);
    for (const id of ids) expect(text.stdout).toContain(`receipt id=${id} stat=DELIVRD err=000 state=DELIVERED`);
    expect(text.stdout).toMatch(/summary: sent 3, accepted 3, errors 0, receipts 3\/3 \(DELIVRD 3\), [\d.]+ msg\/s\n/);
    expect(text.stderr).toBe('');
    expect(sim.submits.map((s) => s.pdu.body.registered_delivery)).toEqual([1, 1, 1]);
  });

  it('splits a long text and waits for the receipt of every part', async () => {
    const sim = await startSim({ receiptDelayMs: 5 });
    const { io, text } = captureIo();
    expect(await runSend(sendArgs(sim.port, '--text', 'y'.repeat(300)), io)).toBe(0);
    expect(text.stdout).toContain('message 1 part 2/2: accepted');
    expect(text.stdout).toMatch(/summary: sent 1 \(2 parts\), accepted 1, errors 0, receipts 2\/2 \(DELIVRD 2\)/);
  });

  it('exits 1 and counts errors by status when submits are refused', async () => {
    const sim = await startSim({ failure: { everyNth: 2, status: Status.ESME_RSUBMITFAIL } });
    const { io, text } = captureIo();
    expect(await runSend(sendArgs(sim.port, '--count', '4', '--window', '1'), io)).toBe(1);
    expect(text.stdout).toContain('message 2: refused ESME_RSUBMITFAIL (0x00000045)');
    expect(text.stdout).toMatch(/summary: sent 4, accepted 2, errors 2 \(ESME_RSUBMITFAIL 2\), receipts 2\/2/);
  });

  it('exits 1 when a receipt does not arrive within --timeout', async () => {
    const sim = await startSim({ receiptDelayMs: 60_000 });
    const { io, text } = captureIo();
    expect(await runSend(sendArgs(sim.port, '--timeout', '1s'), io)).toBe(1);
    expect(text.stdout).toContain('receipts 0/1');
    expect(text.stdout).toContain('no receipt within 1 s for 1 message id');
  });

  it('with --no-wait asks for no receipt and returns after the responses', async () => {
    const sim = await startSim({ receiptDelayMs: 60_000 });
    const { io, text } = captureIo();
    expect(await runSend(sendArgs(sim.port, '--no-wait', '--quiet'), io)).toBe(0);
    expect(text.stdout).toMatch(/^summary: sent 1, accepted 1, errors 0, [\d.]+ msg\/s\n$/);
    expect(sim.submits[0]!.pdu.body.registered_delivery).toBe(0);
  });

  it('does not wait on a transmitter bind', async () => {
    const sim = await startSim({ receiptDelayMs: 60_000 });
    const { io, text } = captureIo();
    expect(await runSend(sendArgs(sim.port, '--bind', 'transmitter'), io)).toBe(0);
    expect(text.stdout).toContain('as acme (transmitter)');
    expect(sim.sessions).toEqual([]);
  });

  it('sends UCS-2 with --dc 8', async () => {
    const sim = await startSim();
    const { io } = captureIo();
    expect(await runSend(sendArgs(sim.port, '--dc', '8', '--no-wait'), io)).toBe(0);
    const body = sim.submits[0]!.pdu.body as { data_coding: number; short_message: Buffer };
    expect(body.data_coding).toBe(8);
    expect(body.short_message).toEqual(Buffer.from('\0h\0e\0l\0l\0o', 'latin1'));
  });

  it('prints the summary so far and exits 1 when stopped', async () => {
    const sim = await startSim({ receiptDelayMs: 60_000 });
    const { io, text } = captureIo();
    const stop = new AbortController();
    sim.on('submit', () => setTimeout(() => stop.abort(), 20));
    expect(await runSend(sendArgs(sim.port, '--count', '1000', '--rate', '20'), io, { signal: stop.signal })).toBe(1);
    expect(text.stdout).toMatch(/stopped after \d+ of 1000 messages/);
    expect(text.stdout).toContain('summary: sent ');
  });

  it('exits 1 with the reason when the bind fails', async () => {
    const sim = await startSim();
    const { io, text } = captureIo();
    const args = sendArgs(sim.port);
    args[args.indexOf('--password') + 1] = 'wrong';
    expect(await runSend(args, io)).toBe(1);
    expect(text.stderr).toMatch(/cannot bind to 127\.0\.0\.1:\d+ as acme: .*ESME_RBINDFAIL/);
  });

  it.each([
    [['--port', '1'], 'missing --system-id, --password, --from, --to, --text'],
    [sendArgs(1, '--count', 'many'), '--count must be a whole number'],
    [sendArgs(1, '--dc', '0', '--text', 'Привет'), 'outside the GSM alphabet'],
    [sendArgs(1, '--dc', '3'), '--dc must be one of 0, 8'],
    [sendArgs(1, '--timeout', 'soon'), '--timeout'],
    [sendArgs(1, '--ca', 'x.pem'), 'only apply with --tls'],
    [sendArgs(1, '--from', 'A'.repeat(25)), 'source_addr'],
    [sendArgs(1, '--bogus'), "Unknown option '--bogus'"],
  ])('exits 2 on bad usage: %j', async (args, message) => {
    const { io, text } = captureIo();
    expect(await runSend(args, io)).toBe(2);
    expect(text.stderr).toContain(message);
    expect(text.stderr).toContain('usage: smpp-proxy send');
  });

  it('prints its usage with --help', async () => {
    const { io, text } = captureIo();
    expect(await runSend(['--help'], io)).toBe(0);
    expect(text.stdout).toContain('usage: smpp-proxy send');
  });
});

describe('smpp-proxy carrier-sim', () => {
  /** Runs the command in-process on a free port until the test ends. */
  async function startCommand(...args: string[]) {
    const { io, text } = captureIo();
    const stop = new AbortController();
    let ready: { port: number; simulator: CarrierSimulator } | undefined;
    let onReady: () => void = () => undefined;
    const listening = new Promise<void>((resolve) => {
      onReady = resolve;
    });
    const exited = runCarrierSim(['--port', '0', ...args], io, {
      signal: stop.signal,
      onListening: (address, simulator) => {
        ready = { port: address.port, simulator };
        onReady();
      },
    });
    track(async () => {
      stop.abort();
      await exited;
    });
    // A run that ends before listening (bad arguments) must not leave the test waiting.
    await Promise.race([listening, exited]);
    if (ready === undefined) throw new Error(`carrier-sim did not start: ${text.stderr}`);
    const { port } = ready;
    return { io, text, stop, exited, port: () => port };
  }

  it('answers a send run, logs one line per bind, submit and receipt, and stops cleanly', async () => {
    const cmd = await startCommand('--system-id', ACCOUNT.systemId, '--password', ACCOUNT.password, '--dlr-delay', '10ms', '--id-format', 'decimal');
    expect(cmd.text.stdout).toMatch(/carrier-sim listening on 127\.0\.0\.1:\d+ \(system_id acme, ids decimal, receipts DELIVRD after 10 ms\)/);
    const send = captureIo();
    expect(await runSend(sendArgs(cmd.port(), '--count', '2'), send.io)).toBe(0);
    const ids = [...send.text.stdout.matchAll(/accepted id=(\d+)/g)].map((m) => m[1]);
    expect(ids).toHaveLength(2);
    cmd.stop.abort();
    expect(await cmd.exited).toBe(0);
    const log = cmd.text.stdout;
    expect(log).toMatch(/bind acme transceiver from 127\.0\.0\.1: ESME_ROK/);
    for (const id of ids) {
      expect(log).toContain(`submit_sm acme DEMO -> 447700900123: accepted id=${id}`);
      expect(log).toContain(`receipt id=${id} to acme stat=DELIVRD attempt 1: ESME_ROK`);
    }
    expect(log).toMatch(/stopped: 2 submits \(2 accepted, 0 failed, 0 throttled, 0 unanswered\), 2 receipts delivered/);
  });

  it('fails the requested share with the requested status', async () => {
    const cmd = await startCommand('--fail-ratio', '1', '--fail-status', 'ESME_RTHROTTLED', '--quiet');
    const send = captureIo();
    expect(await runSend(sendArgs(cmd.port(), '--count', '2', '--window', '1'), send.io)).toBe(1);
    expect(send.text.stdout).toContain('errors 2 (ESME_RTHROTTLED 2)');
    expect(cmd.text.stdout).not.toContain('submit_sm');
  });

  it('sends MO on a schedule to a bound receiver', async () => {
    const cmd = await startCommand('--mo-every', '30ms', '--mo-from', '447700900001', '--mo-to', '88888', '--mo-text', 'hi there');
    const esme = await connectEsme(cmd.port());
    await eventually(() => esme.mos.length >= 2);
    expect(esme.mos[0]).toMatchObject({ from: '447700900001', to: '88888', text: 'hi there' });
    expect(cmd.text.stdout).toContain('mo 447700900001 -> 88888 to acme: delivered (1 part)');
  });

  it('exits 1 when its port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    track(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
    const port = (blocker.address() as { port: number }).port;
    const { io, text } = captureIo();
    expect(await runCarrierSim(['--port', String(port)], io, { signal: AbortSignal.abort() })).toBe(1);
    expect(text.stderr).toMatch(/cannot listen on 127\.0\.0\.1:\d+: .*EADDRINUSE/);
  });

  it.each([
    [['--system-id', 'x'], '--system-id and --password go together'],
    [['--fail-status', '0x58'], 'need --fail-ratio or --fail-every'],
    [['--fail-ratio', '0.5', '--fail-every', '2'], 'cannot be combined'],
    [['--fail-ratio', '2'], '--fail-ratio must be a number from 0 to 1'],
    [['--fail-every', '2', '--fail-status', 'ESME_ROK'], 'not ESME_ROK'],
    [['--dlr-status', 'GREAT'], '--dlr-status must be one of'],
    [['--id-format', 'octal'], '--id-format must be one of hex, decimal, string, hex-decimal'],
    [['--mo-every', '1s'], '--mo-every needs --mo-from and --mo-to'],
    [['--mo-from', '1'], 'need --mo-every'],
    [['--port', '70000'], '--port must be a whole number from 0 to 65535'],
    [['--system-id', 'a-name-far-too-long', '--password', 'x'], 'account system_id must be 1..15 characters'],
  ])('exits 2 on bad usage: %j', async (args, message) => {
    const { io, text } = captureIo();
    expect(await runCarrierSim(args, io, { signal: AbortSignal.abort() })).toBe(2);
    expect(text.stderr).toContain(message);
  });

  it('prints its usage with --help', async () => {
    const { io, text } = captureIo();
    expect(await runCarrierSim(['--help'], io)).toBe(0);
    expect(text.stdout).toContain('usage: smpp-proxy carrier-sim');
  });
});
