import test from 'ava';
import { NoOpRuntime } from '../../src/executor/runtimes/noop.js';
import { SleepRuntime } from '../../src/executor/runtimes/sleep.js';
import { makeTask, never } from './task-fixture.js';

test('NoOp succeeds at once', async (t) => {
  t.deepEqual(await new NoOpRuntime().run(), { status: 'SUCCEEDED' });
});

test('Sleep waits sleep_seconds from startedAtMs', async (t) => {
  const started = Date.now();
  const r = await new SleepRuntime().run(makeTask({ stepType: 'Sleep', params: { sleep_seconds: 0.1 } }), never());
  t.is(r.status, 'SUCCEEDED');
  t.true(Date.now() - started >= 95, `slept ${Date.now() - started} ms`);
});

test('a redelivered Sleep attempt only sleeps for what is left', async (t) => {
  const startedAtMs = Date.now() - 900;
  const before = Date.now();
  const r = await new SleepRuntime().run(makeTask({ params: { sleep_seconds: '1' }, startedAtMs }), never());
  const slept = Date.now() - before;
  t.is(r.status, 'SUCCEEDED');
  t.true(slept >= 80 && slept < 600, `slept ${slept} ms of the 100 left`);

  const past = Date.now();
  const done = await new SleepRuntime().run(makeTask({ params: { sleep_seconds: 5 }, startedAtMs: past - 60_000 }), never());
  t.is(done.status, 'SUCCEEDED');
  t.true(Date.now() - past < 1_000, 'an attempt whose end has passed does not sleep again');
});

test('Sleep without sleep_seconds uses Maestro\'s default of 3 seconds', async (t) => {
  const startedAtMs = 1_000_000;
  let clock = startedAtMs + 2_980; // 20 ms before the default end
  const rt = new SleepRuntime(() => clock);
  const before = Date.now();
  t.is((await rt.run(makeTask({ params: {}, startedAtMs }), never())).status, 'SUCCEEDED');
  t.true(Date.now() - before < 500);
  clock = startedAtMs; // at the start, a 3 s sleep must not be over within 100 ms
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 100);
  t.is((await rt.run(makeTask({ params: {}, startedAtMs }), ac.signal)).status, 'PLATFORM_FAILED');
});

test('Sleep honours the abort signal promptly', async (t) => {
  const ac = new AbortController();
  const before = Date.now();
  setTimeout(() => ac.abort(), 30);
  const r = await new SleepRuntime().run(makeTask({ params: { sleep_seconds: 60 } }), ac.signal);
  t.is(r.status, 'PLATFORM_FAILED');
  t.regex(r.error ?? '', /cancelled/);
  t.true(Date.now() - before < 1_000);
  const pre = new AbortController();
  pre.abort();
  t.is((await new SleepRuntime().run(makeTask({ params: { sleep_seconds: 60 } }), pre.signal)).status, 'PLATFORM_FAILED');
});

test('Sleep rejects a sleep_seconds that is not a non-negative number, naming the param', async (t) => {
  for (const bad of ['soon', -1, '', { n: 1 }, true]) {
    const r = await new SleepRuntime().run(makeTask({ params: { sleep_seconds: bad } }), never());
    t.is(r.status, 'FATALLY_FAILED', JSON.stringify(bad));
    t.regex(r.error ?? '', /sleep_seconds/);
  }
});
