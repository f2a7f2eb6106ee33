import type { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import type { Server, Socket } from 'node:net';

/*
 * The npm `smpp` package (0.5.1) is an independent SMPP implementation, used here as a peer on
 * real sockets. It ships no types; these describe the small part of its API the tests use.
 */

export interface PeerPdu {
  command: string;
  command_id: number;
  command_status: number;
  sequence_number: number;
  toBuffer(): Buffer;
  response(options?: Record<string, unknown>): PeerPdu;
  [field: string]: unknown;
}

/** short_message (and message_payload) as the peer decodes it. */
export interface PeerMessage {
  message: string | Buffer;
  udh?: Buffer[];
}

export type PeerCallback = (pdu: PeerPdu) => void;

export interface PeerSession extends EventEmitter {
  socket: Socket;
  send(pdu: PeerPdu, responseCallback?: PeerCallback): boolean;
  close(callback?: () => void): void;
  destroy(callback?: () => void): void;
  bind_transceiver(options: Record<string, unknown>, callback?: PeerCallback): boolean;
  submit_sm(options: Record<string, unknown>, callback?: PeerCallback): boolean;
  deliver_sm(options: Record<string, unknown>, callback?: PeerCallback): boolean;
  query_sm(options: Record<string, unknown>, callback?: PeerCallback): boolean;
  enquire_link(options: Record<string, unknown>, callback?: PeerCallback): boolean;
  unbind(options: Record<string, unknown>, callback?: PeerCallback): boolean;
}

interface SmppModule {
  connect(options: { host: string; port: number }, listener?: () => void): PeerSession;
  createServer(options: Record<string, unknown>, listener: (session: PeerSession) => void): Server;
  PDU: new (commandOrBuffer: string | Buffer, options?: Record<string, unknown>) => PeerPdu;
}

export const peer = createRequire(import.meta.url)('smpp') as SmppModule;

/** A connected peer client; its errors are kept rather than thrown, and it is destroyed by the returned cleanup. */
export async function connectPeer(port: number): Promise<{ session: PeerSession; errors: Error[] }> {
  const errors: Error[] = [];
  const session = peer.connect({ host: '127.0.0.1', port });
  session.on('error', (error: Error) => errors.push(error));
  await new Promise<void>((resolve, reject) => {
    session.once('connect', () => resolve());
    session.socket.once('error', reject);
  });
  return { session, errors };
}

/** Resolves with the next PDU of that command the peer session receives. */
export function nextPdu(session: PeerSession, command: string): Promise<PeerPdu> {
  return new Promise((resolve) => session.once(command, (pdu: PeerPdu) => resolve(pdu)));
}

/** Sends a request through the peer and resolves with its response. */
export function peerRequest(session: PeerSession, command: 'bind_transceiver' | 'submit_sm' | 'deliver_sm' | 'query_sm' | 'enquire_link' | 'unbind', options: Record<string, unknown> = {}): Promise<PeerPdu> {
  return new Promise((resolve, reject) => {
    if (!session[command](options, resolve)) reject(new Error(`the peer could not send ${command}`));
  });
}
