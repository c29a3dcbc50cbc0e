import test from 'ava';
import { followChanges, monotonic } from '../../src/cli/follow.js';
import type { InstanceView } from '../../src/core/instance/view.js';
import type { WatchedChange } from '../../src/control/mapping.js';

const base = { workflowId: 'wf', instanceId: 1, runId: 1 };

test('monotonic(): a change stamped before the last one shown is shown at that time', (t) => {
  const clock = monotonic();
  t.is(clock({ ...base, atMs: 100, status: 'A' }).atMs, 100);
  t.is(clock({ ...base, atMs: 90, status: 'B' }).atMs, 100, 'another clock, a little behind');
  t.is(clock({ ...base, atMs: 150, status: 'C' }).atMs, 150);
});

test('followChanges prints a snapshot as a story in time order, then changes, and its times never go back', async (t) => {
  // Steps in definition order end out of time order: b (listed second) ended first.
  const view = {
    ...base,
    status: 'IN_PROGRESS',
    createdAtMs: 1000,
    startedAtMs: 1000,
    steps: [
      { stepId: 'a', status: 'SUCCEEDED', attempts: [{}], startedAtMs: 1000, endedAtMs: 3000 },
      { stepId: 'b', status: 'SUCCEEDED', attempts: [{}], startedAtMs: 1000, endedAtMs: 2000 },
    ],
  } as unknown as InstanceView;
  async function* changes(): AsyncGenerator<WatchedChange> {
    yield { ...base, atMs: 3000, status: 'IN_PROGRESS', snapshot: view };
    yield { ...base, stepId: 'c', attempt: 1, atMs: 2900, status: 'RUNNING' }; // a worker's clock, behind
    yield { ...base, atMs: 4000, status: 'SUCCEEDED' };
  }
  const lines: string[] = [];
  await followChanges(changes(), async () => view, (l) => lines.push(l));
  t.deepEqual(lines, [
    '[   0.00s] workflow IN_PROGRESS',
    '[   1.00s] step b SUCCEEDED',
    '[   2.00s] step a SUCCEEDED',
    '[   2.00s] step c RUNNING',
    '[   3.00s] workflow SUCCEEDED',
  ]);
});
