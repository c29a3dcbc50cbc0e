import test from 'ava';
import { appendFile, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { StaleEpochError, ValidationError } from '../../src/core/errors.js';
import { DataDirLockedError, JournalCorruptError, JournalIoError, StoreClosedError } from '../../src/journal/file/errors.js';
import { FileJournal } from '../../src/journal/file/file-journal.js';
import { writeFully } from '../../src/storage/fs-util.js';
import { FrameKind, appendPayload, encodeFrame } from '../../src/journal/file/frame.js';
import type { FileJournalOptions } from '../../src/journal/file/options.js';
import { MemoryJournal } from '../../src/journal/memory/memory-journal.js';
import type { Journal, JournalRecord } from '../../src/journal/port.js';
import { journalContract, plain } from './journal-contract.js';
import { tempDir } from './temp-dir.js';
import { recordingLogger } from '../helpers/log.js';

for (const fsync of ['batch', 'never'] as const) {
  journalContract(`FileJournal(fsync=${fsync})`, async () => {
    const tmp = await tempDir('fj');
    const journal = await FileJournal.open(tmp.dir, { fsync });
    return {
      journal,
      frames: () => journal.stats().frames,
      cleanup: async () => {
        await journal.close();
        await tmp.remove();
      },
    };
  });
}

const seg = (dir: string, p: number) => join(dir, `partition-${String(p).padStart(4, '0')}.log`);
const rec = (instanceKey: string, seq: number): JournalRecord => ({ instanceKey, seq, event: { step: `s${seq}`, pad: 'x'.repeat(40) } });

async function opened(t: { teardown(fn: () => Promise<void>): void }, opts: Partial<FileJournalOptions> = {}) {
  const tmp = await tempDir('fj');
  const log = recordingLogger();
  const warnings = log.messages;
  const open = () => FileJournal.open(tmp.dir, { log, ...opts });
  const journal = await open();
  const handles = [journal];
  t.teardown(async () => {
    for (const h of handles) await h.close();
    await tmp.remove();
  });
  const reopen = async () => {
    const h = await open();
    handles.push(h);
    return h;
  };
  return { dir: tmp.dir, journal, reopen, warnings };
}

test('concurrent appends are group-committed into few writes; fsync=always writes each call alone', async (t) => {
  for (const [fsync, maxWrites] of [['batch', 3], ['always', 100]] as const) {
    const { journal } = await opened(t, { fsync });
    await journal.claim(0, 1);
    const before = journal.stats();
    await Promise.all(Array.from({ length: 100 }, (_, i) => journal.append(0, 1, [rec(`g/${i}`, 1)])));
    const s = journal.stats();
    t.is(s.frames - before.frames, 100);
    t.true(s.writes - before.writes <= maxWrites, `${fsync}: ${s.writes - before.writes} writes`);
    if (fsync === 'always') t.is(s.writes - before.writes, 100);
    t.is(s.fsyncs, s.writes, 'one fdatasync per write');
    t.is((await journal.load(0)).instances.size, 100);
  }
});

test('a failed write rejects all its callers, is undone on disk, and later writes land cleanly', async (t) => {
  let failNext = false;
  let gate: Promise<void> | undefined;
  let entered: (() => void) | undefined;
  const writeAt = async (fh: Parameters<typeof writeFully>[0], buf: Buffer, pos: number) => {
    const fail = failNext;
    failNext = false;
    entered?.();
    if (gate) await gate;
    if (fail) {
      await writeFully(fh, buf.subarray(0, buf.length >> 1), pos); // half of the batch reaches the disk
      throw new Error('EIO: injected');
    }
    await writeFully(fh, buf, pos);
  };
  const { journal, reopen } = await opened(t, { writeAt });
  await journal.claim(0, 1);
  await journal.append(0, 1, [rec('w/1', 1)]);
  let release!: () => void;
  gate = new Promise((r) => (release = r));
  const inWrite = new Promise<void>((r) => (entered = r));
  const blocker = journal.append(0, 1, [rec('w/1', 2)]);
  await inWrite; // its write is in flight: the next calls queue up as one batch
  entered = undefined;
  failNext = true;
  const failing = [journal.append(0, 1, [rec('w/2', 1)]), journal.append(0, 1, [rec('w/3', 1)]), journal.append(0, 1, [rec('w/4', 1)])];
  gate = undefined;
  release();
  await blocker;
  for (const f of failing) await t.throwsAsync(f, { instanceOf: JournalIoError, message: /write of \d+ bytes at offset \d+ failed/ });
  t.is(journal.stats().writes, 4, 'claim, first append, blocker, one batch for the three failing calls');
  await journal.append(0, 1, [rec('w/1', 3)]);
  const expected = { records: [1, 2, 3].map((s) => rec('w/1', s)) };
  t.deepEqual([...(await journal.load(0)).instances.entries()], [['w/1', expected]]);
  await journal.close();
  const again = await reopen();
  t.deepEqual([...(await again.load(0)).instances.entries()], [['w/1', expected]]);
});

test('a failed claim gives the fence back so the claim can be retried', async (t) => {
  let fail = false;
  const { journal } = await opened(t, {
    writeAt: async (fh, buf, pos) => {
      if (fail) throw new Error('EIO: injected');
      await writeFully(fh, buf, pos);
    },
  });
  await journal.claim(0, 1);
  fail = true;
  await t.throwsAsync(journal.claim(0, 2), { instanceOf: JournalIoError });
  fail = false;
  await journal.append(0, 1, [rec('c/1', 1)]);
  await journal.claim(0, 2);
  t.is((await journal.load(0)).epoch, 2);
});

test('reopening after close gives the same image, fence included', async (t) => {
  const { journal, reopen } = await opened(t);
  await journal.claim(2, 4);
  await journal.append(2, 4, [rec('r/1', 1), rec('r/2', 1)]);
  await journal.snapshot(2, 4, [{ instanceKey: 'r/1', seq: 1, state: { at: new Date(0), s: 'v' } }]);
  await journal.append(2, 4, [rec('r/1', 2), rec('r/3', 1)]);
  const before = plain(await journal.load(2));
  await journal.close();
  await t.throwsAsync(journal.append(2, 4, [rec('r/1', 3)]), { instanceOf: StoreClosedError });
  const again = await reopen();
  t.deepEqual(plain(await again.load(2)), before);
  await t.throwsAsync(again.append(2, 3, [rec('r/1', 3)]), { instanceOf: StaleEpochError });
  await t.throwsAsync(again.claim(2, 4), { instanceOf: StaleEpochError });
});

test('a torn or corrupt tail is dropped on open, with a warning, and the log stays appendable', async (t) => {
  const { dir, journal, reopen, warnings } = await opened(t);
  await journal.claim(0, 1);
  for (let s = 1; s <= 5; s++) await journal.append(0, 1, [rec('t/1', s)]);
  const good = plain(await journal.load(0));
  await journal.close();
  const intact = (await stat(seg(dir, 0))).size;
  const frame = encodeFrame(FrameKind.append, 1, appendPayload([rec('t/1', 6)]));
  await appendFile(seg(dir, 0), frame.subarray(0, 62)); // a write cut short by a crash
  let j = await reopen();
  t.deepEqual(plain(await j.load(0)), good);
  t.is((await stat(seg(dir, 0))).size, intact, 'the torn bytes were truncated');
  t.true(warnings.some((w) => /dropped a torn tail of 62 bytes/.test(w)), warnings.join('\n'));
  t.is(j.stats().truncatedBytes, 62);
  await j.append(0, 1, [rec('t/1', 6)]);
  await j.close();
  // a whole frame whose checksum no longer matches (bit flip in the last write)
  const size = (await stat(seg(dir, 0))).size;
  const buf = await readFile(seg(dir, 0));
  buf[size - 3] = buf[size - 3]! ^ 0xff;
  await writeFile(seg(dir, 0), buf);
  j = await reopen();
  t.deepEqual(plain(await j.load(0)), good, 'the corrupted last append is dropped');
  await j.append(0, 1, [rec('t/1', 6), rec('t/1', 7)]);
  t.deepEqual((await j.load(0)).instances.get('t/1')?.records.map((r) => r.seq), [1, 2, 3, 4, 5, 6, 7]);
});

test('a file that is not a journal segment fails the load clearly', async (t) => {
  const { dir, journal } = await opened(t);
  await writeFile(seg(dir, 9), 'hello world, not a journal');
  await t.throwsAsync(journal.load(9), { instanceOf: JournalCorruptError, message: /partition-0009\.log is not a journal segment/ });
  // a header cut short by a crash at creation is just an empty log
  await writeFile(seg(dir, 8), Buffer.from('MJN'));
  t.is((await journal.load(8)).instances.size, 0);
});

test('compaction shrinks the log, keeps the image identical and happens automatically', async (t) => {
  const { dir, journal, reopen } = await opened(t, { segmentBytes: 8 * 1024 });
  const mirror = new MemoryJournal();
  const both = async (f: (j: Journal) => Promise<void>) => {
    await f(journal);
    await f(mirror);
  };
  await both((j) => j.claim(1, 3));
  for (let s = 1; s <= 60; s++) await both((j) => j.append(1, 3, [rec('k/1', s), rec(`k/${s % 7 + 2}`, s)]));
  const peak = (await stat(seg(dir, 1))).size;
  t.true(peak > 8 * 1024);
  t.is(journal.stats().compactions, 0, 'no snapshot yet: nothing to compact to');
  const forget = ['k/3', 'k/4', 'k/5', 'k/6', 'k/7', 'k/8'];
  await both((j) => j.snapshot(1, 3, [{ instanceKey: 'k/1', seq: 58, state: { folded: 58 } }, { instanceKey: 'k/2', seq: 56, state: null }], forget));
  await both((j) => j.append(1, 3, [rec('k/9', 1)]));
  const image = plain(await journal.load(1)); // queued behind the compaction
  t.is(journal.stats().compactions, 1);
  const size = (await stat(seg(dir, 1))).size;
  t.true(size < peak / 4, `compacted ${peak} -> ${size} bytes`);
  t.deepEqual(image, plain(await mirror.load(1)));
  await both((j) => j.append(1, 3, [rec('k/1', 61)]));
  await journal.compact(1); // forced: still the same image
  t.is(journal.stats().compactions, 2);
  const after = plain(await journal.load(1));
  t.deepEqual(after, plain(await mirror.load(1)));
  await journal.close();
  const again = await reopen();
  t.deepEqual(plain(await again.load(1)), after);
});

test('only one process may open a data dir; a dead owner\'s lock is taken over', async (t) => {
  const { dir, journal } = await opened(t);
  const lockPath = join(dir, 'journal.lock');
  t.is((await readFile(lockPath, 'utf8')).trim(), String(process.pid));
  await t.throwsAsync(FileJournal.open(dir), { instanceOf: DataDirLockedError, message: /held by pid \d+ \(this process/ });
  await journal.close();
  await t.throwsAsync(readFile(lockPath), { code: 'ENOENT' }, 'close releases the lock');
  // a live foreign pid (our parent) holds it
  await writeFile(lockPath, `${process.ppid}\n`);
  await t.throwsAsync(FileJournal.open(dir), { instanceOf: DataDirLockedError, message: new RegExp(`held by pid ${process.ppid}`) });
  // a pid that no longer exists: the lock is stale
  const { spawnSync } = await import('node:child_process');
  const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
  await writeFile(lockPath, `${dead}\n`);
  const taken = await FileJournal.open(dir);
  t.is((await readFile(lockPath, 'utf8')).trim(), String(process.pid));
  await taken.close();
});

test('limits and options are checked by name', async (t) => {
  const { journal } = await opened(t, { maxFrameBytes: 4096 });
  await t.throwsAsync(journal.append(0, 0, [{ instanceKey: 'l/1', seq: 1, event: 'x'.repeat(5000) }]), {
    instanceOf: ValidationError,
    message: /^records: encodes to \d+ bytes, over maxFrameBytes \(4096\)/,
  });
  await t.throwsAsync(FileJournal.open('/nonexistent-never', { segmentBytes: 10 }), { instanceOf: ValidationError, message: /^segmentBytes:/ });
  await t.throwsAsync(FileJournal.open('/nonexistent-never', { fsync: 'sometimes' as never }), { instanceOf: ValidationError, message: /^fsync:/ });
  t.is(journal.stats().frames, 0);
});
