import test from 'ava';
import { appendFile, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ValidationError } from '../../src/core/errors.js';
import { DataDirLockedError, StoreClosedError } from '../../src/journal/file/errors.js';
import { FileKv, type FileKvOptions } from '../../src/store/file/file-kv.js';
import { KvCorruptError } from '../../src/store/file/errors.js';
import { CasConflictError } from '../../src/store/port.js';
import { tempDir } from '../journal/temp-dir.js';
import { kvContract } from './kv-contract.js';
import { recordingLogger } from '../helpers/log.js';

for (const fsync of ['batch', 'never'] as const) {
  kvContract(`FileKv(fsync=${fsync})`, async () => {
    const tmp = await tempDir('kv');
    const kv = await FileKv.open(tmp.dir, { fsync });
    return {
      kv,
      cleanup: async () => {
        await kv.close();
        await tmp.remove();
      },
    };
  });
}

async function opened(t: { teardown(fn: () => Promise<void>): void }, opts: Partial<FileKvOptions> = {}) {
  const tmp = await tempDir('kv');
  const log = recordingLogger();
  const warnings = log.messages;
  const handles: FileKv[] = [];
  const open = async () => {
    const kv = await FileKv.open(tmp.dir, { log, ...opts });
    handles.push(kv);
    return kv;
  };
  t.teardown(async () => {
    for (const h of handles) await h.close();
    await tmp.remove();
  });
  return { dir: tmp.dir, kv: await open(), reopen: open, warnings };
}

test('entries and revisions survive a reopen; a re-created key never reuses a revision', async (t) => {
  const { kv, reopen } = await opened(t);
  const ra = await kv.put('def/a', { steps: ['x', 'y'] });
  await kv.put('def/b', 'b');
  const rGone = await kv.put('def/gone', 1);
  await kv.delete('def/gone');
  await t.throwsAsync(kv.put('def/a', 'lost', ra - 1), { instanceOf: CasConflictError });
  const before = await kv.list('');
  await kv.close();
  await t.throwsAsync(kv.get('def/a'), { instanceOf: StoreClosedError });
  const again = await reopen();
  t.deepEqual(await again.list(''), before);
  t.deepEqual((await again.get('def/a'))?.value, { steps: ['x', 'y'] });
  const rNew = await again.put('def/gone', 2, 0);
  t.true(rNew > rGone, 'the store-wide revision counter survived the reopen');
});

test('a torn last line is dropped on open with a warning; later writes persist', async (t) => {
  const { dir, kv, reopen, warnings } = await opened(t);
  await kv.put('a', 1);
  await kv.put('b', 2);
  await kv.close();
  const path = join(dir, 'kv.log');
  const good = (await stat(path)).size;
  await appendFile(path, '0badc0de {"k":"c","r":3,"v":'); // crash mid-line
  let again = await reopen();
  t.is((await stat(path)).size, good);
  t.true(warnings.some((w) => w.includes(`dropped a torn tail of 28 bytes at offset ${good}`)), warnings.join('\n'));
  await again.put('c', 3);
  await again.close();
  // a complete line whose checksum does not match is a torn write too
  await appendFile(path, '00000000 {"k":"d","r":9,"v":4}\n');
  again = await reopen();
  t.deepEqual((await again.list('')).map((e) => [e.key, e.value]), [['a', 1], ['b', 2], ['c', 3]]);
});

test('a checksummed line that is not a record is corruption, reported by offset', async (t) => {
  const { dir, kv, reopen } = await opened(t);
  await kv.close();
  const { crc32 } = await import('node:zlib');
  const json = '{"x":1}';
  await writeFile(join(dir, 'kv.log'), `${crc32(json).toString(16).padStart(8, '0')} ${json}\n`);
  await t.throwsAsync(reopen(), { instanceOf: KvCorruptError, message: /line at offset 0 is not a put, delete or meta record/ });
  // the failed open released its lock: a second attempt fails the same way, not with DataDirLockedError
  await t.throwsAsync(reopen(), { instanceOf: KvCorruptError });
});

test('the log is compacted when mostly overwritten data, and the image survives', async (t) => {
  const { dir, kv, reopen } = await opened(t, { compactMinBytes: 4096 });
  let last = 0;
  for (let i = 0; i < 400; i++) last = await kv.put(`hot/${i % 4}`, { i, pad: 'p'.repeat(30) });
  await kv.put('cold', 'c');
  const size = (await stat(join(dir, 'kv.log'))).size;
  t.true(size < 8192, `the log stays bounded (${size} bytes for 401 writes)`);
  t.regex(await readFile(join(dir, 'kv.log'), 'utf8'), /^[0-9a-f]{8} \{"m":\d+\}\n/, 'compaction writes the revision counter first');
  const before = await kv.list('');
  await kv.close();
  const again = await reopen();
  t.deepEqual(await again.list(''), before);
  t.true((await again.put('new', 1)) > last);
});

test('one process per data dir, and bad arguments are named', async (t) => {
  const { dir, kv } = await opened(t);
  await t.throwsAsync(FileKv.open(dir), { instanceOf: DataDirLockedError, message: /kv\.lock is held by pid/ });
  await t.throwsAsync(kv.put('k', undefined), { instanceOf: ValidationError, message: /^value: of k is not JSON-serializable/ });
  await t.throwsAsync(kv.put('', 1), { instanceOf: ValidationError, message: /^key:/ });
});
