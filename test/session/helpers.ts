import { once } from 'node:events';
import { connect, createServer as createNetServer, type Socket } from 'node:net';
import { expect } from 'vitest';
import {
  FrameSplitter,
  Status,
  decodePdu,
  encodePdu,
  makePdu,
  type Pdu,
  type PduOf,
  type SmppError,
} from '../../src/smpp/index.js';
import {
  connectAndBind,
  createSmppServer,
  type AuthResult,
  type BindType,
  type ConnectOptions,
  type IncomingRequest,
  type SessionOptions,
  SessionError,
  type SmppServer,
  type SmppSession,
} from '../../src/session/index.js';
import { SAMPLE_HANDSET, submitSmPdu } from '../../src/sim/pdus.js';
import { track } from '../helpers/cleanup.js';
import { bindRequestPdu } from '../helpers/pdus.js';

export { cleanupAllOrThrow as cleanupAll, track } from '../helpers/cleanup.js';
export { sleep as delay, eventually } from '../helpers/wait.js';

export const ACCOUNT = { system_id: 'acme', password: 'secret' } as const;

/** Accepts ACCOUNT, refuses anything else with ESME_RBINDFAIL. */
export async function acceptAcme(bind: PduOf<'bind_transmitter' | 'bind_receiver' | 'bind_transceiver'>): Promise<AuthResult> {
  const ok = bind.body.system_id === ACCOUNT.system_id && bind.body.password === ACCOUNT.password;
  return { status: ok ? Status.ESME_ROK : Status.ESME_RBINDFAIL };
}

export interface TestServer {
  server: SmppServer;
  port: number;
  sessions: SmppSession[];
  /** Resolves with the next session the server accepts (or one already accepted and not yet taken). */
  nextSession(): Promise<SmppSession>;
}

export async function startServer(
  sessionOptions: Partial<Omit<SessionOptions, 'role'>> = {},
  onSession: (session: SmppSession) => void = () => undefined,
): Promise<TestServer> {
  const sessions: SmppSession[] = [];
  const waiting: Array<(session: SmppSession) => void> = [];
  const unclaimed: SmppSession[] = [];
  const server = createSmppServer(
    { host: '127.0.0.1', port: 0 },
    { authenticate: acceptAcme, systemId: 'TESTSMSC', enquireLinkIntervalMs: 0, ...sessionOptions },
    (session) => {
      sessions.push(session);
      onSession(session);
      const waiter = waiting.shift();
      if (waiter !== undefined) waiter(session);
      else unclaimed.push(session);
    },
  );
  const { port } = await server.listen();
  track(() => server.close());
  return {
    server,
    port,
    sessions,
    nextSession: () =>
      new Promise((resolve) => {
        const ready = unclaimed.shift();
        if (ready !== undefined) resolve(ready);
        else waiting.push(resolve);
      }),
  };
}

export async function bindClient(
  port: number,
  bindType: BindType = 'transceiver',
  session: ConnectOptions['session'] = {},
): Promise<SmppSession> {
  const client = await connectAndBind({
    host: '127.0.0.1',
    port,
    bindType,
    bind: { ...ACCOUNT },
    session: { enquireLinkIntervalMs: 0, ...session },
  });
  track(() => client.close());
  return client;
}

export function submitSm(text = 'hello', destination = SAMPLE_HANDSET): PduOf<'submit_sm'> {
  return submitSmPdu({ destination_addr: destination, registered_delivery: 0, short_message: Buffer.from(text, 'latin1') });
}

export function deliverSm(text = 'MO'): PduOf<'deliver_sm'> {
  return makePdu('deliver_sm', { ...submitSm(text).body });
}

export function bindPdu(command: 'bind_transmitter' | 'bind_receiver' | 'bind_transceiver', sequence: number, password: string = ACCOUNT.password): Pdu {
  return bindRequestPdu(command, ACCOUNT.system_id, password, { sequence });
}

/** A hand-driven peer on a plain socket, for the misbehaving-peer cases our own session never produces. */
export class RawPeer {
  readonly received: Pdu[] = [];
  readonly errors: SmppError[] = [];
  private readonly splitter = new FrameSplitter(1 << 20);
  private waiters: Array<() => void> = [];
  private ended = false;
  readonly closed: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.splitter.push(chunk);
      for (let frame = this.splitter.next(); frame !== undefined; frame = this.splitter.next()) {
        if (!(frame instanceof Buffer)) break;
        const result = decodePdu(frame);
        if (result.ok) this.received.push(result.pdu);
        else this.errors.push(result.error);
      }
      this.wake();
    });
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.ended = true;
        this.wake();
        resolve();
      }),
    );
  }

  static async connect(port: number): Promise<RawPeer> {
    const socket = connect({ host: '127.0.0.1', port });
    socket.on('error', () => undefined);
    await once(socket, 'connect');
    const peer = new RawPeer(socket);
    track(() => {
      socket.destroy();
    });
    return peer;
  }

  static wrap(socket: Socket): RawPeer {
    const peer = new RawPeer(socket);
    track(() => {
      socket.destroy();
    });
    return peer;
  }

  get isClosed(): boolean {
    return this.ended;
  }

  send(pdu: Pdu | Buffer): void {
    this.socket.write(Buffer.isBuffer(pdu) ? pdu : encodePdu(pdu));
  }

  /** Waits until at least `count` PDUs have arrived in total (or the socket closes), then returns them all. */
  async waitFor(count: number): Promise<Pdu[]> {
    while (this.received.length < count && !this.ended) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    return this.received;
  }

  /** The PDU answering `sequence`, once it arrives. */
  async responseTo(sequence: number): Promise<Pdu> {
    for (;;) {
      const found = this.received.find((pdu) => pdu.sequence === sequence);
      if (found !== undefined) return found;
      if (this.ended) throw new Error(`socket closed before a response to ${sequence}`);
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter();
  }
}

/** The SessionError `promise` rejects with; fails the test when it resolves or rejects with something else. */
export async function rejectionOf(promise: Promise<unknown>): Promise<SessionError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(SessionError);
    return error as SessionError;
  }
  throw new Error('expected the promise to reject');
}

/** Answers any request; those whose response carries a message_id get `messageId`. */
export function respondWithId(req: IncomingRequest, messageId: string, status: number = Status.ESME_ROK): boolean {
  switch (req.command) {
    case 'submit_sm':
    case 'deliver_sm':
    case 'data_sm':
      return req.respond(status, { message_id: messageId });
    default:
      return req.respond(status);
  }
}

export interface RawSmsc {
  port: number;
  /** The next connection, after its bind has been answered ESME_ROK. */
  nextPeer(): Promise<RawPeer>;
}

/** A scripted SMSC on a plain socket: it accepts the first PDU (the bind) and then does only what the test says. */
export async function startRawSmsc(): Promise<RawSmsc> {
  const ready: RawPeer[] = [];
  const waiting: Array<(peer: RawPeer) => void> = [];
  const server = createNetServer((socket) => {
    const peer = RawPeer.wrap(socket);
    void peer.waitFor(1).then((pdus) => {
      const bind = pdus[0];
      if (bind === undefined) return;
      const respName = `${bind.command}_resp` as 'bind_transceiver_resp';
      peer.send(makePdu(respName, { system_id: 'RAW' }, { sequence: bind.sequence }));
      const waiter = waiting.shift();
      if (waiter !== undefined) waiter(peer);
      else ready.push(peer);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  track(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return {
    port: (server.address() as { port: number }).port,
    nextPeer: () =>
      new Promise((resolve) => {
        const peer = ready.shift();
        if (peer !== undefined) resolve(peer);
        else waiting.push(resolve);
      }),
  };
}
