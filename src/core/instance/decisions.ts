/**
 * Decisions: what the machine worked out while applying an event, recorded with the event so
 * that replay folds facts instead of deciding again.
 *
 * Live, every decision point runs its computation through `Decisions.decide(kind, compute)`:
 * the value (or the error's message) is appended to the list that is journaled with the event.
 * On replay the same points read the recorded list, in order, and compute nothing — no SEL is
 * evaluated, no runtime looked up, no node setting read. A recorded value of another kind, a
 * list that runs out, or one with values left over means this engine would not have taken the
 * journaled path: a ReplayDivergenceError, which the host reports and never hides.
 *
 * Decision kinds: 'params' (resolved workflow params at start and restart), 'stepParams' (an
 * attempt's resolved params), 'edge' (an edge condition's outcome) — each recorded when working
 * it out evaluated SEL, under the node's limits and clock at the time (`decideIfSel`), and 'loop'
 * (a while step's condition before an iteration); without
 * SEL it is a pure function of recorded facts and replay works it out again, with an expression
 * engine that refuses to be called — and always: 'runtime' (a runtime existed for the step type
 * when the attempt started), 'timeout' (a step or workflow timeout in ms), 'retry' (retry limit
 * and backoff), 'id' (a UUID) — and, only when true: 'breakpoint' (a breakpoint matched the
 * attempt, which paused; see `decideFlag`), 'permitFast' (an instant step skipped the permit
 * manager because none of its tags was saturated; see steps.ts), 'signalWaitOn' / 'signalOutputsOn'
 * (version markers: this engine matches a step's signal dependencies / announces its outputs;
 * journals from before it fold as they did, see signals.ts), 'childCap' (a child's run waits for
 * its permit of the per-depth cap on child instances: depth-cap.ts), 'whileFromStart' (a version
 * marker: a RESTART_FROM_SPECIFIC naming no iteration restarts a while from iteration 1;
 * composite.ts). Recorded when SEL ran: 'signalDeps' /
 * 'signalOutputs' (a step's evaluated signal dependencies / outputs). Everything else the machine computes is a pure function of the
 * journaled events, these decisions and the immutable workflow version (a change to such a
 * function is a journal format change).
 */
import { MaestroError } from '../errors.js';

export type DecisionKind = 'params' | 'stepParams' | 'edge' | 'runtime' | 'timeout' | 'retry' | 'id' | 'loop' | 'breakpoint' | 'permitFast' | 'permitLocal' | 'signalDeps' | 'signalOutputs' | 'signalWaitOn' | 'signalOutputsOn' | 'firstTz' | 'childCap' | 'whileFromStart';
/** `[kind, value]`, or `[kind, null, message]` when the computation threw. */
export type Decision = [DecisionKind, unknown] | [DecisionKind, null, string];

/** Replay met a journaled event this engine cannot fold (see the module comment). */
export class ReplayDivergenceError extends MaestroError {
  override name = 'ReplayDivergenceError';
  constructor(message: string) {
    super('internal', message, { retryable: false });
  }
}

/** Replay reached SEL: the computation stops and its recorded outcome is read instead. */
export class SelOnReplay extends Error {
  override name = 'SelOnReplay';
  constructor(source: string) {
    super(`replay does not evaluate SEL (${JSON.stringify(source.slice(0, 80))}); it reads the recorded outcome`);
  }
}

/** A computation that threw when the event was applied live, rethrown on replay with its message. */
export class RecordedFailure extends Error {
  override name = 'RecordedFailure';
}

export class Decisions {
  /** Live: the decisions made so far. Replay: the recorded ones. */
  readonly list: Decision[];
  private at = 0;
  /** Sticky: machine code that catches errors (to fail a step) must not hide a divergence. */
  private diverged: ReplayDivergenceError | undefined;

  constructor(readonly replaying: boolean, recorded?: readonly Decision[]) {
    this.list = recorded ? (recorded as Decision[]) : [];
  }

  decide<T>(kind: DecisionKind, compute: () => T): T {
    if (this.replaying) return this.recorded<T>(kind);
    let value: T;
    try {
      value = compute();
    } catch (e) {
      this.list.push([kind, null, e instanceof Error ? e.message : String(e)]);
      throw e;
    }
    this.list.push([kind, value]);
    return value;
  }

  /**
   * A decision recorded only when `compute` evaluated SEL (`sel.selEvaluations` moved): without
   * SEL it is a pure function of recorded facts. On replay `compute` runs again with SEL
   * refused; if it reached SEL (the count moved: the refusing engine counts too) its
   * outcome is discarded and the recorded decision is read instead.
   */
  decideIfSel<T>(kind: DecisionKind, compute: () => T, sel: { readonly selEvaluations: number }): T {
    const before = sel.selEvaluations;
    let value: T;
    try {
      value = compute();
    } catch (e) {
      if (sel.selEvaluations === before) throw e;
      if (this.replaying) return this.recorded<T>(kind);
      this.list.push([kind, null, e instanceof Error ? e.message : String(e)]);
      throw e;
    }
    if (sel.selEvaluations === before) return value;
    if (this.replaying) return this.recorded<T>(kind);
    this.list.push([kind, value]);
    return value;
  }


  /**
   * A yes/no decision recorded only when it is yes (so histories from before the point existed
   * fold unchanged). On replay it is yes exactly when the next recorded decision is of `kind`:
   * no other point records that kind, so the peek cannot mistake another point's decision.
   */
  decideFlag(kind: DecisionKind, compute: () => boolean): boolean {
    if (this.replaying) {
      if (this.diverged) throw this.diverged;
      if (this.list[this.at]?.[0] !== kind) return false;
      return this.recorded<boolean>(kind) === true;
    }
    if (!compute()) return false;
    this.list.push([kind, true]);
    return true;
  }

  /** Replay asked for something only a live run may do: the replay cannot go on (sticky). */
  diverge(message: string): never {
    throw (this.diverged ??= new ReplayDivergenceError(message));
  }

  /** Replay: every recorded decision must have been read. */
  checkConsumed(): void {
    if (this.diverged) throw this.diverged;
    if (this.replaying && this.at !== this.list.length) {
      throw new ReplayDivergenceError(`${this.list.length - this.at} recorded decision(s) left unread (next: ${this.list[this.at]![0]})`);
    }
  }

  private recorded<T>(kind: DecisionKind): T {
    if (this.diverged) throw this.diverged;
    const d = this.list[this.at];
    if (d === undefined) throw (this.diverged = new ReplayDivergenceError(`no recorded decision for '${kind}' (only ${this.list.length} recorded)`));
    if (d[0] !== kind) {
      throw (this.diverged = new ReplayDivergenceError(`expected a '${kind}' decision at position ${this.at}, the journal has '${d[0]}'`));
    }
    this.at++;
    if (d.length === 3) throw new RecordedFailure(d[2]);
    return d[1] as T;
  }
}
