/**
 * When a batch of events may be published with only its last event acknowledged, and what an
 * acknowledgement then proves.
 *
 * JetStream answers every publish that carries a reply subject. Asking for all of them costs the
 * server a PubAck and the client a message to parse per event, about a third of the CPU the
 * trail costs both together. A stream stores the messages of one connection in the order they
 * were sent and numbers them consecutively, so when this publisher is the only writer, the
 * acknowledgement of a window's last event proves the whole window stored exactly when its
 * stream sequence is the previous window's plus the window's size. Anything else (an event
 * lost, a duplicate, another writer's messages in between) breaks the arithmetic, and then the
 * window is sent again with an acknowledgement per event under the same ids, which is
 * conclusive whatever happened: the duplicate window drops what was stored already.
 *
 * Windows are used only after a run of per-event acknowledgements whose stream sequences were
 * consecutive with nothing of ours outstanding: evidence that nobody else writes the stream
 * now. Any mismatch, any new connection and any reset go back to per-event acknowledgements.
 * The one case the arithmetic cannot see is an event lost in the same window in which another
 * writer stored exactly as many messages; the consecutive-run rule keeps windows away from
 * streams that are written by several instances at the same time.
 */
export interface WindowEvent {
  /** Outbox sequence. */
  seq: number;
}

export type WindowOutcome<E> =
  /** Every event of the window is stored. */
  | { kind: 'stored'; events: E[] }
  /** Not proven: the events need sending again with an acknowledgement each. */
  | { kind: 'unproven'; events: E[] };

interface OpenWindow<E> {
  events: E[];
  /** The stream sequence the last event gets if the window is stored whole. */
  expected: number;
  openedAt: number;
  /** Trust is counted in generations; a window from before the last distrust proves nothing. */
  generation: number;
}

export interface AckWindowsOptions {
  /** Consecutive per-event acknowledgements needed before windows are used. Default 2,000. */
  trustAfter?: number;
  /** Windows not settled within this long are forgotten (their events are resent anyway). */
  maxAgeMs?: number;
  now?: () => number;
}

export class AckWindows<E extends WindowEvent> {
  private readonly trustAfter: number;
  private readonly maxAgeMs: number;
  private readonly now: () => number;
  private readonly windows = new Map<number, OpenWindow<E>>();
  private nextWindow = 1;
  /** Stream sequence the next window counts from; undefined while windows are not trusted. */
  private baseline: number | undefined;
  /** Per-event sends not yet acknowledged, by outbox sequence. */
  private readonly outstanding = new Set<number>();
  /** The latest stream sequence seen in a run of consecutive per-event acknowledgements. */
  private lastStreamSeq = -1;
  private consecutive = 0;
  private generation = 0;
  /** Events proven stored by a window acknowledgement, and events of windows left unproven. */
  storedByWindow = 0;
  unprovenByWindow = 0;

  constructor(options: AckWindowsOptions = {}) {
    this.trustAfter = Math.max(1, options.trustAfter ?? 2_000);
    this.maxAgeMs = options.maxAgeMs ?? 120_000;
    this.now = options.now ?? Date.now;
  }

  /** A new connection or stream: whatever was in flight proves nothing any more. */
  reset(): void {
    this.generation++;
    this.windows.clear();
    this.outstanding.clear();
    this.baseline = undefined;
    this.lastStreamSeq = -1;
    this.consecutive = 0;
  }

  get trusted(): boolean {
    return this.baseline !== undefined;
  }

  /**
   * Opens a window for `events` and returns its token, or undefined when windows are not
   * trusted. While they are, every send must be a window (even of one event): a per-event send
   * would take a stream sequence the arithmetic does not count.
   */
  open(events: readonly E[]): number | undefined {
    if (this.baseline === undefined || events.length === 0) return undefined;
    this.forgetStale();
    const token = this.nextWindow++;
    this.baseline += events.length;
    // A copy: the caller's array may be reused once sent.
    this.windows.set(token, { events: [...events], expected: this.baseline, openedAt: this.now(), generation: this.generation });
    return token;
  }

  /**
   * The acknowledgement of a window's last event: its stream sequence and duplicate flag, or
   * undefined when JetStream answered with an error. Undefined for a window no longer known.
   */
  settle(token: number, ack: { streamSeq: number; duplicate: boolean } | undefined): WindowOutcome<E> | undefined {
    const window = this.windows.get(token);
    if (window === undefined) return undefined;
    this.windows.delete(token);
    if (ack !== undefined && !ack.duplicate && ack.streamSeq === window.expected && window.generation === this.generation) {
      this.storedByWindow += window.events.length;
      return { kind: 'stored', events: window.events };
    }
    this.unprovenByWindow += window.events.length;
    // From here on nothing counted from the old baseline is proof: later windows already on
    // the wire will not add up either and come back as unproven in turn.
    this.distrust();
    return { kind: 'unproven', events: window.events };
  }

  /** A per-event send went out. */
  sentEach(seq: number): void {
    this.outstanding.add(seq);
  }

  /** A per-event acknowledgement: counts towards trusting windows when the sequences run on. */
  ackedEach(seq: number, streamSeq: number, duplicate: boolean): void {
    this.outstanding.delete(seq);
    if (this.baseline !== undefined) {
      // A per-event send while windows are trusted is a resend; its sequence proves nothing.
      return;
    }
    if (!duplicate && streamSeq === this.lastStreamSeq + 1) this.consecutive++;
    else this.consecutive = duplicate ? 0 : 1;
    this.lastStreamSeq = duplicate ? -1 : streamSeq;
    if (this.consecutive >= this.trustAfter && this.outstanding.size === 0 && this.windows.size === 0) {
      this.baseline = streamSeq;
    }
  }

  /** A per-event send was refused or abandoned: it counts as outstanding no longer. */
  droppedEach(seq: number): void {
    this.outstanding.delete(seq);
    this.distrust();
  }

  private distrust(): void {
    this.generation++;
    this.baseline = undefined;
    this.consecutive = 0;
    this.lastStreamSeq = -1;
  }

  private forgetStale(): void {
    const cutoff = this.now() - this.maxAgeMs;
    for (const [token, window] of this.windows) {
      if (window.openedAt >= cutoff) break;
      this.windows.delete(token);
    }
  }
}
