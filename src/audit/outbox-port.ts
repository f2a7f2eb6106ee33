/**
 * The part of the store's durable Outbox the audit trail uses. Declared here, structurally, so
 * the recorder and publisher depend on behaviour rather than on a storage engine: the embedded
 * store satisfies it, and so would a clustered one.
 *
 * Contract relied on:
 * - append() gives each record a sequence number greater than any before it, across restarts,
 *   in call order; the promise (when it returns one) settles once the records are durable.
 * - read(after, limit) returns records with seq > after in ascending seq order, at most limit.
 * - ackUpTo(seq) forgets every record with seq <= seq, durably, so a restart resumes after it.
 */
export interface OutboxRecordInput {
  id: string;
  subject: string;
  payload: Buffer | string;
}

export interface OutboxRecordStored extends OutboxRecordInput {
  seq: number;
}

export interface AuditOutbox {
  append(records: readonly OutboxRecordInput[]): Promise<unknown> | unknown;
  read(afterSeq: number, limit: number): Promise<readonly OutboxRecordStored[]> | readonly OutboxRecordStored[];
  ackUpTo(seq: number): Promise<unknown> | unknown;
  depth(): number;
  isFull(): boolean;
  /** When offered: called once appended records are readable, so the publisher need not poll. */
  onAppended?(listener: (lastSeq: number) => void): () => void;
}
