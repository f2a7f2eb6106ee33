import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { StoreError, StoreErrorCodes } from '../errors.js';

const OWNER_FILE = 'owner.pid';

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function openFailed(message: string, cause?: unknown): StoreError {
  return new StoreError(StoreErrorCodes.OPEN_FAILED, message, { cause });
}

/**
 * Claims the store directory for this process. LMDB itself lets several processes open one
 * environment, but this store keeps sequence numbers and counters in memory, so a second proxy
 * on the same directory would silently reuse ids. A file left by a process that no longer runs
 * (after a crash) is taken over. Process ids are only comparable within one host and one pid
 * namespace, so the directory must not be shared across containers.
 * Resolves to the function that releases the claim.
 */
export async function claimDirectory(directory: string): Promise<() => Promise<void>> {
  const file = join(directory, OWNER_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(file, `${process.pid}\n`, { flag: 'wx' });
      return async () => {
        await rm(file, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw openFailed(`cannot claim store directory ${directory}`, error);
      }
    }
    const owner = Number.parseInt(await readFile(file, 'utf8').catch(() => ''), 10);
    if (Number.isSafeInteger(owner) && owner > 0 && isRunning(owner)) {
      const who = owner === process.pid ? 'this process' : `process ${owner}`;
      throw openFailed(`store directory ${directory} is already open in ${who} (see ${OWNER_FILE})`);
    }
    await rm(file, { force: true });
  }
  throw openFailed(`store directory ${directory} is being claimed by another process`);
}
