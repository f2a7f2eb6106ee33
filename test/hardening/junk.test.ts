import { once } from 'node:events';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { Status } from '../../src/smpp/index.js';
import { PASSWORD, RawClient, account, bindPdu, cleanupAll, makeConfig, remoteCarrier, startCarrier, startProxy, Esme } from './harness.js';

afterEach(cleanupAll);

/** A forced full collection, so heap figures compare live objects and not garbage. */
const collectGarbage = ((): (() => void) => {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
})();

function liveHeap(): number {
  collectGarbage();
  collectGarbage();
  return process.memoryUsage().heapUsed;
}

/** A seeded PRNG (mulberry32): the junk is random but the same on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function randomBytes(random: () => number, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = Math.floor(random() * 256);
  return out;
}

/** The first flight a real TLS client sends, captured from node:tls against a plain listener. */
async function captureClientHello(): Promise<Buffer> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const first = once(server, 'connection').then(async (args) => {
    const socket = args[0] as Socket;
    const [chunk] = (await once(socket, 'data')) as [Buffer];
    socket.destroy();
    return chunk;
  });
  const client = tlsConnect({ host: '127.0.0.1', port, servername: 'smsc.example' });
  client.on('error', () => undefined);
  const hello = await first;
  client.destroy();
  server.close();
  return hello;
}

async function proxyWithCarrier() {
  const carrier = await startCarrier('junkcarrier');
  const running = await startProxy(
    makeConfig({
      server: { max_connections: 5_000, max_connections_per_ip: 5_000, partial_pdu_timeout: '300ms', session_init_timeout: '1s' },
      accounts: { acme: account() },
      carriers: { main: remoteCarrier(carrier, 'junkcarrier') },
      routes: [{ name: 'all', prefix: [''], carriers: [{ carrier: 'main', cost: 0.01 }] }],
    }),
  );
  return { ...running, carrier };
}

/** A real ESME still gets through: binds, submits, gets its id. */
async function realEsmeWorks(port: number): Promise<void> {
  const esme = await Esme.bind(port, 'acme');
  const resp = await esme.submit();
  expect(resp.status).toBe(Status.ESME_ROK);
  expect(resp.body.message_id?.length).toBeGreaterThan(0);
  await esme.close();
}

describe('junk on the SMPP port', () => {
  it('random bytes, HTTP, a TLS ClientHello and 1-3 octet frames: each connection closed, nothing crashes', async () => {
    const { proxy, port, carrier } = await proxyWithCarrier();
    const random = prng(0x5eed);

    const http = await RawClient.connect(port);
    http.send(Buffer.from('GET /status HTTP/1.1\r\nHost: smsc\r\nUser-Agent: probe\r\n\r\n'));
    const tls = await RawClient.connect(port);
    tls.send(await captureClientHello());
    for (const client of [http, tls]) {
      expect(await client.closedWithin(5_000)).toBe(true);
      expect(client.received.map((p) => [p.command, p.status])).toEqual([['generic_nack', Status.ESME_RINVCMDLEN]]);
    }

    // 1, 2 or 3 octets and then silence: a PDU that never completes.
    const tiny = await Promise.all(
      [1, 2, 3, 1, 2, 3].map(async (n) => {
        const client = await RawClient.connect(port);
        client.send(randomBytes(random, n).fill(0, 0, 1)); // a small length prefix, never complete
        return client;
      }),
    );
    for (const client of tiny) {
      expect(await client.closedWithin(5_000)).toBe(true);
      expect(client.bytesIn).toBe(0);
    }

    // A whole bind in 1-3 octet writes is just TCP fragmentation: it must still work.
    const dribbler = await RawClient.connect(port);
    const bind = bindPdu('bind_transceiver', 'acme', PASSWORD, 77);
    for (let at = 0; at < bind.length; ) {
      const n = 1 + Math.floor(random() * 3);
      dribbler.send(bind.subarray(at, at + n));
      at += n;
      await new Promise((r) => setImmediate(r));
    }
    expect((await dribbler.responseTo(77)).status).toBe(Status.ESME_ROK);
    dribbler.destroy();

    // Random junk of every size up to a few KiB.
    const junk = await Promise.all(
      Array.from({ length: 300 }, async () => {
        const client = await RawClient.connect(port);
        client.send(randomBytes(random, 1 + Math.floor(random() * 4_000)));
        return client;
      }),
    );
    for (const client of junk) expect(await client.closedWithin(10_000)).toBe(true);

    await expect.poll(() => proxy.openConnections, { timeout: 5_000 }).toBe(0);
    expect(carrier.stats.submitsReceived).toBe(0);
    await realEsmeWorks(port);
  }, 60_000);

  it('10,000 connections in batches: every one closed, memory back near its baseline, ESMEs still bind', async () => {
    const { proxy, port } = await proxyWithCarrier();
    await realEsmeWorks(port); // warm every code path once before the baseline
    const baseline = liveHeap();
    const TOTAL = 10_000;
    const BATCH = 500;
    const started = Date.now();
    let closed = 0;
    let nacked = 0;
    for (let done = 0; done < TOTAL; done += BATCH) {
      const batch = await Promise.all(
        Array.from({ length: BATCH }, async (_, i) => {
          const client = await RawClient.open(port);
          // Alternate an HTTP probe (refused at once) and a half PDU (closed by the slowloris timer).
          client.send((done + i) % 2 === 0 ? Buffer.from('GET / HTTP/1.0\r\n\r\n') : Buffer.from([0, 0, 0]));
          return client;
        }),
      );
      for (const client of batch) {
        if (await client.closedWithin(10_000)) closed++;
        if (client.received[0]?.status === Status.ESME_RINVCMDLEN) nacked++;
        client.destroy();
      }
    }
    const elapsed = Date.now() - started;
    expect(closed).toBe(TOTAL);
    expect(nacked).toBe(TOTAL / 2);
    await expect.poll(() => proxy.openConnections, { timeout: 5_000 }).toBe(0);
    const after = liveHeap();
    // Retained per connection would show as 10,000 x its size; a few MiB of slack covers JIT and caches.
    expect(after - baseline, `heap ${baseline} -> ${after}`).toBeLessThan(8 * 1024 * 1024);
    await realEsmeWorks(port);
    console.info(`junk: ${TOTAL} connections in ${elapsed} ms; heap ${(baseline / 1e6).toFixed(1)} MB -> ${(after / 1e6).toFixed(1)} MB`);
  }, 60_000);
});
