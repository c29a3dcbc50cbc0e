import test from 'ava';
import { connect, headers, type NatsConnection } from 'nats';
import { randomBytes } from 'node:crypto';
import { StaleEpochError } from '../../src/core/errors.js';
import type { JournalRecord, PartitionImage } from '../../src/journal/port.js';
import { JetStreamJournal } from '../../src/journal/jetstream/jetstream-journal.js';
import { JournalCorruptError } from '../../src/journal/jetstream/errors.js';
import { encode } from '../../src/nats/codec.js';
import { haveNats, NATS_MISSING, startNats, type NatsFixture } from '../helpers/nats-server.js';
import { testIf } from '../helpers/skip.js';
import { journalContract } from '../journal/journal-contract.js';

const natsTest = testIf(haveNats() ? undefined : NATS_MISSING);

const STREAM = 'JOURNAL_TEST';
let nats: NatsFixture | undefined;
let admin: NatsConnection | undefined;
const open: JetStreamJournal[] = [];

test.before(async () => {
  if (!haveNats()) return;
  nats = await startNats({ jetstream: true });
  admin = await connect({ servers: nats.urls });
});
test.after.always(async () => {
  await Promise.all(open.map((j) => j.close()));
  await admin?.close();
  await nats?.stop();
});

let nextStream = 0;
if (haveNats()) {
  journalContract('JetStreamJournal', async () => {
    const n = nextStream++;
    const j = await JetStreamJournal.connect({ servers: nats!.urls, stream: `CONTRACT_${n}`, subjectPrefix: `contract${n}.journal` });
    return { journal: j, cleanup: () => j.close() };
  });
} else {
  natsTest('JetStreamJournal journal contract', () => {});
}

async function journal(): Promise<JetStreamJournal> {
  const j = await JetStreamJournal.connect({ servers: nats!.urls, stream: STREAM, subjectPrefix: 'test.journal' });
  open.push(j);
  return j;
}

let nextPartition = 0;
const freshPartition = (): number => nextPartition++;

function recs(instanceKey: string, from: number, count: number, tag = ''): JournalRecord[] {
  return Array.from({ length: count }, (_, i) => ({ instanceKey, seq: from + i, event: { type: 'E', n: from + i, tag } }));
}

function recordsOf(image: PartitionImage, key: string): JournalRecord[] {
  return image.instances.get(key)?.records ?? [];
}

/** Messages currently stored on the partition's subject. */
async function messagesOn(partition: number): Promise<number> {
  const jsm = await admin!.jetstreamManager();
  const info = await jsm.streams.info(STREAM, { subjects_filter: `test.journal.${partition}` });
  return info.state.subjects?.[`test.journal.${partition}`] ?? 0;
}

natsTest('appends come back from load in order, per instance, with the claimed epoch', async (t) => {
  const j = await journal();
  const p = freshPartition();
  await j.claim(p, 3);
  await j.append(p, 3, [...recs('wf/1', 1, 2), ...recs('wf/2', 1, 1)]);
  await j.append(p, 3, recs('wf/1', 3, 2));
  const image = await j.load(p);
  t.is(image.partition, p);
  t.is(image.epoch, 3);
  t.deepEqual(recordsOf(image, 'wf/1'), recs('wf/1', 1, 4));
  t.deepEqual(recordsOf(image, 'wf/2'), recs('wf/2', 1, 1));
  t.is(image.instances.get('wf/1')?.snapshot, undefined);
});

natsTest('an empty partition loads as epoch 0 with no instances', async (t) => {
  const j = await journal();
  const image = await j.load(freshPartition());
  t.is(image.epoch, 0);
  t.is(image.instances.size, 0);
});

natsTest('concurrent appends are group-committed into few messages, keeping submission order', async (t) => {
  const j = await journal();
  const p = freshPartition();
  await j.claim(p, 1);
  const before = await messagesOn(p);
  await Promise.all(Array.from({ length: 50 }, (_, i) => j.append(p, 1, recs('wf/g', i + 1, 1))));
  const written = (await messagesOn(p)) - before;
  t.true(written <= 3, `50 appends took ${written} messages`);
  t.deepEqual(recordsOf(await j.load(p), 'wf/g'), recs('wf/g', 1, 50));
});

natsTest('after a newer claim, the old owner cannot append (StaleEpochError) and nothing of it is written', async (t) => {
  const [oldOwner, newOwner] = await Promise.all([journal(), journal()]);
  const p = freshPartition();
  await oldOwner.claim(p, 1);
  await oldOwner.append(p, 1, recs('wf/f', 1, 2, 'old'));
  await newOwner.claim(p, 2);
  const before = await messagesOn(p);

  await t.throwsAsync(oldOwner.append(p, 1, recs('wf/f', 3, 1, 'stale')), { instanceOf: StaleEpochError });
  await t.throwsAsync(oldOwner.snapshot(p, 1, []), { instanceOf: StaleEpochError });
  await t.throwsAsync(oldOwner.append(p, 1, recs('wf/f', 3, 1, 'stale again')), { instanceOf: StaleEpochError });
  t.is(await messagesOn(p), before, 'a stale owner writes nothing');

  await newOwner.append(p, 2, recs('wf/f', 3, 1, 'new'));
  const image = await newOwner.load(p);
  t.is(image.epoch, 2);
  t.deepEqual(recordsOf(image, 'wf/f').map((r) => (r.event as { tag: string }).tag), ['old', 'old', 'new']);
});

natsTest('claim rejects an epoch that is not above the current one, from any writer', async (t) => {
  const [a, b] = await Promise.all([journal(), journal()]);
  const p = freshPartition();
  await a.claim(p, 5);
  await t.throwsAsync(a.claim(p, 5), { instanceOf: StaleEpochError });
  await t.throwsAsync(b.claim(p, 5), { instanceOf: StaleEpochError });
  await t.throwsAsync(b.claim(p, 4), { instanceOf: StaleEpochError });
  await b.claim(p, 6);
  await t.throwsAsync(a.append(p, 5, recs('wf/c', 1, 1)), { instanceOf: StaleEpochError });
});

natsTest('concurrent claims at increasing epochs: the highest wins and the loser cannot write', async (t) => {
  const [a, b] = await Promise.all([journal(), journal()]);
  const p = freshPartition();
  await a.claim(p, 1);
  await a.append(p, 1, recs('wf/r', 1, 1));
  const [ra, rb] = await Promise.allSettled([a.claim(p, 10), b.claim(p, 11)]);
  t.is(rb.status, 'fulfilled');
  if (ra.status === 'rejected') t.true(ra.reason instanceof StaleEpochError);
  await t.throwsAsync(a.append(p, 10, recs('wf/r', 2, 1)), { instanceOf: StaleEpochError });
  await b.append(p, 11, recs('wf/r', 2, 1));
  const image = await b.load(p);
  t.is(image.epoch, 11);
  t.deepEqual(recordsOf(image, 'wf/r'), recs('wf/r', 1, 2));
});

natsTest('a snapshot purges what it covers: load returns the snapshot plus later records, and stays small', async (t) => {
  const j = await journal();
  const p = freshPartition();
  await j.claim(p, 1);
  for (let i = 0; i < 10; i++) {
    await j.append(p, 1, [...recs('wf/a', i * 10 + 1, 10), ...recs('wf/b', i + 1, 1), ...recs('wf/gone', i + 1, 1)]);
  }
  await j.append(p, 1, recs('wf/c', 1, 3));
  t.true((await messagesOn(p)) >= 12);
  // incremental: wf/a and wf/b snapshotted, wf/gone forgotten, wf/c (not named) kept as it was
  await j.snapshot(
    p,
    1,
    [
      { instanceKey: 'wf/a', seq: 100, state: { total: 100 } },
      { instanceKey: 'wf/b', seq: 10, state: { total: 10 } },
    ],
    ['wf/gone'],
  );
  await j.append(p, 1, [...recs('wf/a', 101, 2), ...recs('wf/new', 1, 1)]);
  t.is(await messagesOn(p), 2, 'only the merged image and the append after it remain');

  const image = await j.load(p);
  t.deepEqual([...image.instances.keys()].sort(), ['wf/a', 'wf/b', 'wf/c', 'wf/new']);
  t.deepEqual(image.instances.get('wf/c'), { records: recs('wf/c', 1, 3) });
  t.deepEqual(image.instances.get('wf/a'), {
    snapshot: { instanceKey: 'wf/a', seq: 100, state: { total: 100 } },
    records: recs('wf/a', 101, 2),
  });
  t.deepEqual(image.instances.get('wf/b'), { snapshot: { instanceKey: 'wf/b', seq: 10, state: { total: 10 } }, records: [] });
  t.deepEqual(recordsOf(image, 'wf/new'), recs('wf/new', 1, 1));
  // a second incremental checkpoint keeps wf/b's earlier snapshot
  await j.snapshot(p, 1, [{ instanceKey: 'wf/a', seq: 102, state: { total: 102 } }], ['wf/c', 'wf/new']);
  const again = await j.load(p);
  t.deepEqual([...again.instances.keys()].sort(), ['wf/a', 'wf/b']);
  t.deepEqual(again.instances.get('wf/b'), { snapshot: { instanceKey: 'wf/b', seq: 10, state: { total: 10 } }, records: [] });
  t.deepEqual(again.instances.get('wf/a'), { snapshot: { instanceKey: 'wf/a', seq: 102, state: { total: 102 } }, records: [] });
  t.is(await messagesOn(p), 1);
});

natsTest('frames over the server max_payload are split into parts and read back whole', async (t) => {
  const j = await journal();
  const p = freshPartition();
  await j.claim(p, 1);
  const big = 'x'.repeat(2_500_000);
  await j.append(p, 1, [{ instanceKey: 'wf/big', seq: 1, event: { big } }]);
  t.true((await messagesOn(p)) >= 4, 'a 2.5 MB frame takes several 1 MB messages');
  await j.snapshot(p, 1, [{ instanceKey: 'wf/big', seq: 1, state: { big } }]);
  await j.append(p, 1, recs('wf/big', 2, 1));
  const image = await j.load(p);
  t.is((image.instances.get('wf/big')?.snapshot?.state as { big: string }).big.length, big.length);
  t.deepEqual(recordsOf(image, 'wf/big'), recs('wf/big', 2, 1));
});

natsTest('a fresh journal instance loads exactly what was acknowledged, across partitions', async (t) => {
  const writer = await journal();
  const parts = [freshPartition(), freshPartition(), freshPartition()];
  const expected = new Map<number, JournalRecord[]>(parts.map((p) => [p, []]));
  await Promise.all(parts.map((p) => writer.claim(p, 1)));
  const writes: Promise<void>[] = [];
  for (let i = 0; i < 60; i++) {
    const p = parts[i % parts.length]!;
    const batch = recs(`wf/${p}`, expected.get(p)!.length + 1, 1 + (i % 3), `w${i}`);
    expected.get(p)!.push(...batch);
    writes.push(writer.append(p, 1, batch));
  }
  await Promise.all(writes);
  const reader = await journal();
  for (const p of parts) {
    const image = await reader.load(p);
    t.deepEqual(recordsOf(image, `wf/${p}`), expected.get(p));
    t.is(image.instances.size, 1);
  }
});

natsTest('a message on a journal subject that is not a frame fails load loudly, naming partition and sequence', async (t) => {
  const j = await journal();
  const p = freshPartition();
  await j.claim(p, 1);
  await j.append(p, 1, recs('wf/ok', 1, 2));
  const js = admin!.jetstream();
  const h = headers();
  h.set('Maestro-Epoch', '1');
  const garbage = await js.publish(`test.journal.${p}`, randomBytes(64), { headers: h });
  const err = await t.throwsAsync(j.load(p), { instanceOf: JournalCorruptError });
  t.is(err?.partition, p);
  t.is(err?.seq, garbage.seq);
  t.regex(err!.message, new RegExp(`journal of partition ${p}: message test\\.journal\\.${p}#${garbage.seq}: `));

  const q = freshPartition();
  await j.claim(q, 1);
  const wrongShape = await js.publish(`test.journal.${q}`, encode({ k: 'a', e: 1, r: [['wf/1', 'two', {}]] }), { headers: h });
  const shapeErr = await t.throwsAsync(j.load(q), { instanceOf: JournalCorruptError });
  t.is(shapeErr?.seq, wrongShape.seq);
  t.regex(shapeErr!.message, /records frame: r\[0\]\[1\]: expected integer, got "two"/);
});
