import { openMemoryStore } from '../../src/store/index.js';
import { storeContract } from './contract.js';

storeContract('in-memory', async (options) => openMemoryStore(options));
