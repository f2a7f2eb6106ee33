import { get } from 'node:http';
import type { Labels } from './labels.js';
import { parsePrometheusText, PromTextError, samplesOf } from './prom-text.js';
import type { SampleStore } from './sample-store.js';

/** One scrape as taken: the exposition text, or why there was none. */
export type Scrape = { t: number; text: string } | { t: number; error: string };

export const ScrapeErrorCodes = { HTTP_STATUS: 'HTTP_STATUS', NETWORK: 'NETWORK', TIMEOUT: 'TIMEOUT', TOO_LARGE: 'TOO_LARGE' } as const;
export type ScrapeErrorCode = (typeof ScrapeErrorCodes)[keyof typeof ScrapeErrorCodes];

export class ScrapeError extends Error {
  readonly code: ScrapeErrorCode;
  constructor(code: ScrapeErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ScrapeError';
    this.code = code;
  }
}

/** GET an http:// /metrics URL and return its body; ScrapeError on any failure. */
export function fetchMetrics(url: string, timeoutMs = 5_000, maxBytes = 32 * 1024 * 1024): Promise<string> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (error: ScrapeError): void => {
      if (settled) return;
      settled = true;
      reject(error);
      req.destroy();
    };
    const network = (error: Error): void => fail(new ScrapeError('NETWORK', `GET ${url}: ${error.message}`, { cause: error }));
    const req = get(url, { timeout: timeoutMs, headers: { accept: 'text/plain;version=0.0.4' } }, (res) => {
      res.on('error', network);
      if (res.statusCode !== 200) {
        fail(new ScrapeError('HTTP_STATUS', `GET ${url} answered ${res.statusCode}`));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBytes) fail(new ScrapeError('TOO_LARGE', `GET ${url} answered more than ${maxBytes} bytes`));
        else chunks.push(chunk);
      });
      res.on('end', () => {
        if (settled) return;
        settled = true;
        resolve(Buffer.concat(chunks).toString('utf8'));
      });
    });
    req.on('timeout', () => fail(new ScrapeError('TIMEOUT', `GET ${url} took longer than ${timeoutMs} ms`)));
    req.on('error', network);
  });
}

/**
 * Scrapes `url` every `intervalMs` on a fixed schedule, as Prometheus does: a slow scrape makes
 * the loop skip ticks rather than pile requests up.
 */
export class Scraper {
  private readonly taken: Scrape[] = [];
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private running = false;
  private origin = 0;
  private waiters: { count: number; resolve: () => void }[] = [];

  constructor(
    private readonly url: string,
    private readonly intervalMs: number,
    private readonly timeoutMs = Math.max(1_000, intervalMs),
  ) {}

  get scrapes(): readonly Scrape[] {
    return this.taken;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.origin = Date.now();
    this.tick();
  }

  /** Resolves once `count` more scrapes have been taken (or the scraper stops). */
  waitForScrapes(count: number): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count: this.taken.length + count, resolve }));
  }

  /** Stops scheduling and waits for a scrape in progress. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer !== undefined) clearTimeout(this.timer);
    await this.inFlight;
    for (const w of this.waiters) w.resolve();
    this.waiters = [];
  }

  private tick(): void {
    if (!this.running) return;
    const t = Date.now();
    this.inFlight = fetchMetrics(this.url, this.timeoutMs).then(
      (text) => this.record({ t, text }),
      (error: unknown) => this.record({ t, error: error instanceof Error ? error.message : String(error) }),
    );
    void this.inFlight.then(() => {
      if (!this.running) return;
      const elapsed = Date.now() - this.origin;
      const next = (Math.floor(elapsed / this.intervalMs) + 1) * this.intervalMs;
      this.timer = setTimeout(() => this.tick(), next - elapsed);
    });
  }

  private record(scrape: Scrape): void {
    this.taken.push(scrape);
    this.waiters = this.waiters.filter((w) => {
      if (this.taken.length < w.count) return true;
      w.resolve();
      return false;
    });
  }
}

export interface StoreResult {
  /** Scrapes that failed or whose text could not be parsed; Prometheus stores neither. */
  failed: { t: number; error: string }[];
}

/** Puts the scrapes into the store, each sample labelled with the scrape target's labels. */
export function storeScrapes(store: SampleStore, scrapes: readonly Scrape[], target: Labels): StoreResult {
  const failed: StoreResult['failed'] = [];
  for (const scrape of scrapes) {
    if ('error' in scrape) {
      store.appendFailedScrape(scrape.t);
      failed.push(scrape);
      continue;
    }
    try {
      store.appendScrape(scrape.t, samplesOf(parsePrometheusText(scrape.text)), target);
    } catch (error) {
      if (!(error instanceof PromTextError)) throw error;
      store.appendFailedScrape(scrape.t);
      failed.push({ t: scrape.t, error: error.message });
    }
  }
  return { failed };
}
