import test from 'ava';
import { MaestroError } from '../../src/core/errors.js';
import { Backoff, BackoffConfigError, retry, RetryAbortedError, RetryDeadlineError, type Clock, type RetryEvent } from '../../src/retry/index.js';

/** A clock whose sleep advances time at once: no test here ever waits. */
function fakeClock(startMs = 1_000): Clock & { sleeps: number[] } {
  let now = startMs;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    sleep: async (ms, signal) => {
      sleeps.push(ms);
      if (!signal?.aborted) now += ms;
    },
  };
}

const retryable = (msg = 'moving') => new MaestroError('unavailable', msg, { retryable: true });

/** fn failing with `errors` in turn, then resolving 'ok'. */
function failing(errors: unknown[]): { fn: () => Promise<string>; calls: number } {
  const state = { calls: 0, fn: async () => {
    const e = errors[state.calls++];
    if (e !== undefined) throw e;
    return 'ok';
  } };
  return state;
}

test('backoff doubles up to the cap with equal jitter', (t) => {
  const lowest = new Backoff({ initialMs: 10, maxMs: 100 }, () => 0);
  t.deepEqual(Array.from({ length: 6 }, () => lowest.next()), [5, 10, 20, 40, 50, 50]);
  const highest = new Backoff({ initialMs: 10, maxMs: 100, factor: 3 }, () => 1);
  t.deepEqual(Array.from({ length: 4 }, () => highest.next()), [10, 30, 90, 100]);
  highest.reset();
  t.is(highest.next(), 10);
  t.throws(() => new Backoff({ initialMs: 0, maxMs: 10 }), { instanceOf: BackoffConfigError });
  t.throws(() => new Backoff({ initialMs: 20, maxMs: 10 }), { instanceOf: BackoffConfigError });
});

test('retries retryable errors with backoff and returns the result', async (t) => {
  const clock = fakeClock();
  const events: RetryEvent[] = [];
  const f = failing([retryable(), retryable(), retryable()]);
  const out = await retry(f.fn, { what: 'op', backoff: { initialMs: 10, maxMs: 25 }, clock, random: () => 1, onRetry: (e) => events.push(e) });
  t.is(out, 'ok');
  t.is(f.calls, 4);
  t.deepEqual(clock.sleeps, [10, 20, 25]);
  t.deepEqual(events.map((e) => [e.attempt, e.delayMs, e.elapsedMs]), [[1, 10, 0], [2, 20, 10], [3, 25, 30]]);
});

test('a non-retryable error is rethrown as is, at once', async (t) => {
  const clock = fakeClock();
  const fatal = new MaestroError('invalid_argument', 'bad');
  const f = failing([retryable(), fatal]);
  const err = await t.throwsAsync(retry(f.fn, { what: 'op', backoff: { initialMs: 10, maxMs: 10 }, clock }));
  t.is(err, fatal);
  t.is(f.calls, 2);
  const custom = failing([new Error('plain'), new Error('plain')]);
  t.is(await retry(custom.fn, { what: 'op', backoff: { initialMs: 1, maxMs: 1 }, clock, shouldRetry: (e) => (e as Error).message === 'plain' }), 'ok');
});

test('a deadline bounds the tries and the waits; the last error is the cause', async (t) => {
  const clock = fakeClock();
  const remaining: number[] = [];
  const err = await t.throwsAsync(
    retry(
      async ({ remainingMs }) => {
        remaining.push(remainingMs);
        throw retryable(`try ${remaining.length}`);
      },
      { what: 'send to x', backoff: { initialMs: 40, maxMs: 40 }, deadlineMs: 100, clock, random: () => 1 },
    ),
    { instanceOf: RetryDeadlineError },
  );
  t.deepEqual(remaining, [100, 60, 20]);
  t.deepEqual(clock.sleeps, [40, 40, 20], 'the last wait stops at the deadline');
  t.is((err!.cause as Error).message, 'try 3');
  t.is(err!.attempts, 3);
  t.regex(err!.message, /^send to x: gave up after 3 tries in 100 ms: try 3$/);
  t.true(err!.retryable);
});

test('onDeadline picks the error; maxAttempts bounds the tries', async (t) => {
  const clock = fakeClock();
  const f = failing([retryable('a'), retryable('b'), retryable('c')]);
  const err = await t.throwsAsync(
    retry(f.fn, { what: 'op', backoff: { initialMs: 1, maxMs: 1 }, maxAttempts: 2, clock, onDeadline: (last, n) => new Error(`mine ${n} ${(last as Error).message}`) }),
  );
  t.is(err!.message, 'mine 2 b');
  t.is(f.calls, 2);
});

test('without a deadline it keeps going', async (t) => {
  const clock = fakeClock();
  const f = failing(Array.from({ length: 200 }, () => retryable()));
  t.is(await retry(f.fn, { what: 'op', backoff: { initialMs: 10, maxMs: 1_000 }, clock }), 'ok');
  t.is(f.calls, 201);
});

test('an abort stops between tries and cuts a wait short', async (t) => {
  const clock = fakeClock();
  const ac = new AbortController();
  let calls = 0;
  const err = await t.throwsAsync(
    retry(
      async () => {
        if (++calls === 3) ac.abort();
        throw retryable(`try ${calls}`);
      },
      { what: 'deliver', backoff: { initialMs: 10, maxMs: 10 }, signal: ac.signal, clock },
    ),
    { instanceOf: RetryAbortedError },
  );
  t.is(calls, 3);
  t.is((err!.cause as Error).message, 'try 3');
  t.false(err!.retryable);
  const before = new AbortController();
  before.abort(new Error('closing'));
  await t.throwsAsync(retry(async () => 'never', { what: 'x', backoff: { initialMs: 1, maxMs: 1 }, signal: before.signal, clock }), { instanceOf: RetryAbortedError });
});

test('the real clock sleep ends early on abort', async (t) => {
  const { realClock } = await import('../../src/retry/index.js');
  const ac = new AbortController();
  const slept = realClock.sleep(60_000, ac.signal);
  ac.abort();
  await slept;
  t.pass();
});
