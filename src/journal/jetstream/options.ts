/** JetStreamJournal's options: every default in `jetStreamJournalDefaults`. */
import { MaestroError } from '../../core/errors.js';
import type { Logger } from '../../log/logger.js';
import { JOURNAL_PREFIX, JOURNAL_STREAM } from '../../nats/subjects.js';

export interface JetStreamJournalOptions {
  stream?: string;
  subjectPrefix?: string;
  /** Stream replicas for a new stream: 1 on a single server, 3 recommended on a 3-server cluster. */
  replicas?: number;
  /** Largest message payload; default the server's max_payload less 4 KiB for headers. */
  maxMessageBytes?: number;
  /** Deadline of one publish or read, resends included. */
  appendTimeoutMs?: number;
  /** How long one publish waits for its ack before it is resent. */
  attemptTimeoutMs?: number;
  /** Deadline of reading a partition in `load` (and a snapshot's carry-over). */
  loadTimeoutMs?: number;
  /** JetStream's duplicate window for a new stream; must exceed `appendTimeoutMs`. */
  duplicateWindowMs?: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** How often a write is redone after losing its position to another writer. */
  conflictRetries?: number;
  /** Most calls merged into one write (GroupCommitter). */
  maxBatch?: number;
  /** `close` waits this long for writes in flight, then as long to drain the connection. */
  closeTimeoutMs?: number;
  /** Module 'journal' is bound. */
  log?: Logger;
}

export type ResolvedJournalOptions = Required<Omit<JetStreamJournalOptions, 'maxMessageBytes' | 'log'>> & Pick<JetStreamJournalOptions, 'maxMessageBytes' | 'log'>;

export function jetStreamJournalDefaults(opts: JetStreamJournalOptions = {}): ResolvedJournalOptions {
  const resolved = {
    stream: JOURNAL_STREAM,
    subjectPrefix: JOURNAL_PREFIX,
    replicas: 1,
    appendTimeoutMs: 15_000,
    attemptTimeoutMs: 2_000,
    loadTimeoutMs: 60_000,
    duplicateWindowMs: 120_000,
    retryBaseMs: 10,
    retryMaxMs: 500,
    conflictRetries: 10,
    maxBatch: 1024,
    closeTimeoutMs: 5_000,
    ...opts,
  };
  if (resolved.duplicateWindowMs <= resolved.appendTimeoutMs) {
    throw new MaestroError('invalid_argument', `duplicateWindowMs (${resolved.duplicateWindowMs}) must exceed appendTimeoutMs (${resolved.appendTimeoutMs})`);
  }
  if (![1, 3, 5].includes(resolved.replicas)) {
    throw new MaestroError('invalid_argument', `replicas must be 1, 3 or 5, got ${resolved.replicas}`);
  }
  return resolved;
}
