import test from 'ava';
import { GroupCommitter } from '../../src/storage/group-commit.js';

/** A write function whose calls the test completes by hand. */
function manualWriter() {
  const calls: Array<{ partition: number; items: number[]; finish: (err?: Error) => void }> = [];
  let notify: (() => void) | undefined;
  const write = (partition: number, items: number[]) =>
    new Promise<void>((resolve, reject) => {
      calls.push({ partition, items, finish: (err) => (err ? reject(err) : resolve()) });
      notify?.();
    });
  const nextCall = async (n: number) => {
    while (calls.length < n) await new Promise<void>((r) => (notify = r));
    return calls[n - 1]!;
  };
  return { calls, write, nextCall };
}

test('submits made while a write is in flight go out together in the next write', async (t) => {
  const w = manualWriter();
  const gc = new GroupCommitter<number>(w.write);
  const first = gc.submit(0, 0);
  const c1 = await w.nextCall(1);
  t.deepEqual(c1.items, [0]);
  const rest = Array.from({ length: 50 }, (_, i) => gc.submit(0, i + 1));
  t.is(w.calls.length, 1, 'nothing else is written while the first write is in flight');
  c1.finish();
  await first;
  const c2 = await w.nextCall(2);
  t.deepEqual(c2.items, Array.from({ length: 50 }, (_, i) => i + 1));
  c2.finish();
  await Promise.all(rest);
  t.is(w.calls.length, 2);
  t.deepEqual(gc.stats(), { writes: 2, items: 51 });
});

test('submits in the same tick share the first write', async (t) => {
  let writes = 0;
  const seen: number[] = [];
  const gc = new GroupCommitter<number>(async (_p, items) => {
    writes++;
    seen.push(...items);
  });
  await Promise.all([1, 2, 3, 4].map((i) => gc.submit(7, i)));
  t.is(writes, 1);
  t.deepEqual(seen, [1, 2, 3, 4]);
});

test('maxBatch caps a write and order is kept across writes', async (t) => {
  const batches: number[][] = [];
  const gc = new GroupCommitter<number>(async (_p, items) => void batches.push(items), { maxBatch: 3 });
  await Promise.all(Array.from({ length: 8 }, (_, i) => gc.submit(0, i)));
  t.deepEqual(batches, [[0, 1, 2], [3, 4, 5], [6, 7]]);
  t.throws(() => new GroupCommitter<number>(async () => {}, { maxBatch: 0 }), { message: /maxBatch/ });
});

test('a failed write rejects every caller in it with its error, and later batches still commit', async (t) => {
  const w = manualWriter();
  const gc = new GroupCommitter<number>(w.write);
  const a = gc.submit(0, 1);
  const c1 = await w.nextCall(1);
  const b = gc.submit(0, 2);
  const c = gc.submit(0, 3);
  const boom = new Error('disk full');
  c1.finish();
  await a;
  const c2 = await w.nextCall(2);
  t.deepEqual(c2.items, [2, 3]);
  const d = gc.submit(0, 4);
  c2.finish(boom);
  t.is(await t.throwsAsync(b), boom);
  t.is(await t.throwsAsync(c), boom);
  const c3 = await w.nextCall(3);
  t.deepEqual(c3.items, [4]);
  c3.finish();
  await d;
});

test('a write that throws synchronously rejects its callers', async (t) => {
  const gc = new GroupCommitter<number>(() => {
    throw new Error('sync failure');
  });
  await t.throwsAsync(gc.submit(0, 1), { message: 'sync failure' });
});

test('partitions commit independently and idle() waits for all of them', async (t) => {
  const w = manualWriter();
  const gc = new GroupCommitter<number>(w.write);
  const p0 = gc.submit(0, 10);
  const p1 = gc.submit(1, 11);
  const [c1, c2] = [await w.nextCall(1), await w.nextCall(2)];
  t.deepEqual(new Set([c1.partition, c2.partition]), new Set([0, 1]), 'both partitions have a write in flight');
  let idle = false;
  const idleP = gc.idle().then(() => (idle = true));
  c1.finish();
  await new Promise((r) => setImmediate(r));
  t.false(idle);
  c2.finish();
  await Promise.all([p0, p1, idleP]);
  t.true(idle);
});
