/**
 * What the publisher needs from NATS, separated from the publisher's bookkeeping (window,
 * cursor, resend timers): the client's connection handling stays in one place, and the
 * publisher's decisions can be exercised against a scripted transport.
 */

export interface OutgoingEvent {
  /** Outbox sequence: acknowledgements name it. */
  seq: number;
  /** Event id, sent as Nats-Msg-Id. */
  id: string;
  subject: string;
  payload: Buffer | string;
}

export const RefusalKind = {
  /** No resend can help (too large, invalid subject): skip the event. */
  permanent: 'permanent',
  /** JetStream will not store now (out of space, leader election): resend later. */
  temporary: 'temporary',
  /** Nothing stores the subject (stream deleted, JetStream not up yet): set the stream up again. */
  streamMissing: 'stream_missing',
} as const;
export type RefusalKind = (typeof RefusalKind)[keyof typeof RefusalKind];

export interface TransportState {
  connected: boolean;
  /** The stream exists and is configured: events can be sent. */
  streamReady: boolean;
}

export interface TransportListener {
  /**
   * Connection or stream state changed. Becoming ready after not being ready means anything
   * sent before may have been lost: the publisher sends everything unacknowledged again.
   */
  state(state: TransportState): void;
  /** JetStream stored the event (or already had it: duplicate). */
  acked(seq: number, duplicate: boolean): void;
  refused(seq: number, kind: RefusalKind, reason: string): void;
  /** Something worth reporting that needs no action from the publisher. */
  problem(message: string): void;
}

export interface PublishTransport {
  start(listener: TransportListener): void;
  /** Sends without waiting; outcomes arrive through the listener. */
  send(batch: readonly OutgoingEvent[]): void;
  /** Checks (creating if needed) the stream again, after JetStream said nothing stores the subject. */
  recheckStream(): void;
  /** Closes the connection; acknowledgements still on the wire are not waited for. */
  stop(): Promise<void>;
}
