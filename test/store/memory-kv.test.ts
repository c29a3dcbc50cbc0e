import { MemoryKv } from '../../src/store/memory/memory-kv.js';
import { kvContract } from './kv-contract.js';

kvContract('MemoryKv', async () => ({ kv: new MemoryKv(), cleanup: async () => {} }));
