import type { DispatchedTask } from '../../src/protocol/executor.js';

let seq = 0;

/** A step attempt with unique ids, dispatched at partition 0 epoch 1; override what a test cares about. */
export function makeTask(overrides: Partial<DispatchedTask> = {}): DispatchedTask {
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
    partition: 0,
    epoch: 1,
    ...overrides,
  };
}

export function never(): AbortSignal {
  return new AbortController().signal;
}
