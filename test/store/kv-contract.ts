/** The KvStore contract (src/store/port.ts), run against every adapter by the *.test.ts files. */
import test from 'ava';
import { CasConflictError, getChecked, KvCorruptError, updateKv, type KvStore } from '../../src/store/port.js';

/** The check an integer counter's reads pass. */
export function asCount(v: unknown): number {
  if (!Number.isSafeInteger(v)) throw new Error(`expected an integer, got ${JSON.stringify(v)}`);
  return v as number;
}

export function kvContract(adapter: string, make: () => Promise<{ kv: KvStore; cleanup(): Promise<void> }>): void {
  const setup = async (t: { teardown(fn: () => Promise<void>): void }) => {
    const h = await make();
    t.teardown(() => h.cleanup());
    return h.kv;
  };

  test(`${adapter}: put/get/delete with increasing revisions`, async (t) => {
    const kv = await setup(t);
    t.is(await kv.get('a'), undefined);
    const r1 = await kv.put('a', { v: 1 });
    const r2 = await kv.put('a', { v: 2 });
    t.true(r2 > r1 && r1 > 0);
    t.deepEqual(await kv.get('a'), { key: 'a', value: { v: 2 }, revision: r2 });
    await kv.delete('a');
    await kv.delete('a');
    t.is(await kv.get('a'), undefined);
  });

  test(`${adapter}: a CAS conflict rejects and writes nothing`, async (t) => {
    const kv = await setup(t);
    const r1 = await kv.put('wf/def', { version: 1 }, 0);
    await t.throwsAsync(kv.put('wf/def', { version: 2 }, 0), { instanceOf: CasConflictError, message: /wf\/def/ });
    await t.throwsAsync(kv.put('wf/def', { version: 2 }, r1 + 7), { instanceOf: CasConflictError });
    await t.throwsAsync(kv.put('other', 1, 3), { instanceOf: CasConflictError });
    t.deepEqual(await kv.get('wf/def'), { key: 'wf/def', value: { version: 1 }, revision: r1 });
    t.is(await kv.get('other'), undefined);
    const r2 = await kv.put('wf/def', { version: 2 }, r1);
    t.true(r2 > r1);
  });

  test(`${adapter}: list returns the prefix's entries in key order`, async (t) => {
    const kv = await setup(t);
    for (const k of ['wf/b', 'wf/a', 'wg/x', 'wf/c/1', 'w']) await kv.put(k, k.toUpperCase());
    await kv.delete('wf/c/1');
    t.deepEqual((await kv.list('wf/')).map((e) => [e.key, e.value]), [['wf/a', 'WF/A'], ['wf/b', 'WF/B']]);
    t.deepEqual((await kv.list('')).map((e) => e.key), ['w', 'wf/a', 'wf/b', 'wg/x']);
    t.deepEqual(await kv.list('zz'), []);
  });

  test(`${adapter}: concurrent CAS updates from one process all land`, async (t) => {
    const kv = await setup(t);
    await Promise.all(Array.from({ length: 25 }, () => updateKv<number>(kv, 'counter', (n) => (n ?? 0) + 1, asCount, 100)));
    t.is((await kv.get<number>('counter'))?.value, 25);
  });

  test(`${adapter}: a value of the wrong shape is a KvCorruptError naming key and revision, and updateKv writes nothing over it`, async (t) => {
    const kv = await setup(t);
    const revision = await kv.put('seq/wf', 'not a number');
    const err = await t.throwsAsync(getChecked(kv, 'seq/wf', asCount), { instanceOf: KvCorruptError });
    t.is(err?.key, 'seq/wf');
    t.is(err?.revision, revision);
    t.regex(err!.message, /KV value of seq\/wf \(revision \d+\): expected an integer, got "not a number"/);
    await t.throwsAsync(updateKv<number>(kv, 'seq/wf', (n) => (n ?? 0) + 100, asCount), { instanceOf: KvCorruptError });
    t.is((await kv.get('seq/wf'))?.value, 'not a number');
  });

  test(`${adapter}: values are copies`, async (t) => {
    const kv = await setup(t);
    const value = { list: [1] };
    await kv.put('k', value);
    value.list.push(2);
    const got = await kv.get<{ list: number[] }>('k');
    got!.value.list.push(3);
    t.deepEqual((await kv.get('k'))?.value, { list: [1] });
  });
}
