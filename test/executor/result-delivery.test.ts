import test from 'ava';
import { MaestroError } from '../../src/core/errors.js';
import { ResultDeliveryError } from '../../src/executor/errors.js';
import { deliverResult } from '../../src/executor/result-delivery.js';
import type { StepResultMessage } from '../../src/protocol/executor.js';
import type { RequestOptions, Transport } from '../../src/transport/port.js';
import { recordingLogger } from '../helpers/log.js';

const msg: StepResultMessage = { type: 'StepResult', stepId: 's', runId: 1, attempt: 1, attemptId: 'wf/1/1/s/1', result: { status: 'SUCCEEDED' } };
const moving = () => new MaestroError('unavailable', 'partition 4 is moving', { retryable: true });

/** A transport whose request() answers with `answer(n)` for the n-th call (1-based); records msgIds. */
function fakeTransport(answer: (n: number) => unknown): Transport & { msgIds: string[] } {
  const msgIds: string[] = [];
  return {
    msgIds,
    request: async (_to: string, _body: unknown, opts?: RequestOptions) => {
      msgIds.push(opts?.msgId ?? '');
      const a = answer(msgIds.length);
      if (a instanceof Error) throw a;
      return a;
    },
  } as unknown as Transport & { msgIds: string[] };
}

/** Simulated time: sleeping advances it at once. */
function fakeTime() {
  let nowMs = 0;
  return { now: () => nowMs, sleep: async (ms: number) => void (nowMs += ms) };
}

const policy = { initialPauseMs: 50, maxPauseMs: 5_000, warnEveryMs: 30_000 };

test('keeps retrying past any deadline until the owner takes it, warning at a bounded rate', async (t) => {
  const time = fakeTime();
  const log = recordingLogger();
  // The owner refuses for about ten simulated minutes, then accepts.
  const transport = fakeTransport(() => (time.now() < 600_000 ? moving() : 'accepted'));
  const ok = await deliverResult(transport, 'wf/1', msg, { ...policy, timeoutMs: 1_000, log }, () => false, new AbortController().signal, time.now, time.sleep);
  t.true(ok);
  t.true(transport.msgIds.length > 100);
  t.true(transport.msgIds.every((id) => id === 'wf/1/1/s/1#result'), 'every try carries the same msgId');
  const warnings = log.records.filter((r) => r.level === 'warn');
  t.true(warnings.length >= 19 && warnings.length <= 21, `one warning per 30 s over 600 s, got ${warnings.length}`);
  t.is(warnings[0]!.fields['attemptId'], msg.attemptId);
  t.is(warnings[0]!.fields['tries'], 1);
  t.regex((warnings[0]!.fields['err'] as Error).message, /partition 4 is moving/);
  const last = log.records.at(-1)!;
  t.deepEqual([last.level, last.message, last.fields['tries']], ['info', 'result delivered', transport.msgIds.length]);
});

test('stops, resolving false, once the attempt is known dead', async (t) => {
  const time = fakeTime();
  let dead = false;
  const transport = fakeTransport((n) => {
    if (n === 3) dead = true; // e.g. the attempt was cancelled meanwhile
    return moving();
  });
  t.false(await deliverResult(transport, 'wf/1', msg, { ...policy, log: recordingLogger() }, () => dead, new AbortController().signal, time.now, time.sleep));
  t.is(transport.msgIds.length, 3);
  const closing = new AbortController();
  closing.abort();
  const idle = fakeTransport(() => 'accepted');
  t.false(await deliverResult(idle, 'wf/1', msg, policy, () => false, closing.signal, time.now, time.sleep));
  t.is(idle.msgIds.length, 0);
});

test('a non-retryable rejection is reported at once', async (t) => {
  const time = fakeTime();
  const transport = fakeTransport(() => new MaestroError('failed_precondition', 'no such instance'));
  const err = await t.throwsAsync(deliverResult(transport, 'wf/1', msg, policy, () => false, new AbortController().signal, time.now, time.sleep), {
    instanceOf: ResultDeliveryError,
  });
  t.regex(err!.message, /wf\/1\/1\/s\/1 was not delivered: the transport rejected it: no such instance/);
  t.is(transport.msgIds.length, 1);
});
