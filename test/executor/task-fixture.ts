import type { StepTask } from '../../src/executor/runtime.js';

let seq = 0;

/** A step attempt with unique ids; override what a test cares about. */
export function makeTask(overrides: Partial<StepTask> = {}): StepTask {
  const n = ++seq;
  const instanceKey = overrides.instanceKey ?? `wf-${n}/1`;
  const stepId = overrides.stepId ?? 'step';
  return {
    instanceKey,
    workflowId: `wf-${n}`,
    instanceId: 1,
    runId: 1,
    stepId,
    attempt: 1,
    attemptId: `${instanceKey}/1/${stepId}/1`,
    stepType: 'NoOp',
    params: {},
    startedAtMs: Date.now(),
    ...overrides,
  };
}

export function never(): AbortSignal {
  return new AbortController().signal;
}
