/** Projections of InstanceState for readers outside the engine. */
import type { CompiledWorkflow } from './compiled.js';
import type { InstanceState } from './state.js';
import type { AggregatedInfo, InstanceSummary, InstanceView, StepView } from './view.js';
import { aggregatedSteps } from './aggregate.js';
import { toPlain } from '../params/index.js';
import { cloneAttempt } from './transition.js';

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
      outputs: last?.outputs ?? {},
      startedAtMs: st.startedAtMs,
      endedAtMs: st.endedAtMs,
      ...(st.signalDependencies === undefined ? {} : { signalDependencies: st.signalDependencies }),
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
    steps,
    startedAtMs: s.startedAtMs,
    error: s.error,
    ...(s.replayError === undefined ? {} : { replayError: s.replayError }),
    ...(s.runStatus === undefined ? {} : { runStatus: s.runStatus }),
    aggregatedInfo,
  };
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
  };
}
