/**
 * Recovery of one instance: its snapshot (if any) and the records after it, folded into state.
 *
 * A pure fold: format-2 records are applied with their recorded decisions through a context
 * whose expression engine and runtime lookup refuse to be called (`replayContext`), so replay
 * cannot depend on the replaying node's runtimes, SEL limits, config or clock. Format-1 records
 * (see journal-format.ts) are decided again with `legacy`, as their engine did.
 *
 * A record that cannot be folded is never skipped: the result carries the error, the record's
 * seq and the state as of the last record that folded, and the caller holds the instance
 * read-only with the reason (partition-host.ts).
 */
import { MaestroError } from '../errors.js';
import type { ExpressionEngine } from '../expr-port.js';
import type { InstanceState } from './state.js';
import type { MachineContext } from './transition.js';
import { applyEvent } from './machine.js';
import { JournalFormatError, decodeRecordEvent, decodeSnapshotState } from './journal-format.js';
import { ReplayDivergenceError } from './decisions.js';

export interface ReplayInput {
  instanceKey: string;
  snapshot?: { seq: number; state: unknown };
  records: ReadonlyArray<{ seq: number; event: unknown }>;
}

export interface ReplayResult {
  state: InstanceState | undefined;
  /** The first record that could not be folded, and why. */
  failure?: { seq: number; error: Error };
}

/** `live`: the node's context; used as is only for format-1 records (with legacy ids). */
export function replayInstance(input: ReplayInput, live: MachineContext, where: string): ReplayResult {
  const replay = replayContext(live);
  const legacy: MachineContext = { ...live, emitChanges: false, legacyIds: true };
  let state = input.snapshot ? decodeSnapshotState(input.snapshot.state, `${where}, snapshot of ${input.instanceKey}`) : undefined;
  for (const r of input.records) {
    try {
      const rec = decodeRecordEvent(r.event, `${where}, ${input.instanceKey} seq ${r.seq}`);
      state = rec.decisions ? applyEvent(state, rec.event, r.seq, replay, rec.decisions).state : applyEvent(state, rec.event, r.seq, legacy).state;
    } catch (e) {
      if (e instanceof JournalFormatError) throw e; // the whole journal is unreadable here, not this instance
      return { state, failure: { seq: r.seq, error: e as Error } };
    }
  }
  return { state };
}

/** The live context with everything replay must not ask for turned into a loud error. */
export function replayContext(live: MachineContext): MachineContext {
  return { def: live.def, engine: NO_EXPRESSIONS, hasRuntime: noRuntimeLookup, uuid: noIdDerivation, emitChanges: false };
}

const NO_EXPRESSIONS: ExpressionEngine = {
  compile: refuse('compile an expression'),
  evaluate: refuse('evaluate an expression'),
};

function noRuntimeLookup(type: string): boolean {
  throw new ReplayDivergenceError(`replay asked whether a runtime for ${type} exists; it must read the recorded verdict`);
}

function noIdDerivation(): string {
  throw new ReplayDivergenceError('replay tried to derive an id; it must read the recorded one');
}

function refuse(what: string): () => never {
  return () => {
    throw new ReplayDivergenceError(`replay tried to ${what}; it must read the recorded decision`);
  };
}

/** For messages: a replay failure as one line. */
export function describeReplayFailure(key: string, f: { seq: number; error: Error }): string {
  const kind = f.error instanceof MaestroError ? f.error.name : f.error.name || 'Error';
  return `replay of ${key} stopped at seq ${f.seq}: ${kind}: ${f.error.message}`;
}
