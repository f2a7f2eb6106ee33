import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { connectAndBind } from '../../src/session/index.js';
import { Status, encodePdu, makePdu } from '../../src/smpp/index.js';
import { PASSWORD, RawClient, account, bindPdu, boundRawClient, cleanupAll, makeConfig, startProxy, track } from './harness.js';

afterEach(cleanupAll);

const CERT = fileURLToPath(new URL('../session/fixtures/localhost.crt', import.meta.url));
const KEY = fileURLToPath(new URL('../session/fixtures/localhost.key', import.meta.url));

function config(server: Record<string, unknown>) {
  return makeConfig({
    server,
    accounts: { acme: account({ max_binds: 20 }) },
    carriers: { sandbox: { simulator: {} } },
    routes: [{ name: 'all', prefix: [''], carriers: [{ carrier: 'sandbox', cost: 0.01 }] }],
  });
}

/** A raw TLS client that only completes the handshake; resolves with the socket or the error that ended it. */
function tlsHandshake(port: number): Promise<TLSSocket | Error> {
  return new Promise((resolve) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, ca: readFileSync(CERT), servername: 'localhost' });
    track(() => {
      socket.destroy();
    });
    socket.once('secureConnect', () => resolve(socket));
    socket.once('error', (error) => resolve(error));
    socket.once('close', () => resolve(new Error('closed before the handshake completed')));
  });
}

describe('connection limits', () => {
  it('closes a connection over the per-IP cap at once, counts bound and unbound alike, and frees the slot on close', async () => {
    const { proxy, port } = await startProxy(config({ max_connections: 20, max_connections_per_ip: 3 }));
    const bound = await boundRawClient(port, 'acme');
    const idle1 = await RawClient.connect(port);
    const idle2 = await RawClient.connect(port);
    await expect.poll(() => proxy.openConnections).toBe(3);

    const over = await RawClient.connect(port);
    over.send(bindPdu('bind_transceiver', 'acme', PASSWORD, 1));
    expect(await over.closedWithin(5_000)).toBe(true);
    expect(over.bytesIn).toBe(0); // refused at accept: not even a bind response

    // Another address has its own allowance.
    const elsewhere = await RawClient.connect(port, '127.0.0.2');
    elsewhere.send(bindPdu('bind_transceiver', 'acme', PASSWORD, 1));
    expect((await elsewhere.responseTo(1)).status).toBe(Status.ESME_ROK);

    // Closing one frees its slot for the next connection from the same address.
    idle1.destroy();
    await expect.poll(() => proxy.openConnections).toBe(3);
    const again = await boundRawClient(port, 'acme');
    expect(again.isClosed).toBe(false);
    expect(bound.isClosed).toBe(false);
    expect(idle2.isClosed).toBe(false);
  });

  it('shares the per-IP cap between the plain and the TLS listener and refuses before the TLS handshake', async () => {
    const cfg = config({ max_connections: 20, max_connections_per_ip: 2, tls: { listen: '127.0.0.1:0', cert: CERT, key: KEY } });
    const { proxy, port } = await startProxy(cfg);
    const tlsPort = proxy.addresses.tls!.port;
    const plain = await boundRawClient(port, 'acme');
    const session = await connectAndBind({
      host: '127.0.0.1',
      port: tlsPort,
      tls: { ca: readFileSync(CERT), servername: 'localhost' },
      bindType: 'transceiver',
      bind: { system_id: 'acme', password: PASSWORD },
      session: { enquireLinkIntervalMs: 0 },
    });
    track(() => session.close());
    expect(session.isTls).toBe(true);

    const refused = await tlsHandshake(tlsPort);
    expect(refused).toBeInstanceOf(Error);
    const refusedPlain = await RawClient.connect(port);
    expect(await refusedPlain.closedWithin(5_000)).toBe(true);

    // The listeners keep working for everyone else.
    const other = await RawClient.connect(port, '127.0.0.3');
    other.send(bindPdu('bind_transceiver', 'acme', PASSWORD, 1));
    expect((await other.responseTo(1)).status).toBe(Status.ESME_ROK);
    expect(plain.isClosed).toBe(false);
    expect(session.isClosed).toBe(false);
  });

  it('drops connections beyond max_connections whatever their address', async () => {
    const { proxy, port } = await startProxy(config({ max_connections: 4, max_connections_per_ip: 2 }));
    const open = [
      await RawClient.connect(port, '127.0.0.11'),
      await RawClient.connect(port, '127.0.0.11'),
      await RawClient.connect(port, '127.0.0.12'),
      await RawClient.connect(port, '127.0.0.13'),
    ];
    await expect.poll(() => proxy.openConnections).toBe(4);
    const fifth = await RawClient.connect(port, '127.0.0.14');
    expect(await fifth.closedWithin(5_000)).toBe(true);
    expect(fifth.bytesIn).toBe(0);
    expect(open.every((c) => !c.isClosed)).toBe(true);
  });

  it('closes a connection that does not bind within session_init_timeout, sending nothing', async () => {
    const { proxy, port } = await startProxy(config({ session_init_timeout: '300ms' }));
    const started = Date.now();
    const silent = await RawClient.connect(port);
    expect(await silent.closedWithin(10_000)).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
    expect(silent.bytesIn).toBe(0);

    // A connection that only enquires (allowed traffic, but no bind) is closed just the same.
    const chatty = await RawClient.connect(port);
    for (let seq = 1; seq <= 3; seq++) chatty.send(makePdu('enquire_link', {}, { sequence: seq }));
    expect(await chatty.closedWithin(10_000)).toBe(true);
    expect(chatty.responsesTo(1)[0]?.status).toBe(Status.ESME_RINVBNDSTS);

    // A bound session is not affected by the timer.
    const bound = await boundRawClient(port, 'acme');
    await new Promise((r) => setTimeout(r, 600));
    expect(bound.isClosed).toBe(false);
    await expect.poll(() => proxy.openConnections).toBe(1);
  });

  it('closes a connection that leaves a PDU incomplete (slowloris), before and after bind', async () => {
    const { proxy, port } = await startProxy(config({ partial_pdu_timeout: '300ms' }));
    const frame = bindPdu('bind_transceiver', 'acme', PASSWORD, 1);

    const unbound = await RawClient.connect(port);
    unbound.send(frame.subarray(0, 10));
    expect(await unbound.closedWithin(10_000)).toBe(true);
    expect(unbound.bytesIn).toBe(0);

    const bound = await boundRawClient(port, 'acme');
    const enquire = encodePdu(makePdu('enquire_link', {}, { sequence: 2 }));
    // Dribble one octet at a time, slower than the timeout allows for the whole PDU.
    for (let i = 0; i < 3 && !bound.isClosed; i++) {
      bound.send(enquire.subarray(i, i + 1));
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(await bound.closedWithin(10_000)).toBe(true);
    expect(bound.responsesTo(2)).toEqual([]);
    await expect.poll(() => proxy.openConnections).toBe(0);
  });
});
