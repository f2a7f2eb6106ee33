import type { Socket } from 'node:net';

/**
 * Batches outgoing PDUs so that everything queued within one turn of the event loop leaves in a
 * single socket.write (one syscall), however many responses a burst of requests produced.
 * It never drops or reorders frames; it reports congestion (the kernel buffer is full because the
 * peer is not reading) so the session can stop producing and stop reading until 'drain'.
 */
export class CoalescingWriter {
  private queue: Buffer[] = [];
  private queuedBytes = 0;
  private scheduled = false;
  private congestedFlag = false;
  private holds = 0;
  private flushDeferred = false;
  private readonly flushBound = (): void => this.flush();

  constructor(
    private readonly socket: Socket,
    private readonly onCongestion: (congested: boolean) => void,
  ) {
    socket.on('drain', () => {
      if (!this.congestedFlag) return;
      this.congestedFlag = false;
      this.onCongestion(false);
    });
  }

  /** true from a write the socket could not absorb until the socket drains. */
  get congested(): boolean {
    return this.congestedFlag;
  }

  /** Octets queued for the next flush (not yet handed to the socket). */
  get pendingBytes(): number {
    return this.queuedBytes;
  }

  write(frame: Buffer): void {
    this.queue.push(frame);
    this.queuedBytes += frame.length;
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // setImmediate rather than nextTick: it runs after promise continuations of this turn, so
    // responses produced by async handlers that settle together still share one write.
    setImmediate(this.flushBound);
  }

  /**
   * Keeps everything queued so far, and anything queued later, off the wire until `barrier`
   * settles (or `maxMs` passes, so a stuck barrier cannot stall the session for ever). The
   * proxy uses it to put an answer on the wire only once the audit record of that answer is
   * durable, so no crash can leave a customer holding an ESME_ROK the audit trail never saw.
   */
  holdUntil(barrier: Promise<unknown>, maxMs: number): void {
    this.holds++;
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      clearTimeout(timer);
      this.holds--;
      if (this.holds === 0 && this.flushDeferred) {
        this.flushDeferred = false;
        // Not now: a frame queued in this turn may be waiting for its own hold, which its
        // producer places a few promise continuations later (still this turn). Writing at
        // once would carry it out before its audit records are durable.
        this.scheduleFlush();
      }
    };
    const timer = setTimeout(release, maxMs);
    timer.unref();
    barrier.then(release, release);
  }

  /** Removes and returns everything queued, for a final write before the socket is ended. */
  takeAll(): Buffer | undefined {
    if (this.queue.length === 0) return undefined;
    const data = this.queue.length === 1 ? this.queue[0]! : Buffer.concat(this.queue, this.queuedBytes);
    this.queue = [];
    this.queuedBytes = 0;
    return data;
  }

  private flush(): void {
    this.scheduled = false;
    if (this.holds > 0) {
      this.flushDeferred = true;
      return;
    }
    const data = this.takeAll();
    if (data === undefined || this.socket.destroyed || this.socket.writableEnded) return;
    const accepted = this.socket.write(data);
    if (!accepted && !this.congestedFlag) {
      this.congestedFlag = true;
      this.onCongestion(true);
    }
  }
}
