/**
 * What foreach, while and subworkflow steps share when they launch children (composite.ts has
 * the protocol): the limits, the parent a launch names, the params a child inherits and the
 * copy-on-write of a step's composite state.
 */
import type { StepStatus } from '../status.js';
import type { ForeachStep, WhileStep } from '../definition/model.js';
import { RESERVED_PARAM_NAMES } from '../definition/limits.js';
import type { ChildLaunch } from './commands.js';
import type { CompiledWorkflow } from './compiled.js';
import type { InstanceState, IterationRestart, ParentRef, StepState } from './state.js';
import { currentAttempt, type Transition } from './transition.js';

/** Maestro's ITERATION_LIMIT, for foreach and while. */
export const ITERATION_LIMIT = 25_000;

/** How a composite step ends (steps.ts endComposite). */
export type Ended = (t: Transition, id: string, status: StepStatus, error?: string) => void;

/** Workflow params a child gets from its parent: every one except those each instance computes itself. */
const NOT_PASSED = new Set<string>([...RESERVED_PARAM_NAMES, 'workflow_id', 'workflow_instance_id', 'workflow_run_id', 'workflow_uuid', 'owner', 'initiator', 'workflow_version_id', 'workflow_run_policy', 'INITIATOR_RUNNER_NAME']);

/** The instance a composite step belongs to, as launches need it (a Transition's, or a recovered state's). */
export interface Owner {
  s: InstanceState;
  def: CompiledWorkflow;
}
export const ownerOf = (t: Transition): Owner => ({ s: t.s, def: t.ctx.def });

/**
 * The tree an instance belongs to: its root's correlation id. A root's own is Maestro's
 * "<wf>:<instance>:<run>" of the run that created it.
 */
export function correlationOf(s: InstanceState): string {
  return s.correlationId ?? `${s.workflowId}:${s.instanceId}:${s.runs[0]?.runId ?? s.runId}`;
}

export function inheritedWorkflowParams(s: InstanceState): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s.params)) if (!NOT_PASSED.has(k)) out[k] = v.value;
  return out;
}

/** Loop iterations: the parent's workflow params, then the loop step's own user params (loop_params excluded). */
export function inheritedParams(s: InstanceState, st: StepState, def: ForeachStep | WhileStep): Record<string, unknown> {
  const out = inheritedWorkflowParams(s);
  for (const name of Object.keys(def.params)) {
    if (name === 'loop_params') continue;
    const v = st.params[name];
    if (v) out[name] = v.value;
  }
  return out;
}

export function childLaunch(
  o: Owner,
  st: StepState,
  kind: ChildLaunch['kind'],
  workflowId: string,
  instanceId: number | undefined,
  runId: number,
  params: Record<string, unknown>,
  report: Record<string, string[]> | undefined,
  restart: ChildLaunch['restart'],
): ChildLaunch {
  const s = o.s;
  const a = currentAttempt(st)!;
  const def = o.def.steps.get(st.stepId)!.step;
  const parent: ParentRef = { workflowId: s.workflowId, instanceId: s.instanceId, runId: s.runId, stepId: st.stepId, attempt: a.attempt, sync: def.kind === 'subworkflow' ? def.sync : true };
  if (report) parent.report = report;
  const launch: ChildLaunch = {
    kind,
    workflowId,
    runId,
    version: s.source?.version ?? o.def.version,
    params,
    parent,
    depth: (s.depth ?? 0) + 1,
    correlationId: correlationOf(s),
  };
  const isc = s.instanceStepConcurrency ?? o.def.request.workflow.instanceStepConcurrency;
  if (isc !== undefined) launch.instanceStepConcurrency = isc; // Maestro passes it down the tree
  if (instanceId !== undefined) launch.instanceId = instanceId;
  if (kind !== 'subworkflow') launch.source = { workflowId: s.source?.workflowId ?? s.workflowId, version: s.source?.version ?? s.version, path: [...(s.source?.path ?? []), st.stepId] };
  if (restart) launch.restart = restart;
  return launch;
}

/** The step's composite state, copied once per transition before it changes. */
export function ownLoop(t: Transition, st: StepState): NonNullable<StepState['loop']> {
  const loop = st.loop!;
  if (t.owns(loop)) return loop;
  const copy = { ...loop } as NonNullable<StepState['loop']>;
  t.own(copy);
  st.loop = copy;
  return copy;
}

/** A launch that re-runs an iteration as `again` says (RESTART_FROM_SPECIFIC: its step and the path below). */
export function restartLaunch(launch: ChildLaunch, again: IterationRestart): ChildLaunch {
  if (again.stepId !== undefined) launch.restartStepId = again.stepId;
  if (again.path && again.path.length > 0) launch.restartPath = again.path;
  return launch;
}
