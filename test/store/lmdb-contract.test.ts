import { join } from 'node:path';
import { afterAll } from 'vitest';
import { openStore } from '../../src/store/index.js';
import { storeContract } from './contract.js';
import { TempDirs } from './helpers.js';

const dirs = new TempDirs();
afterAll(() => dirs.removeAll());

// A subdirectory that does not exist yet, so every run also covers creating the store directory.
storeContract('LMDB', (options) => openStore({ ...options, path: join(dirs.make('store-contract'), 'data') }));
