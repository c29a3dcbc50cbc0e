import { MaestroError } from '../../core/errors.js';

/** JetStream did not confirm a write or answer a read before the deadline; the outcome of a write is unknown. */
export class JournalUnavailableError extends MaestroError {
  override name = 'JournalUnavailableError';
  constructor(what: string, options?: { cause?: unknown }) {
    super('unavailable', `${what}: ${messageOf(options?.cause)}`, { ...options, retryable: true });
  }
}

/**
 * A message on a journal subject that is not a well-formed frame: loading its partition fails
 * (nothing is skipped) until an operator repairs or removes the message named here.
 */
export class JournalCorruptError extends MaestroError {
  override name = 'JournalCorruptError';
  /** The partition (the subject's last token), or NaN for a subject of another form. */
  readonly partition: number;
  readonly seq: number;
  constructor(subject: string, seq: number, problem: string, options?: { cause?: unknown }) {
    const partition = Number(subject.slice(subject.lastIndexOf('.') + 1));
    super('internal', `journal of partition ${partition}: message ${subject}#${seq}: ${problem}`, { ...options, retryable: false });
    this.partition = partition;
    this.seq = seq;
  }
}

function messageOf(e: unknown): string {
  if (e === undefined) return 'no answer';
  return e instanceof Error ? e.message : String(e);
}

/** The journal was closed; its writes and reads are over. */
export class JournalClosedError extends MaestroError {
  override name = 'JournalClosedError';
  constructor() {
    super('unavailable', 'the JetStream journal is closed', { retryable: false });
  }
}
