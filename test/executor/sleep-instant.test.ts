/**
 * Sleep 0 (or a Sleep whose end is past) completes without a timer: abortableDelay(<= 0) makes
 * none, SleepRuntime.tryNow gives the verdict at once, and an owner runs such steps inline like
 * NoOp (no dispatch), so a chain of them makes no setTimeout call from the step path.
 */
import test from 'ava';
import { abortableDelay } from '../../src/executor/runtimes/abortable-delay.js';
import { SleepRuntime } from '../../src/executor/runtimes/sleep.js';
import { inlineRuntimes } from '../../src/executor/runtimes/registry.js';
import type { StepResult, StepTask } from '../../src/executor/runtime.js';
import { createEmbeddedNode } from '../../src/node/embedded.js';
import { waitForEnd } from '../helpers/wait.js';
import { makeTask, never } from './task-fixture.js';

/** setTimeout calls made while `fn` runs, with the stack of each (serial tests only: it patches the global). */
async function timersDuring<T>(fn: () => Promise<T>): Promise<{ value: T; stacks: string[] }> {
  const orig = globalThis.setTimeout;
  const stacks: string[] = [];
  globalThis.setTimeout = ((...a: Parameters<typeof setTimeout>) => {
    stacks.push(new Error().stack ?? '');
    return orig(...a);
  }) as typeof setTimeout;
  try {
    return { value: await fn(), stacks };
  } finally {
    globalThis.setTimeout = orig;
  }
}

test.serial('abortableDelay makes no timer for ms <= 0 (and one for ms > 0)', async (t) => {
  const zero = await timersDuring(async () => [await abortableDelay(0, never()), await abortableDelay(-5, never()), await abortableDelay(Number.NaN, never())]);
  t.deepEqual(zero.value, [true, true, true]);
  t.is(zero.stacks.length, 0);
  const ac = new AbortController();
  ac.abort();
  t.false(await abortableDelay(0, ac.signal), 'an aborted signal still wins');
  const one = await timersDuring(() => abortableDelay(1, never()));
  t.true(one.value);
  t.is(one.stacks.length, 1);
});

test.serial('Sleep tryNow: a verdict when the end is past (or the param is bad), undefined otherwise; run(0) makes no timer', async (t) => {
  const now = 1_000_000;
  const rt = new SleepRuntime(() => now);
  t.deepEqual(rt.tryNow(makeTask({ stepType: 'Sleep', params: { sleep_seconds: 0 }, startedAtMs: now })), { status: 'SUCCEEDED', details: { sleep_seconds: 0 } });
  t.deepEqual(rt.tryNow(makeTask({ stepType: 'Sleep', params: { sleep_seconds: '2' }, startedAtMs: now - 2_000 })), { status: 'SUCCEEDED', details: { sleep_seconds: 2 } });
  t.is(rt.tryNow(makeTask({ stepType: 'Sleep', params: { sleep_seconds: 2 }, startedAtMs: now - 1_999 })), undefined);
  t.is(rt.tryNow(makeTask({ stepType: 'Sleep', params: {}, startedAtMs: now })), undefined, "Maestro's default 3 s");
  t.like(rt.tryNow(makeTask({ stepType: 'Sleep', params: { sleep_seconds: -1 } })), { status: 'FATALLY_FAILED' });
  const run = await timersDuring(() => new SleepRuntime().run(makeTask({ stepType: 'Sleep', params: { sleep_seconds: 0 } }), never()));
  t.is(run.value.status, 'SUCCEEDED');
  t.is(run.stacks.length, 0);
  t.true(inlineRuntimes(new Map([['sleep', rt]])).has('sleep'), 'owners may run Sleep inline');
});

/** The built-in Sleep, counting how it was asked: inline (tryNow) or dispatched (run). */
class CountingSleep extends SleepRuntime {
  tried = 0;
  ran = 0;
  override tryNow(task: StepTask): StepResult | undefined {
    this.tried++;
    return super.tryNow(task);
  }
  override run(task: StepTask, signal: AbortSignal): Promise<StepResult> {
    this.ran++;
    return super.run(task, signal);
  }
}

const chain = (id: string, n: number, seconds: number | string) =>
  JSON.stringify({
    properties: { owner: 't' },
    workflow: {
      id,
      steps: Array.from({ length: n }, (_, i) => ({
        step: { id: `s${i}`, type: 'Sleep', params: { sleep_seconds: { value: seconds, type: typeof seconds === 'number' ? 'LONG' : 'STRING' } }, transition: { successors: i + 1 < n ? { [`s${i + 1}`]: 'true' } : {} } },
      })),
    },
  });

test.serial('a 10-step chain of Sleep 0 runs inline at the owner: no dispatch, no setTimeout from the step path; a real sleep is still dispatched', async (t) => {
  const sleep = new CountingSleep();
  const node = await createEmbeddedNode({ partitions: 1, logLevel: 'warn', extraRuntimes: [sleep] });
  t.teardown(() => node.close());
  await node.api.createWorkflow(chain('zero', 10, 0));
  await node.api.createWorkflow(chain('short', 1, '0.05'));

  const { value: end, stacks } = await timersDuring(async () => waitForEnd(node.api, 'zero', (await node.api.startWorkflow({ workflowId: 'zero' })).instanceId));
  t.is(end.status, 'SUCCEEDED');
  t.is(sleep.tried, 10);
  t.is(sleep.ran, 0, 'no Sleep 0 step was dispatched');
  // the executor (a dispatched attempt, a sleeping runtime) or a step timer armed by the owner
  const fromSteps = stacks.filter((s) => s.includes('/src/executor/') || s.includes('InstanceActor.arm'));
  t.deepEqual(fromSteps, [], `setTimeout calls from the step path (of ${stacks.length} in all)`);
  t.log(`setTimeout calls during the whole run (start request included): ${stacks.length}`);

  const short = await waitForEnd(node.api, 'short', (await node.api.startWorkflow({ workflowId: 'short' })).instanceId);
  t.is(short.status, 'SUCCEEDED');
  t.is(sleep.tried, 11, 'asked once more');
  t.is(sleep.ran, 1, 'a sleep with time left is dispatched as before');
});
