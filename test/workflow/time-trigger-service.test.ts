/**
 * The `~cron` service kind on its own (time-trigger-service.ts), with a real DefinitionRegistry
 * over a memory KV, a fake clock and a scripted transport: what happens when starts fail on the
 * way to the queue, and after a crash (a new incarnation resumes from the journaled state).
 */
import test from 'ava';
import { MaestroError, NotFoundError } from '../../src/core/errors.js';
import { parseWorkflowInput } from '../../src/core/definition/parse.js';
import { timeTriggerKeyOf } from '../../src/core/signals/model.js';
import { queueKeyOf } from '../../src/core/queue/model.js';
import type { CronEffect, CronEvent, CronState } from '../../src/core/triggers/index.js';
import { DefinitionRegistry } from '../../src/workflow/definitions.js';
import { timeTriggerServiceKind } from '../../src/workflow/time-trigger-service.js';
import type { ServiceContext } from '../../src/workflow/service-actor.js';
import type { Transport } from '../../src/transport/port.js';
import { MemoryKv } from '../../src/store/memory/memory-kv.js';
import { recordingLogger, type LogRecord } from '../helpers/log.js';

const T0 = Date.UTC(2026, 0, 1, 0, 0, 30);
const KEY = timeTriggerKeyOf('svc-wf');

/** Answers requests with `answer(to, body)` (throw to fail), recording them. */
function scriptedTransport(answer: (to: string, body: { requestId?: string }) => unknown) {
  const sent: Array<{ to: string; body: { requestId?: string; trigger?: unknown } }> = [];
  const transport = {
    async request(to: string, body: unknown) {
      sent.push({ to, body: body as { requestId?: string } });
      return answer(to, body as { requestId?: string });
    },
  } as unknown as Transport;
  return { transport, sent };
}

/** One actor incarnation: messages handled one at a time (toEvents, apply, effects, reply), as the mailbox does. */
function incarnation(state: CronState, kind: ReturnType<typeof timeTriggerServiceKind>, transport: Transport, clock: { ms: number }, records: LogRecord[]) {
  let s = state;
  let chain: Promise<unknown> = Promise.resolve();
  const ctx: ServiceContext = { key: KEY, transport, now: () => clock.ms, log: recordingLogger(records), post: (msg) => handle(msg) };
  const handle = (msg: unknown): Promise<unknown> => {
    const step = chain.then(async () => {
      const events: CronEvent[] = await kind.toEvents(ctx, s, msg as never);
      const effects: CronEffect[] = [];
      for (const e of events) {
        const r = kind.reducer.apply(s, e);
        s = r.state;
        effects.push(...r.effects);
      }
      const results = effects.map((f) => kind.run(ctx, f));
      return { reply: kind.reply(ctx, s, msg as never, { events, effects, results }) };
    });
    chain = step.catch(() => undefined);
    return step.then((r) => r.reply);
  };
  return {
    handle,
    get state() {
      return s;
    },
    resume: () => Promise.all(kind.reducer.resume(s).map((f) => kind.run(ctx, f))),
  };
}

test('a start the queue cannot take stays pending; after a crash the next incarnation re-sends it with the same request id; a refusal for good drops it', async (t) => {
  const clock = { ms: T0 };
  const definitions = new DefinitionRegistry(new MemoryKv(), () => clock.ms);
  await definitions.create(
    parseWorkflowInput(JSON.stringify({ properties: { owner: 't' }, workflow: { id: 'svc-wf', time_triggers: [{ type: 'CRON', cron: '*/2 * * * *' }], steps: [{ step: { id: 'a', type: 'NoOp' } }] } })),
  );
  const kind = timeTriggerServiceKind({ definitions, requestTimeoutMs: 1000, retryMs: 3_600_000 });
  const records: LogRecord[] = [];

  // the queue is unreachable
  const down = scriptedTransport(() => {
    throw new MaestroError('unavailable', 'queue owner moving');
  });
  const first = incarnation(kind.reducer.initial(KEY), kind, down.transport, clock, records);
  t.deepEqual(await first.handle({ type: 'Sync' }), { subscribed: true, fired: 0 });
  clock.ms = T0 + 4 * 60_000; // 00:04:30: fires 00:02, 00:04
  t.deepEqual(await first.handle({ type: 'Sync' }), { subscribed: true, fired: 2 });
  t.is(down.sent.length, 1, 'the first failure stops the round (order is kept)');
  t.deepEqual(first.state.pending.map((f) => f.fireMs), [Date.UTC(2026, 0, 1, 0, 2), Date.UTC(2026, 0, 1, 0, 4)]);
  t.true(records.some((r) => /not delivered/.test(r.message)));
  const ids = first.state.pending.map((f) => f.requestId);

  // crash: a new owner recovers the journaled state and resumes; the queue is back
  const up = scriptedTransport(() => ({ ok: true }));
  const second = incarnation(structuredClone(first.state), kind, up.transport, clock, records);
  await second.resume();
  await second.handle({ type: 'Sync' }); // answers once every start due by now was answered
  t.deepEqual(up.sent.map((m) => [m.to, m.body.requestId]), ids.map((id) => [queueKeyOf('svc-wf'), id]), 'same ids, in order, once each');
  t.deepEqual(second.state.pending, []);
  t.is(second.state.sub?.watermarks[0], Date.UTC(2026, 0, 1, 0, 4), 'watermarks were journaled with the fires');

  // the queue refuses for good (e.g. the workflow vanished between the read and the start): dropped, logged
  const refused = scriptedTransport(() => {
    throw new NotFoundError('workflow svc-wf not found');
  });
  const third = incarnation(structuredClone(second.state), kind, refused.transport, clock, records);
  clock.ms = T0 + 6 * 60_000;
  t.deepEqual(await third.handle({ type: 'Sync' }), { subscribed: true, fired: 1 });
  t.deepEqual(third.state.pending, []);
  t.true(records.some((r) => /refused by the queue owner/.test(r.message)));

  // the definitions cannot be read: a Sync (someone asked) fails; a Tick (the timer) is logged, not lost
  const broken = Object.create(definitions, {
    header: {
      value: async () => {
        throw new MaestroError('unavailable', 'kv down');
      },
    },
  }) as DefinitionRegistry;
  const flaky = timeTriggerServiceKind({ definitions: broken, requestTimeoutMs: 1000 });
  const fourth = incarnation(structuredClone(third.state), flaky, refused.transport, clock, records);
  await t.throwsAsync(fourth.handle({ type: 'Sync' }), { message: /kv down/ });
  t.deepEqual(await fourth.handle({ type: 'Tick' }), { subscribed: true, fired: 0 });
  t.true(records.some((r) => /tick failed; retried/.test(r.message)));
  t.deepEqual(fourth.state, third.state, 'nothing journaled');
});
