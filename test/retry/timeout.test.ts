import test from 'ava';
import { settledWithin, TimeoutError, withTimeout } from '../../src/retry/index.js';

const never = new Promise<never>(() => undefined);

test('withTimeout passes a result through and rejects TimeoutError naming the wait', async (t) => {
  t.is(await withTimeout(Promise.resolve(7), 1_000, 'x'), 7);
  await t.throwsAsync(withTimeout(Promise.reject(new Error('own')), 1_000, 'x'), { message: 'own' });
  const err = await t.throwsAsync(withTimeout(never, 0, 'NATS drain'), { instanceOf: TimeoutError });
  t.is(err!.message, 'NATS drain: no answer within 0 ms');
});

test('settledWithin says whether everything settled in time', async (t) => {
  t.true(await settledWithin([], 0));
  t.true(await settledWithin([Promise.resolve(1), Promise.reject(new Error('x'))], 1_000));
  t.false(await settledWithin([Promise.resolve(1), never], 0));
});
