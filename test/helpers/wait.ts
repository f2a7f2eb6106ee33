export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Polls `check` until it holds; fails with `what` after the timeout. For outcomes that have no
 * event of their own: polling makes a loaded machine slower rather than flaky.
 */
export async function waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 5_000, pollMs = 10): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(pollMs);
  }
}

/** waitFor for the unit suites, polling faster: their states come and go within milliseconds. */
export function eventually(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  return waitFor(condition, 'the condition', timeoutMs, 5);
}
