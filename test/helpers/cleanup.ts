import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * What a test opened (servers, sockets, stores, directories), closed newest first once it is
 * over so nothing outlives its test. Vitest loads modules afresh for each test file, so every
 * file has a list of its own.
 */
const opened: Array<() => Promise<void> | void> = [];

export function track(cleanup: () => Promise<void> | void): void {
  opened.push(cleanup);
}

async function closeAll(onError: (error: unknown) => void): Promise<void> {
  for (const task of opened.splice(0).reverse()) {
    try {
      await task();
    } catch (error) {
      // The rest still close: one failed cleanup must not leave sockets open for the next test.
      onError(error);
    }
  }
}

/** Closes everything, ignoring failures: for suites that tear down processes and servers they may have killed. */
export async function cleanupAll(): Promise<void> {
  await closeAll(() => undefined);
}

/** Closes everything, then fails with the first error: for unit suites, where a cleanup that throws is a bug to see. */
export async function cleanupAllOrThrow(): Promise<void> {
  const errors: unknown[] = [];
  await closeAll((error) => errors.push(error));
  if (errors.length > 0) throw errors[0];
}

/** A fresh directory under the system temp dir, removed with everything else after the test. */
export async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  track(() => rm(dir, { recursive: true, force: true }));
  return dir;
}
