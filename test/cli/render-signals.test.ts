// `maestro get` for steps with signal dependencies and outputs: one line each after the step table.
import test from 'ava';
import { instanceReport } from '../../src/cli/render.js';
import type { InstanceView, StepView } from '../../src/core/instance/view.js';

const step = (over: Partial<StepView>): StepView => ({ stepId: 'job.1', stepType: 'NoOp', status: 'WAITING_FOR_SIGNALS', attempts: [], params: {}, outputs: {}, ...over });

const view = (steps: StepView[]): InstanceView =>
  ({
    workflowId: 'wf',
    instanceId: 1,
    runId: 1,
    version: 1,
    status: 'IN_PROGRESS',
    createdAtMs: 0,
    startedAtMs: 0,
    steps,
    params: {},
    initiator: 'MANUAL',
    depth: 0,
    correlationId: 'c',
  }) as unknown as InstanceView;

test('a waiting step shows each dependency, its status, the match of pending ones and the matched seq id', (t) => {
  const lines = instanceReport(
    view([
      step({
        signalDependencies: {
          dependencies: [
            { name: 'db/test/table1', status: 'MATCHED', signalId: 3, matchParams: { hour: { value: '00', operator: '=' } } },
            { name: 'db/test/table2', status: 'PENDING', matchParams: { dateint: { value: '20500101', operator: '>=' }, n: { value: 5, operator: '<' } } },
          ],
        },
      }),
    ]),
    0,
  );
  t.true(lines.includes('  job.1 signal dependencies: db/test/table1 MATCHED #3; db/test/table2 PENDING [dateint >= "20500101", n < 5]'), lines.join('\n'));
});

test('bypass info and outputs (announced, duplicate, pending) are shown', (t) => {
  const lines = instanceReport(
    view([
      step({
        status: 'FINISHING',
        signalDependencies: { info: 'Signal step dependencies have been bypassed by user [x]', dependencies: [{ name: 's', status: 'SKIPPED' }] },
        signalOutputs: {
          outputs: [
            { name: 'o1', params: {}, payload: {}, announced: true, signalId: 4, announceTimeMs: 10 },
            { name: 'o2', params: {}, payload: {}, announced: true, signalId: 1 },
            { name: 'o3', params: {}, payload: {}, announced: false },
          ],
        },
      }),
    ]),
    0,
  );
  t.true(lines.includes('  job.1 signal dependencies: s SKIPPED (Signal step dependencies have been bypassed by user [x])'), lines.join('\n'));
  t.true(lines.includes('  job.1 signal outputs: o1 #4; o2 #1 (duplicate); o3 not announced yet'), lines.join('\n'));
});
