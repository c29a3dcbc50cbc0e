/** What a partition log and the partition reader share: the JetStream handles and the resolved limits. */
import type { JetStreamClient, JetStreamManager } from 'nats';

export interface LogContext {
  js: JetStreamClient;
  jsm: JetStreamManager;
  stream: string;
  subjectPrefix: string;
  /** Largest payload of one message; bigger frames are cut into parts. */
  maxMessageBytes: number;
  /** Deadline of one publish or read, resends included. */
  appendTimeoutMs: number;
  /** How long one publish waits for its ack before it is resent. */
  attemptTimeoutMs: number;
  /** Deadline of reading a partition (load, or a snapshot's carry-over). */
  loadTimeoutMs: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** How often a write is redone after losing its position to another writer. */
  conflictRetries: number;
}
