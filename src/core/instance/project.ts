/** Projections of InstanceState for readers outside the engine. */
import type { CompiledWorkflow } from './compiled.js';
import type { CompositeState, IdRanges, InstanceState } from './state.js';
import type { AggregatedInfo, ForeachOverview, InstanceSummary, InstanceView, StepOverview, StepView, SubworkflowOverview, WhileOverview } from './view.js';
import type { WorkflowStatus } from '../status.js';
import { correlationOf } from './composite-launch.js';
import { rangeCount, rollupOf } from './rollup.js';
import { aggregatedSteps } from './aggregate.js';
import { rawStatusOf, runsView } from './raw-status.js';
import { toPlain } from '../params/index.js';
import { cloneAttempt } from './transition.js';
import { signalDependenciesView, signalOutputsView } from './signal-view.js';
import type { ParamType } from '../definition/model.js';
import type { TypedValue } from '../expr-port.js';

export function toInstanceView(s: InstanceState, def: CompiledWorkflow): InstanceView {
  const steps: StepView[] = def.order.map((id) => {
    const st = s.steps[id];
    const d = def.steps.get(id)!.step;
    const stepType = d.kind === 'step' ? d.type : d.kind;
    if (!st) return { stepId: id, stepType, status: 'NOT_CREATED', attempts: [], params: {}, outputs: {} };
    const last = st.attempts[st.attempts.length - 1];
    return {
      stepId: id,
      stepType,
      status: st.status,
      attempts: st.attempts.map(cloneAttempt),
      params: toPlain(st.params),
      paramTypes: typesOf(st.params),
      outputs: last?.outputs ?? {},
      startedAtMs: st.startedAtMs,
      endedAtMs: st.endedAtMs,
      ...(st.loop ? { overview: overviewOf(st.loop) } : {}),
      ...(st.signalDependencies === undefined ? {} : { signalDependencies: signalDependenciesView(st.signalDependencies) }),
      ...(st.signalOutputs === undefined ? {} : { signalOutputs: signalOutputsView(st.signalOutputs) }),
    };
  });
  const agg = aggregatedSteps(s, def);
  const aggregatedInfo: AggregatedInfo = {
    steps: def.order.map((stepId) => ({ stepId, ...agg[stepId]! })),
    workflowInstanceStatus: s.status,
  };
  return {
    ...toSummary(s),
    runPolicy: s.runPolicy,
    requestId: s.requestId,
    params: toPlain(s.params),
    paramTypes: typesOf(s.params),
    steps,
    startedAtMs: s.startedAtMs,
    error: s.error,
    ...(s.replayError === undefined ? {} : { replayError: s.replayError }),
    rollup: rollupOf(s, def),
    initiator: s.initiator,
    ...(s.trigger ? { trigger: s.trigger } : {}),
    ...(s.parent ? { parent: { workflowId: s.parent.workflowId, instanceId: s.parent.instanceId, runId: s.parent.runId, stepId: s.parent.stepId, attempt: s.parent.attempt } } : {}),
    depth: s.depth ?? 0,
    correlationId: correlationOf(s),
    ...(s.runStatus === undefined ? {} : { runStatus: s.runStatus }),
    aggregatedInfo,
    rawStatus: rawStatusOf(s),
    runs: runsView(s),
    seq: s.seq,
  };
}

function typesOf(values: Readonly<Record<string, TypedValue>>): Record<string, ParamType> {
  const out: Record<string, ParamType> = {};
  for (const name of Object.keys(values)) out[name] = values[name]!.type;
  return out;
}

function overviewOf(loop: CompositeState): StepOverview {
  if (loop.kind === 'foreach') {
    const stats: ForeachOverview['stats'] = {};
    for (const [k, r] of Object.entries(loop.done) as Array<[WorkflowStatus, IdRanges]>) stats[k] = rangeCount(r);
    return {
      kind: 'foreach',
      inlineWorkflowId: loop.workflowId,
      runId: loop.runId,
      total: loop.total,
      concurrency: loop.limit,
      launched: loop.next,
      running: loop.running,
      details: loop.done,
      stats,
      rollup: loop.rollup,
    };
  }
  if (loop.kind === 'while') {
    const v: WhileOverview = { kind: 'while', inlineWorkflowId: loop.workflowId, runId: loop.runId, iterations: loop.iterations, loopParamValues: loop.values, rollup: loop.rollup };
    if (loop.running !== undefined) v.running = loop.running;
    if (loop.lastStatus !== undefined) v.lastStatus = loop.lastStatus;
    return v;
  }
  const v: SubworkflowOverview = { kind: 'subworkflow', workflowId: loop.workflowId, sync: loop.sync };
  if (loop.instanceId !== undefined) v.instanceId = loop.instanceId;
  if (loop.runId !== undefined) v.runId = loop.runId;
  if (loop.version !== undefined) v.version = loop.version;
  if (loop.status !== undefined) v.status = loop.status;
  if (loop.rollup !== undefined) v.rollup = loop.rollup;
  return v;
}

export function toSummary(s: InstanceState): InstanceSummary {
  return {
    workflowId: s.workflowId,
    instanceId: s.instanceId,
    runId: s.runId,
    version: s.version,
    status: s.status,
    createdAtMs: s.createdAtMs,
    endedAtMs: s.endedAtMs,
    ...(s.unblocked && s.status === 'FAILED' ? { rawStatus: rawStatusOf(s) } : {}),
  };
}
