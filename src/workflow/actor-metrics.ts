/**
 * What one instance actor reports to the node's metrics (EngineMetrics):
 *
 * - Step launch latency: a step created by a batch that applied a predecessor's end (a step
 *   result, a child's end or failure) is timed from that batch's start until it is dispatched —
 *   possibly in a later batch: the machine's work, journal appends, the wait for its tag
 *   permits, the dispatch itself. Steps run inline (NoOp) count as dispatched. A step that
 *   waits for signals or stops at a breakpoint is not timed (that wait is the user's).
 * - Start overhead: from the start of the batch that created the instance (or released a run
 *   its run strategy held) to its first dispatch, once per run. Time spent before the owner
 *   took the Start (the queue owner's hop, a run strategy holding the run) is not in it; a run
 *   one of whose first steps waits for signals or stops at a breakpoint is not timed.
 * - Step ends by type and status, and permit waits, come from the machine's `onStepStatus`
 *   hook; they are buffered and reported only once their batch is durable (an event the machine
 *   refused, or a batch the journal refused, reports nothing).
 *
 * The hook is installed on the actor's own context after recovery replayed it, so replays never
 * count. Times are from the monotonic clock (`performance.now()`), except permit waits, which
 * are event times (the engine's clock, as the journal records them).
 */
import type { EngineMetrics } from '../log/metrics.js';
import type { InstanceCommand, InstanceEvent, MachineContext } from '../core/instance/index.js';
import { isStepTerminal, type StepStatus } from '../core/status.js';

/** What a batch's dispatches follow: nothing measured, a predecessor's end, or the instance's creation. */
type Cause = 'none' | 'predecessor-ended' | 'created';

/** Statuses of a step on its way to dispatch (its first status after creation is one of them). */
const LAUNCH_STATUSES: ReadonlySet<StepStatus> = new Set(['CREATED', 'INITIALIZED', 'EVALUATING_PARAMS', 'WAITING_FOR_PERMITS', 'STARTING']);

export class ActorMetrics {
  private t0 = 0;
  private cause: Cause = 'none';
  /** Steps being launched after a predecessor ended -> the start of that batch (performance.now()). */
  private launching: Map<string, number> | undefined;
  /** The start of the batch that started this run, until its first dispatch. */
  private startT0: number | undefined;
  /** Launch start times of the steps dispatched inline in this batch (-1: not timed); taken when dispatched, as the step ends in the same batch. */
  private readonly inline: number[] = [];
  /** (step id, terminal status) pairs of this batch, flat. */
  private readonly ends: string[] = [];
  /** Permit waits (seconds) that ended in this batch. */
  private readonly waits: number[] = [];
  private waitsMark = 0;
  /** Steps waiting for permits -> since when (event time, ms). */
  private permitSince: Map<string, number> | undefined;

  constructor(
    private readonly m: EngineMetrics,
    private readonly ctx: MachineContext,
  ) {
    const prev = ctx.onStepStatus;
    ctx.onStepStatus = prev
      ? (id, status, atMs) => {
          prev(id, status, atMs);
          this.status(id, status, atMs);
        }
      : (id, status, atMs) => this.status(id, status, atMs);
  }

  batchStarted(): void {
    this.t0 = performance.now();
    this.cause = 'none';
    this.inline.length = 0;
  }

  /** Before applying one event: where to roll back to if the machine refuses it. */
  mark(): number {
    this.waitsMark = this.waits.length;
    return this.ends.length;
  }

  rollback(mark: number): void {
    this.ends.length = mark;
    this.waits.length = this.waitsMark;
  }

  applying(ev: InstanceEvent): void {
    if (ev.t === 'started' || ev.t === 'run') {
      this.cause = 'created';
      this.startT0 = this.t0;
    } else if (this.cause === 'none' && (ev.t === 'result' || ev.t === 'child-ended' || ev.t === 'child-failed')) this.cause = 'predecessor-ended';
  }

  /** A step of this batch ran inline (its result applied in the same batch). */
  inlineDispatched(stepId: string): void {
    const t0 = this.launching?.get(stepId);
    if (t0 !== undefined) this.launching!.delete(stepId);
    this.inline.push(t0 ?? -1);
    this.cause = 'predecessor-ended'; // its result is applied next: the steps it lets run are launches
  }

  /** The batch is durable and its commands were run. */
  durable(commands: readonly InstanceCommand[]): void {
    let now: number | undefined;
    for (const c of commands) if (c.c === 'dispatch') now = this.dispatched(this.launching?.get(c.task.stepId), c.task.stepId, now);
    for (const t0 of this.inline) now = this.dispatched(t0 < 0 ? undefined : t0, undefined, now);
    for (let i = 0; i < this.ends.length; i += 2) this.m.stepEnded(this.typeOf(this.ends[i]!), this.ends[i + 1]!);
    for (const w of this.waits) this.m.permitWait(w);
    this.discard();
  }

  /** Nothing of the batch became durable. */
  discard(): void {
    this.ends.length = 0;
    this.waits.length = 0;
  }

  /** Observes a dispatch (of `stepId`, timed from `t0`); returns the clock reading it used (one per batch). */
  private dispatched(t0: number | undefined, stepId: string | undefined, now: number | undefined): number | undefined {
    if (this.startT0 !== undefined) {
      now ??= performance.now();
      this.m.startOverhead((now - this.startT0) / 1000);
      this.startT0 = undefined;
    }
    if (t0 === undefined) return now;
    if (stepId !== undefined) this.launching!.delete(stepId);
    now ??= performance.now();
    this.m.stepLaunch((now - t0) / 1000);
    return now;
  }

  private status(id: string, status: StepStatus, atMs: number): void {
    if (isStepTerminal(status)) {
      this.ends.push(id, status);
      this.launching?.delete(id);
    } else if (status === 'WAITING_FOR_SIGNALS' || status === 'PAUSED') {
      this.launching?.delete(id);
      this.startT0 = undefined; // the user's wait: the run's start is not timed
    }
    else if (this.cause === 'predecessor-ended' && LAUNCH_STATUSES.has(status) && !this.launching?.has(id)) (this.launching ??= new Map()).set(id, this.t0);
    if (status === 'WAITING_FOR_PERMITS') {
      (this.permitSince ??= new Map()).set(id, atMs);
      return;
    }
    const since = this.permitSince?.get(id);
    if (since === undefined) return;
    this.permitSince!.delete(id);
    this.waits.push(Math.max(0, atMs - since) / 1000);
  }

  /** A typed step's type as written ("NoOp", "Shell", a worker type); otherwise its kind ("foreach", "subworkflow"...). */
  private typeOf(stepId: string): string {
    const step = this.ctx.def.steps.get(stepId)?.step;
    if (!step) return 'unknown';
    return step.kind === 'step' ? step.type : step.kind;
  }
}
