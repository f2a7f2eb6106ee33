import { decodePdu, encodePdu } from '../smpp/index.js';
import { submitSmPdu } from '../sim/pdus.js';
import { ROUNDS_DEFAULTS, interleavedRounds, type RoundsOptions, type Throughput } from './measure.js';
import type { BenchReport, BenchScenario } from './report.js';

/** The npm smpp package's PDU class: decodes a Buffer in its constructor, encodes with toBuffer(). */
type PeerPduClass = new (buffer: Buffer) => { toBuffer(): Buffer };

export interface CodecBenchResult {
  /** Size of the submit_sm measured. */
  pduBytes: number;
  ours: Throughput;
  /** undefined when the smpp package could not be loaded (see theirsUnavailable). */
  theirs: Throughput | undefined;
  theirsUnavailable: string | undefined;
  /** ours / theirs, medians; undefined without theirs. */
  ratio: number | undefined;
  /** Whether decode then encode gave back the very same bytes. */
  exact: { ours: boolean; theirs: boolean | undefined };
}

/** A submit_sm as an application sends one: alphanumeric sender, international number, receipt requested. */
export function typicalSubmitSm(): Buffer {
  return encodePdu(
    submitSmPdu({ short_message: Buffer.from('Your verification code is 482913. It expires in 10 minutes.', 'latin1') }, { sequence: 42 }),
  );
}

/**
 * Loads the smpp package at run time: it is a devDependency, so an installation without them
 * reports "not installed" instead of failing to start the benchmark.
 */
export async function loadPeerPduClass(): Promise<PeerPduClass | string> {
  const specifier = 'smpp';
  try {
    const module = (await import(specifier)) as { default?: { PDU?: unknown }; PDU?: unknown };
    const PDU = module.default?.PDU ?? module.PDU;
    return typeof PDU === 'function' ? (PDU as PeerPduClass) : 'installed, but it has no PDU class';
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND' ? 'not installed' : `cannot be loaded: ${(error as Error).message}`;
  }
}

/**
 * Decode + encode of one typical submit_sm per operation, with our codec and with the smpp
 * package's PDU class, in interleaved rounds of the same run.
 */
export async function benchCodec(options: Partial<RoundsOptions> = {}): Promise<CodecBenchResult> {
  const rounds: RoundsOptions = { ...ROUNDS_DEFAULTS, ...options };
  const frame = typicalSubmitSm();
  const Peer = await loadPeerPduClass();
  // Results land here so the work cannot be optimised away.
  let sink = 0;
  const ours = (): void => {
    const decoded = decodePdu(frame);
    if (!decoded.ok) throw decoded.error;
    sink += encodePdu(decoded.pdu).length;
  };
  const ops: Record<string, () => void> = { ours };
  let exactTheirs: boolean | undefined;
  if (typeof Peer !== 'string') {
    ops['theirs'] = () => {
      sink += new Peer(frame).toBuffer().length;
    };
    exactTheirs = new Peer(frame).toBuffer().equals(frame);
  }
  const decoded = decodePdu(frame);
  const exactOurs = decoded.ok && encodePdu(decoded.pdu).equals(frame);
  const measured = interleavedRounds(ops, rounds);
  if (sink === 0) throw new Error('benchmark produced no output');
  const theirs = measured['theirs'];
  return {
    pduBytes: frame.length,
    ours: measured['ours']!,
    theirs,
    theirsUnavailable: typeof Peer === 'string' ? Peer : undefined,
    ratio: theirs === undefined ? undefined : measured['ours']!.median / theirs.median,
    exact: { ours: exactOurs, theirs: exactTheirs },
  };
}

const CODEC_TITLE = 'decode + encode of a typical submit_sm, our codec against the npm smpp package';

export const codecScenario: BenchScenario = {
  name: 'codec',
  title: CODEC_TITLE,
  async run({ quick }): Promise<BenchReport> {
    const r = await benchCodec(quick ? { rounds: 3, roundMs: 50, warmupMs: 50 } : {});
    const unavailable = r.theirsUnavailable === undefined ? undefined : `smpp package ${r.theirsUnavailable}`;
    return {
      scenario: 'codec',
      title: CODEC_TITLE,
      metrics: [
        { name: 'ours', value: r.ours.median, unit: 'PDU/s' },
        { name: 'smpp package', value: r.theirs?.median ?? null, unit: 'PDU/s', ...(unavailable ? { note: unavailable } : {}) },
        { name: 'ratio ours/theirs', value: r.ratio ?? null, unit: 'x', note: 'target >= 10x' },
      ],
      notes: [
        `${r.pduBytes}-octet submit_sm, one decode and one encode per operation, median of ${quick ? 3 : ROUNDS_DEFAULTS.rounds} interleaved rounds on one core`,
        `re-encoded bytes identical to the input: ours ${r.exact.ours ? 'yes' : 'NO'}, smpp package ${r.exact.theirs === undefined ? 'n/a' : r.exact.theirs ? 'yes' : 'no'}`,
      ],
    };
  },
};
