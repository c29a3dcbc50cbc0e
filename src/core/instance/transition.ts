/**
 * One application of an event to an instance: a copy-on-write working set over the previous
 * state plus the commands it produces. The previous state is never mutated, so
 * `applyEvent(state, event)` stays a pure function even though the code below reads
 * imperatively. Steps are cloned the first time they change in a transition.
 */
import type { Parsable, Step } from '../definition/model.js';
import type { EvalScope, ExpressionEngine, TypedValue } from '../expr-port.js';
import type { CompiledWorkflow } from './compiled.js';
import type { InstanceCommand } from './commands.js';
import type { AttemptState, InstanceState, StepState, TimerKind } from './state.js';
import { isStepRunning, isStepTerminal, isWorkflowTerminal, type StepStatus, type WorkflowStatus } from '../status.js';
import { seededRandom, uuidFrom } from './random.js';
import { Decisions, SelOnReplay, type Decision, type DecisionKind } from './decisions.js';
import { makeScope, resolveParsable, toPlain, type EvalEnv, type ParamExtensions, type SystemContext } from '../params/index.js';
import type { StepTask } from '../step-runtime.js';
import { parseDurationMs } from '../definition/index.js';
import { ValidationError } from '../errors.js';
import { DEFAULT_STEP_CONCURRENCY, type PermitTag } from '../permits/model.js';
import { pendingWaits } from './signal-waits.js';

export const DEFAULT_INSTANCE_STEP_CONCURRENCY = 100;

export interface MachineContext {
  def: CompiledWorkflow;
  engine: ExpressionEngine;
  /** Whether some executor in the deployment has a runtime for this step type (lower-case). */
  hasRuntime(stepType: string): boolean;
  /**
   * False when nobody observes this instance's changes: `changed` commands are then not built.
   * It affects only commands, never state, so replay is unaffected.
   */
  emitChanges?: boolean;
  /** Observes every step status change as it happens (tests, tracing); nothing of it is stored. */
  onStepStatus?(stepId: string, status: StepStatus, atMs: number): void;
  /**
   * Format-1 journals recorded no decisions: their replay decides again, with that format's
   * seeded ids (see journal-format.ts). Never set for live instances.
   */
  legacyIds?: boolean;
  /**
   * A new UUID for id number `n` of event `seq` of instance `key` (the node passes random
   * version-4 UUIDs: workflow/ids.ts; tests may derive them). Ids are recorded as decisions, so
   * replay never asks. Without it ids come from the seeded random stream, as format 1 made them.
   */
  uuid?(key: string, seq: number, n: number): string;
  /**
   * Whether a breakpoint is set on (workflow, step), from a cache the node keeps current
   * (workflow/breakpoints.ts). Asked when an attempt reaches INITIALIZED; the answer is a
   * recorded decision ('breakpoint'), so replay never asks. Absent: no breakpoints.
   */
  breakpoint?(workflowId: string, stepId: string): boolean;
  /**
   * Tag permits' fast path: whether a step of `stepType` may skip the permit manager with these
   * tags — its runtime is instant (it holds a permit for no time) and the node knows none of the
   * tags saturated (workflow/permit-cache.ts). The answer is a recorded decision ('permitFast').
   * Absent: never.
   */
  permitFastPath?(stepType: string, tags: readonly PermitTag[]): boolean;
  /**
   * Whether the node knows tag `tag` saturated (or knows nothing yet): an instance-local tag
   * takes the manager path then (steps.ts instanceLocalTags; a recorded decision 'permitLocal').
   */
  permitTagHot?(tag: string): boolean;
  /**
   * The per-depth cap on child instances is on (node config `childInstanceCap`, with tag
   * permits): asked when a child's run begins; the answer is a recorded decision ('childCap',
   * depth-cap.ts). Absent: off.
   */
  childInstanceCap?: boolean;
}

export class Transition implements ExpressionEngine {
  readonly s: InstanceState;
  readonly commands: InstanceCommand[] = [];
  /** Steps already copied in this transition (few: an array beats a Set here). */
  private readonly cloned: string[] = [];
  /** Steps whose status changed (kept only when changes are emitted). */
  private changedSteps: Set<string> | undefined;
  private timersOwned = false;
  /** Steps whose readiness may have changed since `takeDirty` last ran (see advance). */
  private dirty: Set<string> | undefined;
  /** A step left a running status, so steps waiting for permits may go. */
  private permitFreed = false;
  /** Running steps (STARTING, RUNNING, FINISHING), counted on first use and kept up to date. */
  private running: number | undefined;
  /** Some step reached a terminal status in this transition (completion may follow). */
  anyTerminal = false;
  private workflowChanged = false;
  private randomFn: (() => number) | undefined;
  private readonly decisions: Decisions;
  private ids = 0;
  /** Nested objects already copied in this transition (composite step state: composite.ts). */
  private ownedObjects: Set<object> | undefined;
  /** SEL evaluations so far (this transition is the machine's ExpressionEngine: see evaluate). */
  selEvaluations = 0;
  /** decideIfSel computations in progress (SEL is recordable only inside one). */
  private selScopes = 0;
  private readonly replaying: boolean;

  /** `recorded`: replay, folding these decisions instead of making them (see decisions.ts). */
  constructor(
    prev: InstanceState,
    readonly atMs: number,
    readonly seq: number,
    readonly ctx: MachineContext,
    recorded?: readonly Decision[],
  ) {
    this.s = cloneInstance(prev, seq);
    this.replaying = recorded !== undefined;
    this.decisions = new Decisions(this.replaying, recorded);
  }

  /** SEL as the machine sees it (ExpressionEngine): counted live (see decideIfSel); refused on replay. */
  compile(source: string): unknown {
    return this.ctx.engine.compile(source);
  }

  evaluate(source: string, scope: EvalScope): unknown {
    this.selEvaluations++;
    if (!this.replaying) return this.ctx.engine.evaluate(source, scope);
    if (this.selScopes === 0) this.decisions.diverge(`replay reached SEL (${JSON.stringify(source.slice(0, 80))}) outside any recorded decision`);
    throw new SelOnReplay(source); // decideIfSel reads the recorded outcome instead
  }

  /** A decision recorded only when working it out evaluated SEL (see Decisions.decideIfSel). */
  decideIfSel<T>(kind: DecisionKind, compute: () => T): T {
    this.selScopes++;
    try {
      return this.decisions.decideIfSel(kind, compute, this);
    } finally {
      this.selScopes--;
    }
  }

  /** Runs a decision live, or reads it back on replay (see decisions.ts). */
  decide<T>(kind: DecisionKind, compute: () => T): T {
    return this.decisions.decide(kind, compute);
  }

  /** A yes/no decision recorded only when yes (see Decisions.decideFlag). */
  decideFlag(kind: DecisionKind, compute: () => boolean): boolean {
    return this.decisions.decideFlag(kind, compute);
  }

  /** A new UUID, recorded (replay reads it back). */
  uuid(): string {
    return this.decide('id', () => {
      const uuid = this.ctx.uuid;
      return this.ctx.legacyIds || !uuid ? uuidFrom(this.random) : uuid(this.key, this.seq, this.ids++);
    });
  }

  /** Whether `o` was created in this transition (so it may be changed in place). */
  owns(o: object): boolean {
    return this.ownedObjects?.has(o) ?? false;
  }

  own(o: object): void {
    (this.ownedObjects ??= new Set()).add(o);
  }

  /** The timers record, copied on first write (most events touch no timer). */
  private timers(): InstanceState['timers'] {
    if (!this.timersOwned) {
      this.s.timers = { ...this.s.timers };
      this.timersOwned = true;
    }
    return this.s.timers;
  }

  get key(): string {
    return `${this.s.workflowId}/${this.s.instanceId}`;
  }

  /** Seeded by (instance, seq): replay draws the same numbers. */
  get random(): () => number {
    this.randomFn ??= seededRandom(`${this.key}:${this.seq}`);
    return this.randomFn;
  }

  env(): EvalEnv {
    return { engine: this, nowMs: this.atMs, random: this.random };
  }

  system(): SystemContext {
    const s = this.s;
    return {
      workflowId: s.workflowId,
      instanceId: s.instanceId,
      runId: s.runId,
      workflowUuid: s.uuid,
      version: s.version,
      owner: this.ctx.def.request.properties.owner,
      initiatorType: s.initiator,
      runPolicy: s.runPolicy,
      startedAtMs: s.startedAtMs ?? s.createdAtMs,
      ...triggerSystem(s),
    };
  }

  /** A step that may be changed in this transition. */
  step(id: string): StepState {
    const cur = this.s.steps[id];
    if (!cur) throw new ValidationError(`steps.${id}`, 'unknown step');
    if (this.cloned.includes(id)) return cur;
    const attempts = cur.attempts.slice();
    const last = attempts.length - 1;
    if (last >= 0) attempts[last] = cloneAttempt(attempts[last]!);
    const copy = cloneStep(cur, attempts); // retries are replaced, never changed in place
    this.s.steps[id] = copy;
    this.cloned.push(id);
    return copy;
  }

  definition(id: string): Step {
    const cs = this.ctx.def.steps.get(id);
    if (!cs) throw new ValidationError(`workflow.steps.${id}`, 'unknown step');
    return cs.step;
  }

  setStepStatus(id: string, status: StepStatus): StepState {
    const st = this.step(id);
    if (st.status === status) return st;
    const wasRunning = isStepRunning(st.status);
    const isRunning = isStepRunning(status);
    if (wasRunning !== isRunning) {
      this.running = this.runningSteps() + (isRunning ? 1 : -1);
      if (wasRunning) this.permitFreed = true;
    }
    if (isStepTerminal(status)) {
      this.anyTerminal = true;
      for (const e of this.ctx.def.steps.get(id)?.outgoing ?? []) (this.dirty ??= new Set()).add(e.to);
    }
    if (st.permit !== undefined && status !== 'WAITING_FOR_PERMITS' && !isRunning) {
      // every way out of a waited-for or held permit gives it back (end, stop, kill, timeout, skip, retry)
      this.commands.push({ c: 'release', holder: st.permit.holder });
      delete st.permit;
    }
    if (st.status === 'WAITING_FOR_SIGNALS') {
      // a waiting step that ends (stop, kill, skip, timeout) drops its waits at the stores
      const waits = pendingWaits(this.key, this.s.runId, id, st.signalDependencies);
      if (waits.length > 0) this.commands.push({ c: 'signal-unwait', waits: waits.map(({ name, waiter }) => ({ name, waiter })) });
    }
    st.status = status;
    const a = currentAttempt(st);
    if (a) a.status = status;
    if (this.ctx.emitChanges !== false) (this.changedSteps ??= new Set()).add(id);
    this.ctx.onStepStatus?.(id, status, this.atMs);
    return st;
  }

  /** instance_step_concurrency in force (instanceStepConcurrencyOf). */
  instanceStepConcurrency(): number | undefined {
    return instanceStepConcurrencyOf(this.s, this.ctx.def);
  }

  /**
   * How many steps may run at once on the instance-local count: instance_step_concurrency; else,
   * once the instance counts its workflow's step_concurrency tag itself (InstanceState
   * .localWorkflowPermits), Maestro's default 20; else the engine's default.
   */
  localPermitLimit(): number {
    return this.instanceStepConcurrency() ?? (this.s.localWorkflowPermits ? DEFAULT_STEP_CONCURRENCY : DEFAULT_INSTANCE_STEP_CONCURRENCY);
  }

  /** Running steps now (for instance_step_concurrency). */
  runningSteps(): number {
    if (this.running === undefined) {
      let n = this.s.runningSteps;
      if (n === undefined) {
        n = 0;
        for (const st of Object.values(this.s.steps)) if (isStepRunning(st.status)) n++;
      }
      this.running = n;
    }
    return this.running;
  }

  /** Steps to look at again: successors of steps that ended, and permit waiters once a permit freed. */
  takeDirty(): Set<string> {
    const out = this.dirty ?? new Set<string>();
    this.dirty = undefined;
    if (this.permitFreed) {
      this.permitFreed = false;
      // Only a workflow with more steps than permits can have steps waiting for one.
      if (this.ctx.def.order.length <= this.localPermitLimit()) return out;
      // With tag permits the manager grants waiters (permit-granted events); only steps waiting
      // for an instance-local permit (no manager holder: steps.ts instanceLocalTags) are ours to start.
      for (const st of Object.values(this.s.steps)) if (st.status === 'WAITING_FOR_PERMITS' && (!this.s.permits || st.permit === undefined)) out.add(st.stepId);
    }
    return out;
  }

  setWorkflowStatus(status: WorkflowStatus, error?: string): void {
    if (this.s.depthPermit !== undefined && isWorkflowTerminal(status)) {
      // every way a run ends gives its depth permit back (depth-cap.ts)
      this.commands.push({ c: 'release', holder: this.s.depthPermit.holder });
      delete this.s.depthPermit;
    }
    if (this.s.status === status) return;
    this.s.status = status;
    if (error !== undefined) this.s.error = error;
    this.workflowChanged = true;
  }

  setTimer(timerId: string, kind: TimerKind, atMs: number, stepId?: string, attempt?: number): void {
    this.timers()[timerId] = { timerId, kind, atMs, stepId, attempt };
    this.commands.push({ c: 'set-timer', timerId, atMs });
  }

  clearTimer(timerId: string): boolean {
    if (!this.s.timers[timerId]) return false;
    delete this.timers()[timerId];
    this.commands.push({ c: 'clear-timer', timerId });
    return true;
  }

  /** Resolves a number that may reference params, in the scope of step `own` params then workflow params. */
  number(p: Parsable, path: string, own?: Record<string, TypedValue>): number {
    if (typeof p === 'number') return p;
    const v = resolveParsable(p, (n) => own?.[n] ?? this.s.params[n], path);
    const n = typeof v === 'number' ? v : Number(v);
    if (!Number.isFinite(n)) throw new ValidationError(path, `expected a number, got ${JSON.stringify(v)}`);
    return n;
  }

  /** A duration in ms (timeouts), resolving param references first. */
  durationMs(p: Parsable, path: string, own?: Record<string, TypedValue>): number | undefined {
    if (typeof p === 'string' && p.includes('$')) {
      const v = resolveParsable(p, (n) => own?.[n] ?? this.s.params[n], path);
      return parseDurationMs(v, path);
    }
    return parseDurationMs(p, path);
  }

  /** Emits one change per step (its final status in this transition) and one for the workflow. */
  finish(): { state: InstanceState; commands: InstanceCommand[]; decisions: Decision[] } {
    const s = this.s;
    this.decisions.checkConsumed();
    const decisions = this.decisions.list;
    if (this.running !== undefined) s.runningSteps = this.running;
    if (this.ctx.emitChanges === false) return { state: s, commands: this.commands, decisions };
    const change = (status: string, message?: string, stepId?: string, attempt?: number): InstanceCommand => ({
      c: 'changed',
      change: { workflowId: s.workflowId, instanceId: s.instanceId, runId: s.runId, atMs: this.atMs, stepId, attempt, status, message, seq: s.seq },
    });
    for (const id of this.changedSteps ?? []) {
      const st = s.steps[id]!;
      const a = currentAttempt(st);
      this.commands.push(change(st.status, a?.error, id, a?.attempt));
    }
    if (this.workflowChanged) this.commands.push(change(s.status, s.error));
    return { state: s, commands: this.commands, decisions };
  }
}

/*
 * Clones with the fields in one fixed order, present fields only. Not `{ ...obj }`: V8 gives a
 * spread copy a map of its own that later property additions cannot share, so every step and
 * attempt would end up with a private hidden class (measured: ~10 maps and 2.5 KB per instance,
 * and megamorphic property access throughout the machine).
 */
export function cloneInstance(s: InstanceState, seq: number): InstanceState {
  const c: InstanceState = {
    workflowId: s.workflowId,
    instanceId: s.instanceId,
    version: s.version,
    runId: s.runId,
    uuid: s.uuid,
    status: s.status,
    runPolicy: s.runPolicy,
    initiator: s.initiator,
    runParams: s.runParams,
    params: s.params,
    steps: { ...s.steps }, // same keys as the source: a spread is fine here
    timers: s.timers,
    createdAtMs: s.createdAtMs,
    runs: s.runs,
    seq,
  };
  if (s.requestId !== undefined) c.requestId = s.requestId;
  if (s.startedAtMs !== undefined) c.startedAtMs = s.startedAtMs;
  if (s.endedAtMs !== undefined) c.endedAtMs = s.endedAtMs;
  if (s.error !== undefined) c.error = s.error;
  if (s.runningSteps !== undefined) c.runningSteps = s.runningSteps;
  if (s.replayError !== undefined) c.replayError = s.replayError;
  if (s.parent !== undefined) c.parent = s.parent;
  if (s.source !== undefined) c.source = s.source;
  if (s.depth !== undefined) c.depth = s.depth;
  if (s.correlationId !== undefined) c.correlationId = s.correlationId;
  if (s.instanceStepConcurrency !== undefined) c.instanceStepConcurrency = s.instanceStepConcurrency;
  if (s.runStatus !== undefined) c.runStatus = s.runStatus;
  if (s.aggregated !== undefined) c.aggregated = s.aggregated;
  if (s.carried !== undefined) c.carried = s.carried;
  if (s.skipSteps !== undefined) c.skipSteps = s.skipSteps;
  if (s.restartPath !== undefined) c.restartPath = s.restartPath;
  if (s.unblocked !== undefined) c.unblocked = s.unblocked;
  if (s.permits !== undefined) c.permits = s.permits;
  if (s.trigger !== undefined) c.trigger = s.trigger;
  if (s.localWorkflowPermits !== undefined) c.localWorkflowPermits = s.localWorkflowPermits;
  if (s.firstTimeTriggerTimezone !== undefined) c.firstTimeTriggerTimezone = s.firstTimeTriggerTimezone;
  if (s.depthPermit !== undefined) c.depthPermit = s.depthPermit;
  return c;
}

function cloneStep(st: StepState, attempts: AttemptState[]): StepState {
  const c: StepState = { stepId: st.stepId, status: st.status, attempts, retries: st.retries, params: st.params };
  if (st.startedAtMs !== undefined) c.startedAtMs = st.startedAtMs;
  if (st.endedAtMs !== undefined) c.endedAtMs = st.endedAtMs;
  if (st.loop !== undefined) c.loop = st.loop;
  if (st.signalDependencies !== undefined) c.signalDependencies = st.signalDependencies;
  if (st.signalOutputs !== undefined) c.signalOutputs = st.signalOutputs;
  if (st.permit !== undefined) c.permit = st.permit;
  return c;
}

export function cloneAttempt(a: AttemptState): AttemptState {
  const c: AttemptState = { attempt: a.attempt, attemptId: a.attemptId, status: a.status, createdAtMs: a.createdAtMs };
  if (a.startedAtMs !== undefined) c.startedAtMs = a.startedAtMs;
  if (a.endedAtMs !== undefined) c.endedAtMs = a.endedAtMs;
  if (a.error !== undefined) c.error = a.error;
  if (a.outputs !== undefined) c.outputs = a.outputs;
  if (a.stdout !== undefined) c.stdout = a.stdout;
  if (a.stderr !== undefined) c.stderr = a.stderr;
  if (a.details !== undefined) c.details = a.details;
  return c;
}

/** instance_step_concurrency in force: the parent's (inherited down a tree), else the definition's. */
export function instanceStepConcurrencyOf(s: InstanceState, def: CompiledWorkflow): number | undefined {
  return s.instanceStepConcurrency ?? def.request.workflow.instanceStepConcurrency;
}

export function currentAttempt(st: StepState): AttemptState | undefined {
  return st.attempts[st.attempts.length - 1];
}

/** The task that dispatches attempt `a` of step `st` (partition and epoch are stamped by the owner). */
export function taskOf(s: InstanceState, st: StepState, a: AttemptState, def: Extract<Step, { kind: 'step' }>, startedAtMs: number, timeoutMs: number | undefined): StepTask {
  return {
    instanceKey: `${s.workflowId}/${s.instanceId}`,
    workflowId: s.workflowId,
    instanceId: s.instanceId,
    runId: s.runId,
    stepId: st.stepId,
    attempt: a.attempt,
    attemptId: a.attemptId,
    stepType: def.type,
    subType: def.subType,
    params: toPlain(st.params),
    startedAtMs,
    timeoutMs,
    partition: 0,
    epoch: 0,
  };
}

export function attemptIdOf(key: string, runId: number, stepId: string, attempt: number): string {
  return [key, runId, stepId, attempt].join('/'); // a flat string: it is kept for the life of the instance
}

/** The scope of a transition condition: the predecessor's params, then the workflow's. */
export function scopeFor(t: Transition, own: Record<string, TypedValue> | undefined, extensions?: ParamExtensions): EvalScope {
  return makeScope(own, {
    env: t.env(),
    system: t.system(),
    workflowParams: t.s.params,
    stepParams: (id: string) => t.s.steps[id]?.params,
    extensions,
  });
}

/**
 * What a definition's time triggers and a triggered start add to the system context: the first
 * time trigger's timezone (FIRST_TIME_TRIGGER_TIMEZONE, feeding DSL_DEFAULT_TZ), and for a
 * time-triggered run the firing trigger's timezone (INITIATOR_TIMEZONE) and its scheduled fire
 * time (RUN_TS).
 */
function triggerSystem(s: InstanceState): Partial<SystemContext> {
  const out: Partial<SystemContext> = {};
  if (s.firstTimeTriggerTimezone) out.firstTimeTriggerTimezone = s.firstTimeTriggerTimezone;
  if (s.trigger?.kind === 'TIME') {
    out.timezone = s.trigger.timezone;
    out.runTsMs = s.trigger.triggerTimeMs;
  }
  return out;
}
