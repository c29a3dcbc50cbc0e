/**
 * A step's signals inside the instance machine (maestro-semantics §8.3–8.5, §6.5): the
 * dependencies it waits on before its params are evaluated, and the outputs it announces in
 * FINISHING before it succeeds. The stores (`~signal/<name>`) are reached through commands the
 * actor runs once the event is durable; what they answer comes back as journaled events.
 *
 * Dependencies
 * - Evaluated once per step instance, when its first attempt gets past INITIALIZED (after a
 *   breakpoint's pause, which Maestro also places before the wait): names interpolated, match
 *   values literal or SEL, over workflow params and upstream steps — not the step's own params.
 *   SEL outcomes are a recorded decision ('signalDeps'), so replay evaluates nothing. An error
 *   ends the attempt INTERNALLY_FAILED, as Maestro's markInternalError.
 * - Retries (new attempts) and restarted runs keep the object, so MATCHED stays matched and
 *   nothing is evaluated again (Maestro's MaestroExecutionPreparer / createStepRuntimeSummary).
 * - Each PENDING dependency registers a Wait (`signal-wait`); a match (the Wait's reply, or the
 *   store's SignalMatched later) becomes a `signal-matched` event; once all are MATCHED or
 *   SKIPPED the step goes on to EVALUATING_PARAMS. Stale matches (another run, a step no
 *   longer waiting, a dependency already done) change nothing.
 * - A waiting step that ends otherwise (stop, kill, skip, timeout) or is bypassed drops its
 *   waits (`signal-unwait`, see Transition.setStepStatus and bypassSignals).
 *
 * Outputs
 * - Evaluated in FINISHING with the step's own params visible ('signalOutputs' decision when SEL
 *   ran); an error ends the attempt INTERNALLY_FAILED. Each is announced with its source
 *   (`signal-announce`); the store's answer (seq id, and the store time or null for a duplicate)
 *   becomes a `signal-announced` event; once all are done the step SUCCEEDS.
 *
 * Journals written before this engine matched signals: each point first takes a version marker
 * ('signalWaitOn' / 'signalOutputsOn', recorded only when yes, so absent from those journals);
 * without it a step waits in WAITING_FOR_SIGNALS for a bypass, and succeeds without announcing,
 * exactly as those journals were folded when written.
 */
import type { Step } from '../definition/model.js';
import { ValidationError } from '../errors.js';
import { evaluateSignalParams, interpolateSignalName, type SignalParamContext } from '../params/signal-params.js';
import { toPlain, type SignalContext } from '../params/index.js';
import { satisfies, type SignalMatches, type SignalSource, type SignalValue } from '../signals/model.js';
import type { InstanceEvent } from './events.js';
import type { InstanceCommand, SignalAnnounceRequest } from './commands.js';
import type { InstanceState, SignalDependencyState, SignalOutputState, StepState } from './state.js';
import { compositeExtensions } from './composite.js';
import { pendingWaits } from './signal-waits.js';
import { currentAttempt, type Transition } from './transition.js';

/** What a step's expressions can read of signals (params.getFromSignal*): its matched dependencies. */
export function signalContextOf(s: InstanceState, st: StepState | undefined): SignalContext | undefined {
  const deps = st?.signalDependencies?.dependencies;
  const trigger = triggerSignalContext(s);
  if (!deps) return trigger;
  return { ...trigger, dependencies: deps.map((d) => (d.status === 'MATCHED' ? d.params : undefined)) };
}

/** What a signal-triggered instance's expressions read with getFromSignal (the trigger's params and matched signals). */
export function triggerSignalContext(s: InstanceState): SignalContext | undefined {
  const tr = s.trigger;
  if (tr?.kind !== 'SIGNAL') return undefined;
  return { triggerParams: tr.params, triggerSignals: tr.signalParams };
}

function paramContext(t: Transition, id: string, own?: StepState): SignalParamContext {
  const ctx: SignalParamContext = {
    env: t.env(),
    system: t.system(),
    stepId: id,
    workflowParams: t.s.params,
    stepParams: (sid: string) => t.s.steps[sid]?.params,
    extensions: compositeExtensions(t),
  };
  if (own) ctx.own = own.params;
  const signals = signalContextOf(t.s, own ?? t.s.steps[id]);
  if (signals) ctx.signals = signals;
  return ctx;
}

/** A signal param value: a long (safe integer) or a string. */
function signalValue(v: unknown, path: string): SignalValue {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
  if (typeof v === 'bigint' && v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(v);
  throw new ValidationError(path, `a signal param must be a STRING or a LONG, got ${typeof v === 'number' ? v : typeof v}`);
}

function evaluateDependencies(t: Transition, id: string, def: Step): SignalDependencyState[] {
  const ctx = paramContext(t, id);
  return def.signalDependencies.map((d, i) => {
    const path = `steps.${id}.signal_dependencies[${i}]`;
    const name = interpolateSignalName(d.name, ctx, `${path}.name`);
    if (name.trim() === '') throw new ValidationError(`${path}.name`, 'the signal name is empty once interpolated');
    const keys = Object.keys(d.matchParams);
    const dep: SignalDependencyState = { name, status: 'PENDING' };
    if (keys.length === 0) return dep;
    const values = evaluateSignalParams(Object.fromEntries(keys.map((k) => [k, d.matchParams[k]!.param])), ctx, `${path}.match_params`);
    dep.matchParams = {};
    for (const k of keys) dep.matchParams[k] = { value: signalValue(values[k]!.value, `${path}.match_params.${k}`), operator: d.matchParams[k]!.operator };
    return dep;
  });
}

/**
 * The signal wait of an attempt past INITIALIZED: 'go' when there is nothing (left) to wait for,
 * 'wait' when it waits (WAITING_FOR_SIGNALS, waits registered), or the evaluation error.
 */
export function waitForSignals(t: Transition, id: string): 'go' | 'wait' | { error: string } {
  const def = t.definition(id);
  if (def.signalDependencies.length === 0) return 'go';
  if (!t.decideFlag('signalWaitOn', () => true)) {
    // journaled before this engine matched signals: the step waits (for a bypass), as it did then
    t.setStepStatus(id, 'WAITING_FOR_SIGNALS');
    return 'wait';
  }
  let deps = t.s.steps[id]!.signalDependencies;
  if (deps === undefined) {
    let dependencies: SignalDependencyState[];
    try {
      dependencies = t.decideIfSel('signalDeps', () => evaluateDependencies(t, id, def));
    } catch (e) {
      return { error: `signal dependencies evaluation failed: ${(e as Error).message}` };
    }
    deps = { dependencies };
    t.step(id).signalDependencies = deps;
  }
  t.setStepStatus(id, 'WAITING_FOR_SIGNALS');
  const waits = pendingWaits(t.key, t.s.runId, id, deps);
  if (waits.length === 0) return 'go';
  t.commands.push({ c: 'signal-wait', waits });
  return 'wait';
}

/**
 * Why a match for dependency `index` of `stepId` in run `runId` changes nothing now, or
 * undefined when it applies. `mismatch` is set when the signal does not satisfy the dependency
 * (a store's error, not a stale notice).
 */
export function matchRefusal(s: InstanceState, runId: number, stepId: string, index: number, signal: { name: string; params: Record<string, SignalValue> }): { reason: string; mismatch?: true } | undefined {
  if (runId !== s.runId) return { reason: `run ${runId} is not the current run ${s.runId}` };
  const st = s.steps[stepId];
  if (!st || st.status !== 'WAITING_FOR_SIGNALS') return { reason: `step ${stepId} is ${st?.status ?? 'unknown'}, not WAITING_FOR_SIGNALS` };
  const dep = st.signalDependencies?.dependencies[index];
  if (!dep) return { reason: `step ${stepId} has no signal dependency ${index}`, mismatch: true };
  if (dep.status !== 'PENDING') return { reason: `signal dependency ${index} of step ${stepId} is already ${dep.status}` };
  if (dep.name !== signal.name || !satisfies(signal.params, (dep.matchParams ?? {}) as SignalMatches)) {
    return { reason: `signal ${signal.name} does not satisfy dependency ${index} (${dep.name}) of step ${stepId}`, mismatch: true };
  }
  return undefined;
}

/** A `signal-matched` event: marks the dependency MATCHED; `proceed` runs once none is PENDING. */
export function onSignalMatched(t: Transition, ev: Extract<InstanceEvent, { t: 'signal-matched' }>, proceed: (t: Transition, id: string) => void): void {
  if (matchRefusal(t.s, ev.runId, ev.stepId, ev.index, ev.signal) !== undefined) return;
  const st = t.step(ev.stepId);
  const deps = st.signalDependencies!;
  const dependencies = deps.dependencies.map((d, i) =>
    i === ev.index ? { ...d, status: 'MATCHED' as const, signalId: ev.signal.seqId, params: ev.signal.params } : d,
  );
  st.signalDependencies = { ...deps, dependencies };
  if (dependencies.every((d) => d.status !== 'PENDING')) proceed(t, ev.stepId);
}

/** Bypass (a user's action, §6.5): every dependency not done becomes SKIPPED; its wait is dropped. */
export function bypassSignals(t: Transition, id: string, reason?: string): void {
  const st = t.step(id);
  const deps = st.signalDependencies ?? { dependencies: t.definition(id).signalDependencies.map((d): SignalDependencyState => ({ name: d.name, status: 'PENDING' })) };
  const waits = pendingWaits(t.key, t.s.runId, id, deps).map(({ name, waiter }) => ({ name, waiter }));
  if (waits.length > 0) t.commands.push({ c: 'signal-unwait', waits });
  st.signalDependencies = {
    info: `Signal step dependencies have been bypassed by user${reason ? ` [${reason}]` : ''}`,
    dependencies: deps.dependencies.map((d) => (d.status === 'PENDING' ? { ...d, status: 'SKIPPED' as const } : d)),
  };
}

function evaluateOutputs(t: Transition, id: string, def: Step, st: StepState): SignalOutputState[] {
  const ctx = paramContext(t, id, st);
  return def.signalOutputs.map((o, i) => {
    const path = `steps.${id}.signal_outputs[${i}]`;
    const name = interpolateSignalName(o.name, ctx, `${path}.name`);
    if (name.trim() === '') throw new ValidationError(`${path}.name`, 'the signal name is empty once interpolated');
    const values = evaluateSignalParams(o.params, ctx, `${path}.params`);
    const params: Record<string, SignalValue> = {};
    for (const [k, v] of Object.entries(values)) params[k] = signalValue(v.value, `${path}.params.${k}`);
    const payload = o.payload && Object.keys(o.payload).length > 0 ? toPlain(evaluateSignalParams(o.payload, ctx, `${path}.payload`)) : {};
    return { name, params, payload };
  });
}

/**
 * FINISHING: evaluates and announces the step's signal outputs. 'go' when it has none, 'wait'
 * while they are announced (the step stays FINISHING), or the evaluation error.
 */
export function announceSignals(t: Transition, id: string): 'go' | 'wait' | { error: string } {
  const def = t.definition(id);
  if (def.signalOutputs.length === 0) return 'go';
  if (!t.decideFlag('signalOutputsOn', () => true)) return 'go'; // journaled before outputs were announced: it succeeded at once
  const st = t.step(id);
  let outputs: SignalOutputState[];
  try {
    outputs = t.decideIfSel('signalOutputs', () => evaluateOutputs(t, id, def, st));
  } catch (e) {
    return { error: `signal outputs evaluation failed: ${(e as Error).message}` };
  }
  st.signalOutputs = { outputs };
  t.commands.push({ c: 'signal-announce', announces: announcesOf(t.s, st) });
  return 'wait';
}

/** The Announce of every output of `st` not announced yet. */
function announcesOf(s: InstanceState, st: StepState): SignalAnnounceRequest[] {
  const a = currentAttempt(st);
  const outs = st.signalOutputs?.outputs ?? [];
  if (!a) return [];
  const uuid = st.params['step_instance_uuid']?.value;
  const source: SignalSource = {
    workflowId: s.workflowId,
    instanceId: s.instanceId,
    runId: s.runId,
    stepId: st.stepId,
    attempt: a.attempt,
    stepInstanceUuid: typeof uuid === 'string' ? uuid : '',
  };
  const out: SignalAnnounceRequest[] = [];
  outs.forEach((o, index) => {
    if (o.signalId !== undefined) return;
    out.push({ name: o.name, index, signal: { params: o.params, payload: o.payload }, source, runId: s.runId, stepId: st.stepId, attempt: a.attempt });
  });
  return out;
}

/** Whether a `signal-announced` result still applies (the attempt is FINISHING with that output pending). */
export function announceApplies(s: InstanceState, ev: { runId: number; stepId: string; attempt: number; index: number }): boolean {
  const st = s.steps[ev.stepId];
  if (ev.runId !== s.runId || !st || st.status !== 'FINISHING' || currentAttempt(st)?.attempt !== ev.attempt) return false;
  const o = st.signalOutputs?.outputs[ev.index];
  return o !== undefined && o.signalId === undefined;
}

/** A `signal-announced` event: records the result; `done` runs once every output is announced. */
export function onSignalAnnounced(t: Transition, ev: Extract<InstanceEvent, { t: 'signal-announced' }>, done: (t: Transition, id: string) => void): void {
  if (!announceApplies(t.s, ev)) return;
  const st = t.step(ev.stepId);
  const so = st.signalOutputs!;
  const outputs = so.outputs.map((o, i) => (i === ev.index ? { ...o, signalId: ev.signalId, announceTimeMs: ev.announceTimeMs } : o));
  const all = outputs.every((o) => o.signalId !== undefined);
  st.signalOutputs = all ? { info: 'Signal step outputs have been completed.', outputs } : { ...so, outputs };
  if (all) done(t, ev.stepId);
}

/** After recovery: waits of steps still waiting, announces of steps still FINISHING (both idempotent at the store). */
export function signalResume(s: InstanceState): InstanceCommand[] {
  const out: InstanceCommand[] = [];
  const key = `${s.workflowId}/${s.instanceId}`;
  for (const st of Object.values(s.steps)) {
    if (st.status === 'WAITING_FOR_SIGNALS') {
      const waits = pendingWaits(key, s.runId, st.stepId, st.signalDependencies);
      if (waits.length > 0) out.push({ c: 'signal-wait', waits });
    } else if (st.status === 'FINISHING' && st.signalOutputs) {
      const announces = announcesOf(s, st);
      if (announces.length > 0) out.push({ c: 'signal-announce', announces });
    }
  }
  return out;
}
