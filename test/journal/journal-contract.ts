/**
 * The Journal contract (src/journal/port.ts), run against every adapter by the *.test.ts files.
 * `frames` (optional) counts the calls that reached the medium, to prove rejected calls wrote nothing.
 */
import test from 'ava';
import { StaleEpochError, ValidationError } from '../../src/core/errors.js';
import type { Journal, JournalRecord, PartitionImage } from '../../src/journal/port.js';

export interface JournalHarness {
  journal: Journal;
  frames?: () => number;
  cleanup(): Promise<void>;
}

const rec = (instanceKey: string, seq: number, event: unknown = { type: 'step', seq }): JournalRecord => ({
  instanceKey,
  seq,
  event,
});

/** The image as plain data: instances sorted by key, so adapters' map orders don't matter. */
export function plain(img: PartitionImage): unknown {
  return {
    partition: img.partition,
    epoch: img.epoch,
    instances: [...img.instances.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  };
}

export function journalContract(adapter: string, make: () => Promise<JournalHarness>): void {
  test(`${adapter}: claimed records load back in append order with the epoch`, async (t) => {
    const h = await make();
    t.teardown(() => h.cleanup());
    const j = h.journal;
    await j.claim(3, 1);
    await j.append(3, 1, [rec('wf/1', 1), rec('wf/2', 1)]);
    await j.append(3, 1, [rec('wf/1', 2, { nested: { list: [1, 'two', null, true], n: -1.5 } })]);
    const img = await j.load(3);
    t.is(img.partition, 3);
    t.is(img.epoch, 1);
    t.deepEqual(img.instances.get('wf/1'), {
      records: [rec('wf/1', 1), rec('wf/1', 2, { nested: { list: [1, 'two', null, true], n: -1.5 } })],
    });
    t.deepEqual(img.instances.get('wf/2'), { records: [rec('wf/2', 1)] });
    t.deepEqual(plain(await j.load(4)), { partition: 4, epoch: 0, instances: [] });
  });

  test(`${adapter}: a stale append, snapshot or claim rejects and writes nothing`, async (t) => {
    const h = await make();
    t.teardown(() => h.cleanup());
    const j = h.journal;
    await j.claim(0, 1);
    await j.append(0, 1, [rec('a/1', 1)]);
    await j.claim(0, 2);
    const before = plain(await j.load(0));
    const frames = h.frames?.();
    await t.throwsAsync(j.append(0, 1, [rec('a/1', 2)]), { instanceOf: StaleEpochError, message: /epoch 1 is stale \(current epoch 2\)/ });
    await t.throwsAsync(j.snapshot(0, 1, []), { instanceOf: StaleEpochError });
    await t.throwsAsync(j.claim(0, 2), { instanceOf: StaleEpochError });
    await t.throwsAsync(j.claim(0, 1), { instanceOf: StaleEpochError });
    t.deepEqual(plain(await j.load(0)), before);
    if (frames !== undefined) t.is(h.frames!(), frames);
    await j.append(0, 2, [rec('a/1', 2)]);
    t.deepEqual(
      (await j.load(0)).instances.get('a/1')?.records.map((r) => r.seq),
      [1, 2],
    );
  });

  test(`${adapter}: fences are per partition and a higher epoch may append without its own claim`, async (t) => {
    const h = await make();
    t.teardown(() => h.cleanup());
    const j = h.journal;
    await j.claim(1, 5);
    await j.append(2, 0, [rec('b/1', 1)]);
    await j.append(1, 6, [rec('b/2', 1)]);
    t.is((await j.load(1)).epoch, 5);
    await t.throwsAsync(j.append(1, 4, [rec('b/2', 2)]), { instanceOf: StaleEpochError });
    t.deepEqual((await j.load(2)).instances.get('b/1')?.records, [rec('b/1', 1)]);
  });

  test(`${adapter}: concurrent appends keep each instance's order`, async (t) => {
    const h = await make();
    t.teardown(() => h.cleanup());
    const j = h.journal;
    await j.claim(0, 1);
    const calls: Promise<void>[] = [];
    for (let seq = 1; seq <= 50; seq++) {
      for (let i = 0; i < 8; i++) calls.push(j.append(0, 1, [rec(`c/${i}`, seq)]));
    }
    await Promise.all(calls);
    const img = await j.load(0);
    t.is(img.instances.size, 8);
    for (const [, inst] of img.instances) t.deepEqual(inst.records.map((r) => r.seq), Array.from({ length: 50 }, (_, k) => k + 1));
  });

  test(`${adapter}: a snapshot bounds replay and keeps newer records; unnamed instances keep their image; forget drops`, async (t) => {
    const h = await make();
    t.teardown(() => h.cleanup());
    const j = h.journal;
    await j.claim(0, 1);
    for (let s = 1; s <= 10; s++) await j.append(0, 1, [rec('d/1', s)]);
    await j.append(0, 1, [rec('d/old', 1), rec('d/old', 2)]);
    // state folded through seq 7; seqs 8..10 were appended before the checkpoint was taken
    await j.snapshot(0, 1, [{ instanceKey: 'd/1', seq: 7, state: { done: 7 } }, { instanceKey: 'd/2', seq: 0, state: {} }]);
    await j.append(0, 1, [rec('d/1', 11), rec('d/3', 1)]);
    const img = await j.load(0);
    t.deepEqual([...img.instances.keys()].sort(), ['d/1', 'd/2', 'd/3', 'd/old']);
    t.deepEqual(img.instances.get('d/1'), {
      snapshot: { instanceKey: 'd/1', seq: 7, state: { done: 7 } },
      records: [8, 9, 10, 11].map((s) => rec('d/1', s)),
    });
    t.deepEqual(img.instances.get('d/2'), { snapshot: { instanceKey: 'd/2', seq: 0, state: {} }, records: [] });
    t.deepEqual(img.instances.get('d/3'), { records: [rec('d/3', 1)] });
    t.deepEqual(img.instances.get('d/old'), { records: [rec('d/old', 1), rec('d/old', 2)] });
    // a second, incremental checkpoint: d/1 folded further, d/old forgotten, d/2 and d/3 untouched
    await j.snapshot(0, 1, [{ instanceKey: 'd/1', seq: 11, state: { done: 11 } }], ['d/old']);
    const img2 = await j.load(0);
    t.deepEqual(plain(img2), {
      partition: 0,
      epoch: 1,
      instances: [
        ['d/1', { snapshot: { instanceKey: 'd/1', seq: 11, state: { done: 11 } }, records: [] }],
        ['d/2', { snapshot: { instanceKey: 'd/2', seq: 0, state: {} }, records: [] }],
        ['d/3', { records: [rec('d/3', 1)] }],
      ],
    });
    await j.snapshot(0, 1, [], ['d/1', 'd/2', 'd/3', 'never-held']);
    t.is((await j.load(0)).instances.size, 0);
  });

  test(`${adapter}: a snapshot's state is the value at the time of the call`, async (t) => {
    const h = await make();
    t.teardown(() => h.cleanup());
    const j = h.journal;
    const state = { count: 1 };
    await j.snapshot(0, 0, [{ instanceKey: 'e/1', seq: 1, state }]);
    state.count = 99;
    t.deepEqual((await j.load(0)).instances.get('e/1')?.snapshot?.state, { count: 1 });
  });

  test(`${adapter}: invalid arguments are rejected by field and write nothing`, async (t) => {
    const h = await make();
    t.teardown(() => h.cleanup());
    const j = h.journal;
    await t.throwsAsync(j.append(-1, 0, [rec('f/1', 1)]), { instanceOf: ValidationError, message: /^partition:/ });
    await t.throwsAsync(j.append(0, 0, [rec('f/1', 1), rec('f/1', 0)]), { instanceOf: ValidationError, message: /^records\[1\]\.seq:/ });
    await t.throwsAsync(j.append(0, 0, [rec('', 1)]), { instanceOf: ValidationError, message: /^records\[0\]\.instanceKey:/ });
    await t.throwsAsync(j.claim(0, 1.5), { instanceOf: ValidationError, message: /^epoch:/ });
    await t.throwsAsync(
      j.snapshot(0, 0, [
        { instanceKey: 'f/1', seq: 1, state: 1 },
        { instanceKey: 'f/1', seq: 2, state: 2 },
      ]),
      { instanceOf: ValidationError, message: /^snapshots\[1\]\.instanceKey: duplicate/ },
    );
    await t.throwsAsync(j.snapshot(0, 0, [{ instanceKey: 'f/1', seq: 1, state: 1 }], ['f/1']), {
      instanceOf: ValidationError,
      message: /^forget\[0\]: instance f\/1 is also snapshotted/,
    });
    await t.throwsAsync(j.snapshot(0, 0, [], ['']), { instanceOf: ValidationError, message: /^forget\[0\]:/ });
    t.is((await j.load(0)).instances.size, 0);
  });

  test(`${adapter}: a loaded image is a copy that later appends do not change`, async (t) => {
    const h = await make();
    t.teardown(() => h.cleanup());
    const j = h.journal;
    await j.append(0, 0, [rec('g/1', 1)]);
    const img = await j.load(0);
    await j.append(0, 0, [rec('g/1', 2), rec('g/2', 1)]);
    t.deepEqual(plain(img), { partition: 0, epoch: 0, instances: [['g/1', { records: [rec('g/1', 1)] }]] });
  });

}
