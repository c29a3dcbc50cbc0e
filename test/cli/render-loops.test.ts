import test from 'ava';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHarness, type Harness } from '../control/harness.js';
import { waitForEnd } from '../helpers/wait.js';
import { maestro } from './helpers.js';
import { instanceReport } from '../../src/cli/render.js';
import { formatIdRanges, toRanges } from '../../src/cli/render-loops.js';
import type { InstanceView } from '../../src/core/instance/view.js';

// `maestro get` for foreach / while / subworkflow steps and child instances: overview lines,
// rollup, parent; and that a 25,000-iteration foreach renders in a bounded number of lines.

const base = (over: Partial<InstanceView>): InstanceView =>
  ({
    workflowId: 'wf',
    instanceId: 1,
    runId: 1,
    version: 1,
    status: 'IN_PROGRESS',
    createdAtMs: 0,
    startedAtMs: 0,
    steps: [],
    params: {},
    rollup: { total: 0, counts: {} },
    initiator: 'MANUAL',
    depth: 0,
    correlationId: 'c',
    ...over,
  }) as InstanceView;

test('ranges: compressed, sorted, and cut after 8 with a count of the rest', (t) => {
  t.deepEqual(toRanges([5, 1, 2, 3, 9, 10, 4]), [
    [1, 5],
    [9, 10],
  ]);
  t.is(formatIdRanges([[1, 9]]), '1-9');
  t.is(formatIdRanges([[3, 3]]), '3');
  const many = Array.from({ length: 12_500 }, (_, i) => [2 * i + 1, 2 * i + 1] as [number, number]);
  t.is(formatIdRanges(many), '1, 3, 5, 7, 9, 11, 13, 15, … (+12492 more ranges)');
});

test('a 25,000-iteration foreach with scattered statuses is a few short lines', (t) => {
  const succeeded = Array.from({ length: 12_000 }, (_, i) => [2 * i + 1, 2 * i + 1] as [number, number]);
  const view = base({
    steps: [
      {
        stepId: 'loop',
        stepType: 'foreach',
        status: 'RUNNING',
        attempts: [],
        params: {},
        outputs: {},
        overview: {
          kind: 'foreach',
          inlineWorkflowId: 'maestro_foreach_x',
          runId: 1,
          total: 25_000,
          concurrency: 500,
          launched: 24_500,
          running: Array.from({ length: 500 }, (_, i) => 24_001 + i),
          details: { SUCCEEDED: succeeded, FAILED: [[2, 2]] },
          stats: { SUCCEEDED: 12_000, FAILED: 1 },
          rollup: { total: 12_001, counts: { SUCCEEDED: 12_000, FATALLY_FAILED: 1 } },
        },
      },
    ],
    rollup: { total: 12_001, counts: { SUCCEEDED: 12_000, FATALLY_FAILED: 1 } },
  });
  const lines = instanceReport(view, 1000);
  t.true(lines.length < 10, lines.join('\n'));
  t.true(lines.every((l) => l.length < 400), lines.join('\n'));
  const loop = lines.find((l) => l.startsWith('  loop: '))!;
  t.true(loop.startsWith('  loop: 12001/25000 iterations: SUCCEEDED 1, 3, 5, 7, 9, 11, 13, 15, … (+11992 more ranges); FAILED 2 (concurrency 500, run 1); running 500: 24001-24500'), loop);
  t.true(lines.includes('leaf steps: 12000 SUCCEEDED, 1 FATALLY_FAILED'));
});

let h: Harness;
let dir: string;

test.before(async () => {
  h = await startHarness();
  dir = await mkdtemp(join(tmpdir(), 'maestro-cli-loops-'));
  const props = { owner: 'tester', run_strategy: 'parallel' };
  await writeFile(join(dir, 'child.json'), JSON.stringify({ properties: props, workflow: { id: 'rl-child', steps: [{ step: { id: 'c1', type: 'NoOp' } }, { step: { id: 'c2', type: 'NoOp' } }] } }));
  await writeFile(
    join(dir, 'loops.json'),
    JSON.stringify({
      properties: props,
      workflow: {
        id: 'rl-loops',
        steps: [
          {
            foreach: {
              id: 'each',
              params: { loop_params: { value: { i: { expression: 'Util.intsBetween(0, 9, 1)', type: 'LONG_ARRAY' } }, type: 'MAP' } },
              steps: [{ step: { id: 'body', type: 'NoOp' } }],
            },
          },
          {
            while: {
              id: 'again',
              condition: 'n < 3',
              params: { loop_params: { value: { n: { value: 0, type: 'LONG' } }, type: 'MAP' } },
              steps: [{ step: { id: 'inc', type: 'NoOp', params: { n: { expression: 'n + 1', type: 'LONG' } } } }],
            },
          },
          { subworkflow: { id: 'sub', params: { subworkflow_id: { value: 'rl-child', type: 'STRING' } } } },
        ],
      },
    }),
  );
});
test.after.always(async () => {
  await h?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('maestro get: overview lines for foreach, while and subworkflow steps, the rollup, and the parent of a child', async (t) => {
  const env = { MAESTRO_SERVER: h.address };
  for (const f of ['child.json', 'loops.json']) {
    const push = await maestro(['push', join(dir, f)], { env });
    t.is(push.code, 0, push.stderr);
  }
  const run = await h.node.api.startWorkflow({ workflowId: 'rl-loops' });
  const end = await waitForEnd(h.node.api, 'rl-loops', run.instanceId);
  t.is(end.status, 'SUCCEEDED', end.error);

  const get = await maestro(['get', 'rl-loops', String(run.instanceId)], { env });
  t.is(get.code, 0, get.stderr);
  const foreachOv = end.steps.find((s) => s.stepId === 'each')!.overview!;
  const inline = foreachOv.kind === 'foreach' ? foreachOv.inlineWorkflowId : '';
  t.true(inline.startsWith('maestro_foreach_'), inline);
  t.true(get.stdout.includes(`  each: 9/9 iterations: SUCCEEDED 1-9 (concurrency 20, run 1); iterations are instances of ${inline}\n`), get.stdout);
  t.regex(get.stdout, /^ {2}again: 3 iterations \(run 1\); last SUCCEEDED; n = \[0, 1, 2, 3\]; iterations are instances of maestro_while_\S+$/m);
  t.regex(get.stdout, /^ {2}sub: child rl-child\/\d+ run 1 version 1: SUCCEEDED \(sync\)$/m);
  // 9 foreach bodies + 3 while bodies + 2 child steps
  t.regex(get.stdout, /^leaf steps: 14 SUCCEEDED$/m);
  t.notRegex(get.stdout, /^parent:/m);

  // an iteration is an instance of its own: `maestro get` shows where it belongs
  const iteration = await maestro(['get', inline, '4'], { env });
  t.is(iteration.code, 0, iteration.stderr);
  t.regex(iteration.stdout, new RegExp(`^parent: rl-loops/${run.instanceId} run 1, step each \\(attempt 1\\); depth 1; initiator FOREACH$`, 'm'));
  t.regex(iteration.stdout, /^leaf steps: 1 SUCCEEDED$/m);

  const json = await maestro(['get', 'rl-loops', String(run.instanceId), '--json'], { env });
  t.is(json.code, 0, json.stderr);
  const view = JSON.parse(json.stdout) as InstanceView;
  t.deepEqual(view.rollup, { total: 14, counts: { SUCCEEDED: 14 } });
  t.like(view.steps.find((s) => s.stepId === 'each')!.overview, { kind: 'foreach', total: 9, concurrency: 20, details: { SUCCEEDED: [[1, 9]] }, stats: { SUCCEEDED: 9 } });
  t.like(view.steps.find((s) => s.stepId === 'again')!.overview, { kind: 'while', iterations: 3, loopParamValues: { n: [0, 1, 2, 3] } });
  t.like(view.steps.find((s) => s.stepId === 'sub')!.overview, { kind: 'subworkflow', workflowId: 'rl-child', status: 'SUCCEEDED', sync: true });
});
