import { MemoryJournal } from '../../src/journal/memory/memory-journal.js';
import { journalContract } from './journal-contract.js';

journalContract('MemoryJournal', async () => ({ journal: new MemoryJournal(), cleanup: async () => {} }));
