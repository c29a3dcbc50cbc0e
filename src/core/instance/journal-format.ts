/**
 * How an instance's history is written to the journal, and how it is read back.
 *
 * Format 2 (written now): each record's event is `{ v: 2, e: event, d: decisions }` and each
 * snapshot's state `{ v: 2, s: state }`. Replay folds the recorded decisions (decisions.ts):
 * it evaluates no SEL, reads no clock and asks the node nothing.
 * Format 1 (read only): a record's event is the bare event, a snapshot the bare state; replay
 * decides again, as that format's engine did, with its seeded ids (`legacyIds`).
 *
 * Every format change ships with a reader for the previous format and a committed fixture
 * that proves it (test/fixtures/journal-v1). A journal newer than this node reads is refused
 * with a JournalFormatError that names both formats: nothing is guessed.
 */
import { MaestroError } from '../errors.js';
import { isPlainObject } from '../params/coerce.js';
import type { Decision } from './decisions.js';
import type { InstanceEvent } from './events.js';
import type { InstanceState } from './state.js';

export const JOURNAL_FORMAT = 2;
export const OLDEST_READABLE_FORMAT = 1;

export interface RecordedEvent {
  format: number;
  event: InstanceEvent;
  /** Absent for format 1: replay decides again. */
  decisions?: Decision[];
}

/** A journal this node cannot read (written by a newer engine, or not an instance record). */
export class JournalFormatError extends MaestroError {
  override name = 'JournalFormatError';
  constructor(message: string) {
    super('failed_precondition', message, { retryable: false });
  }
}

export function encodeRecordEvent(event: InstanceEvent, decisions: Decision[]): unknown {
  return { v: JOURNAL_FORMAT, e: event, d: decisions };
}

export function encodeSnapshotState(state: InstanceState): unknown {
  return { v: JOURNAL_FORMAT, s: state };
}

/** `where` names the record in errors (e.g. "partition 3, wf/7 seq 12"). */
export function decodeRecordEvent(raw: unknown, where: string): RecordedEvent {
  if (!isPlainObject(raw)) throw new JournalFormatError(`${where}: not an instance record`);
  if (typeof raw['t'] === 'string') return { format: 1, event: raw as unknown as InstanceEvent };
  const v = checkFormat(raw['v'], where);
  if (!isPlainObject(raw['e']) || typeof raw['e']['t'] !== 'string' || !Array.isArray(raw['d'])) {
    throw new JournalFormatError(`${where}: a format-${v} record without its event or decisions`);
  }
  return { format: v, event: raw['e'] as unknown as InstanceEvent, decisions: raw['d'] as Decision[] };
}

export function decodeSnapshotState(raw: unknown, where: string): InstanceState {
  if (!isPlainObject(raw)) throw new JournalFormatError(`${where}: not an instance snapshot`);
  if (typeof raw['workflowId'] === 'string') return raw as unknown as InstanceState; // format 1
  checkFormat(raw['v'], where);
  if (!isPlainObject(raw['s'])) throw new JournalFormatError(`${where}: a snapshot without its state`);
  return raw['s'] as unknown as InstanceState;
}

function checkFormat(v: unknown, where: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < OLDEST_READABLE_FORMAT) {
    throw new JournalFormatError(`${where}: unknown journal format ${JSON.stringify(v)}`);
  }
  if (v > JOURNAL_FORMAT) {
    throw new JournalFormatError(
      `${where}: journal format ${v} is newer than this node reads (formats ${OLDEST_READABLE_FORMAT}–${JOURNAL_FORMAT}); upgrade this node to read it`,
    );
  }
  return v;
}
