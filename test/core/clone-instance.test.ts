/**
 * The machine's copy-on-write clone of an instance lists its fields one by one (for V8's hidden
 * classes): a field added to InstanceState and forgotten there would vanish at the next event.
 * `Required<InstanceState>` makes this test name every field, so adding one fails to compile
 * until it is listed here, and then fails here until the clone copies it.
 */
import test from 'ava';
import { cloneInstance } from '../../src/core/instance/transition.js';
import type { InstanceState } from '../../src/core/instance/state.js';

test('cloneInstance copies every field of InstanceState', (t) => {
  const full: Required<InstanceState> = {
    workflowId: 'wf',
    instanceId: 1,
    version: 1,
    runId: 2,
    uuid: 'u',
    status: 'IN_PROGRESS',
    runPolicy: 'START_FRESH_NEW_RUN',
    requestId: 'r',
    initiator: 'TIME',
    trigger: { kind: 'TIME', triggerUuid: 't', triggerTimeMs: 1, timezone: 'UTC' },
    firstTimeTriggerTimezone: 'UTC',
    localWorkflowPermits: true,
    parent: { workflowId: 'p', instanceId: 1, runId: 1, stepId: 's', attempt: 1, sync: true },
    source: { workflowId: 'p', version: 1, path: ['s'] },
    depth: 1,
    correlationId: 'c',
    instanceStepConcurrency: 3,
    runParams: {},
    params: {},
    steps: {},
    timers: {},
    createdAtMs: 1,
    startedAtMs: 2,
    endedAtMs: 3,
    error: 'e',
    runs: [],
    seq: 7,
    runningSteps: 0,
    replayError: 'x',
    runStatus: 'SUCCEEDED',
    aggregated: { steps: {} } as unknown as Required<InstanceState>['aggregated'],
    carried: ['a'],
    skipSteps: ['b'],
    restartPath: [{ workflowId: 'maestro_foreach_x', instanceId: 2, runId: 1, policy: 'RESTART_FROM_SPECIFIC', stepId: 'f', prior: { status: 'FAILED', rollup: { total: 1, counts: {} } } }],
    permits: true,
    unblocked: true,
    depthPermit: { holder: 'wf/1/2/~depth', held: true },
  };
  const c = cloneInstance(full, 7);
  t.deepEqual(Object.keys(c).sort(), Object.keys(full).sort());
  t.deepEqual(c, full);
});
