import test from 'ava';
import { RUN_POLICIES, STEP_STATUSES, WORKFLOW_STATUSES } from '../../src/core/status.js';
import type { InstanceChange, InstanceSummary, InstanceView } from '../../src/core/instance/view.js';
import { RunPolicy, StepStatus, WorkflowStatus, Instance, InstanceChange as PbChange, InstanceSummary as PbSummary } from '../../src/gen/maestro/v1/instance.js';
import { runPolicies, stepStatuses, workflowStatuses } from '../../src/control/enums.js';
import { changeFromProto, changeToProto, instanceFromProto, instanceToProto, summaryFromProto, summaryToProto, toPlainJson } from '../../src/control/mapping.js';

const protoNames = (e: Record<string, string | number>, prefix: string): string[] =>
  Object.keys(e)
    .filter((k) => Number.isNaN(Number(k)) && k !== `${prefix}UNSPECIFIED`)
    .map((k) => k.slice(prefix.length));

test('proto enums hold exactly the core statuses and run policies', (t) => {
  t.deepEqual(protoNames(WorkflowStatus, 'WORKFLOW_STATUS_'), [...WORKFLOW_STATUSES]);
  t.deepEqual(protoNames(StepStatus, 'STEP_STATUS_'), [...STEP_STATUSES]);
  t.deepEqual(protoNames(RunPolicy, 'RUN_POLICY_'), [...RUN_POLICIES]);
  for (const s of STEP_STATUSES) t.is(stepStatuses.fromProto(stepStatuses.toProto(s)), s);
  for (const s of WORKFLOW_STATUSES) t.is(workflowStatuses.fromProto(workflowStatuses.toProto(s)), s);
  for (const p of RUN_POLICIES) t.is(runPolicies.fromProto(runPolicies.toProto(p)), p);
  t.is(workflowStatuses.fromProto(WorkflowStatus.WORKFLOW_STATUS_UNSPECIFIED), undefined);
  t.is(stepStatuses.fromProto(99), undefined);
});

const view: InstanceView = {
  workflowId: 'wf',
  instanceId: 7,
  runId: 2,
  version: 3,
  status: 'FAILED',
  runPolicy: 'RESTART_FROM_INCOMPLETE',
  requestId: 'r-1',
  params: { s: 'x', n: 1.5, b: false, l: [1, 'two', null], m: { deep: { er: true } } },
  steps: [
    {
      stepId: 'a',
      stepType: 'Shell',
      status: 'USER_FAILED',
      attempts: [
        { attempt: 1, attemptId: 'wf-7-a-1', status: 'PLATFORM_FAILED', createdAtMs: 1_000, startedAtMs: 1_100, endedAtMs: 1_200, error: 'oom' },
        { attempt: 2, attemptId: 'wf-7-a-2', status: 'USER_FAILED', createdAtMs: 2_000, startedAtMs: 2_100, endedAtMs: 2_900, error: 'exit 3', outputs: { rc: 3 }, stdout: 'hi\n', stderr: 'bad\n', details: { pid: 42 } },
      ],
      params: { cmd: 'false' },
      outputs: { rc: 3 },
      startedAtMs: 1_100,
      endedAtMs: 2_900,
    },
    { stepId: 'b', stepType: 'NoOp', status: 'NOT_CREATED', attempts: [], params: {}, outputs: {} },
    {
      stepId: 'loop',
      stepType: 'foreach',
      status: 'RUNNING',
      attempts: [{ attempt: 1, attemptId: 'wf-7-loop-1', status: 'RUNNING', createdAtMs: 1_000 }],
      params: {},
      outputs: {},
      overview: {
        kind: 'foreach',
        inlineWorkflowId: 'maestro_foreach_x_7_y',
        runId: 2,
        total: 9,
        concurrency: 3,
        launched: 6,
        running: [5, 6],
        details: { SUCCEEDED: [[1, 3]], FAILED: [[4, 4]] },
        stats: { SUCCEEDED: 3, FAILED: 1 },
        rollup: { total: 8, counts: { SUCCEEDED: 6, FATALLY_FAILED: 1, RUNNING: 1 } },
      },
    },
    {
      stepId: 'w',
      stepType: 'while',
      status: 'SUCCEEDED',
      attempts: [],
      params: {},
      outputs: {},
      overview: { kind: 'while', inlineWorkflowId: 'maestro_while_x_7_z', runId: 1, iterations: 2, loopParamValues: { i: [1, 2, 3] }, lastStatus: 'SUCCEEDED', rollup: { total: 2, counts: { SUCCEEDED: 2 } } },
    },
    {
      stepId: 's',
      stepType: 'subworkflow',
      status: 'RUNNING',
      attempts: [],
      params: {},
      outputs: {},
      overview: { kind: 'subworkflow', workflowId: 'child', instanceId: 4, runId: 1, version: 2, status: 'IN_PROGRESS', sync: true },
    },
  ],
  createdAtMs: 900,
  startedAtMs: 950,
  endedAtMs: 3_000,
  error: 'step a failed',
  rollup: { total: 12, counts: { SUCCEEDED: 9, RUNNING: 2, NOT_CREATED: 1 }, refs: [{ status: 'RUNNING', workflowId: 'maestro_foreach_x_7_y', runId: 2, instanceId: 5, stepId: 'inner', attempt: 1 }] },
  initiator: 'FOREACH',
  parent: { workflowId: 'root', instanceId: 1, runId: 1, stepId: 'outer', attempt: 1 },
  depth: 1,
  correlationId: 'root:1:1',
  rawStatus: 'FAILED_1',
  runs: [
    { runId: 1, status: 'FAILED', rawStatus: 'FAILED_2', startedAtMs: 100, endedAtMs: 200 },
    { runId: 2, status: 'FAILED', rawStatus: 'FAILED_1', startedAtMs: 950, endedAtMs: 3_000 },
  ],
};

test('an instance view survives view -> proto -> bytes -> proto -> view', (t) => {
  const bytes = Instance.encode(instanceToProto(view)).finish();
  t.deepEqual(instanceFromProto(Instance.decode(bytes)), view);
});

test('absent optional fields stay absent after the round trip', (t) => {
  const bare: InstanceView = {
    workflowId: 'wf',
    instanceId: 1,
    runId: 1,
    version: 1,
    status: 'CREATED',
    runPolicy: 'START_FRESH_NEW_RUN',
    params: {},
    steps: [],
    createdAtMs: 5,
    rollup: { total: 0, counts: {} },
    initiator: 'MANUAL',
    depth: 0,
    correlationId: 'wf:1:1',
  };
  t.deepEqual(instanceFromProto(Instance.decode(Instance.encode(instanceToProto(bare)).finish())), bare);
});

test('changes round-trip, with and without a step', (t) => {
  const step: InstanceChange = { workflowId: 'wf', instanceId: 1, runId: 1, atMs: 123, stepId: 's', attempt: 2, status: 'RUNNING', message: 'go' };
  const wf: InstanceChange = { workflowId: 'wf', instanceId: 1, runId: 1, atMs: 124, status: 'SUCCEEDED' };
  for (const c of [step, wf]) t.deepEqual(changeFromProto(PbChange.decode(PbChange.encode(changeToProto(c)).finish())), c);
});

test('summaries round-trip, a raw status only where it differs from the status', (t) => {
  const unblocked: InstanceSummary = { workflowId: 'wf', instanceId: 1, runId: 1, version: 1, status: 'FAILED', createdAtMs: 5, endedAtMs: 9, rawStatus: 'FAILED_1' };
  const plain: InstanceSummary = { workflowId: 'wf', instanceId: 2, runId: 1, version: 1, status: 'FAILED', createdAtMs: 5, endedAtMs: 9 };
  for (const s of [unblocked, plain]) t.deepEqual(summaryFromProto(PbSummary.decode(PbSummary.encode(summaryToProto(s)).finish())), s);
});

test('dynamic values become plain JSON before they go on the wire', (t) => {
  const when = new Date(Date.UTC(2024, 0, 2));
  t.deepEqual(toPlainJson({ big: 12n, huge: 2n ** 60n, when, gone: undefined, nan: Number.NaN, list: [undefined, 1], map: new Map([['k', 1]]) }), {
    big: 12,
    huge: '1152921504606846976',
    when: '2024-01-02T00:00:00.000Z',
    nan: 'NaN',
    list: [null, 1],
    map: { k: 1 },
  });
});
