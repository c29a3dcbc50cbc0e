import test from 'ava';
import { spawn } from 'node:child_process';
import { FileJournal } from '../../src/journal/file/file-journal.js';
import { tempDir } from './temp-dir.js';
import { recordingLogger } from '../helpers/log.js';

const ACKS_BEFORE_KILL = 4000;

/** Runs the child until it has acknowledged `acks` appends, SIGKILLs it, returns the highest acked seq per instance. */
function runAndKill(dir: string, fsync: string, acks: number): Promise<{ acked: Map<number, number>; compactions: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import=tsx', 'test/fixtures/journal-crash-child.ts', dir, fsync], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const acked = new Map<number, number>();
    let count = 0;
    let partial = '';
    let stderr = '';
    let killed = false;
    let compactions = 0;
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      const lines = (partial + d.toString()).split('\n');
      partial = lines.pop()!;
      for (const line of lines) {
        const c = /^compactions (\d+)$/.exec(line);
        if (c) compactions = Math.max(compactions, Number(c[1]));
        const m = /^ack (\d+) (\d+)$/.exec(line);
        if (!m) continue;
        const [i, seq] = [Number(m[1]), Number(m[2])];
        if (seq !== (acked.get(i) ?? 0) + 1) reject(new Error(`child acked w/${i} seq ${seq} out of order`));
        acked.set(i, seq);
        if (++count === acks && !killed) {
          killed = true;
          child.kill('SIGKILL');
        }
      }
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (killed && signal === 'SIGKILL') resolve({ acked, compactions });
      else reject(new Error(`child exited early (code ${code}, signal ${signal}) after ${count} acks: ${stderr}`));
    });
  });
}

for (const fsync of ['batch', 'never'] as const)
test(`fsync=${fsync}: after kill -9 mid-run, the reopened journal holds every acknowledged append and nothing corrupt`, async (t) => {
  const tmp = await tempDir('crash');
  t.teardown(tmp.remove);
  const { acked, compactions } = await runAndKill(tmp.dir, fsync, ACKS_BEFORE_KILL);
  t.is(acked.size, 32);
  t.true(compactions > 0, 'the child compacted its logs before being killed');

  const log = recordingLogger();
  const warnings = log.messages;
  const journal = await FileJournal.open(tmp.dir, { log }); // takes over the dead child's lock
  t.teardown(() => journal.close());
  let snapshotted = 0;
  for (let p = 0; p < 4; p++) {
    const img = await journal.load(p);
    t.is(img.epoch, 1);
    for (const [key, inst] of img.instances) {
      const i = Number(key.slice(2));
      t.is(i % 4, p, `${key} is in its partition`);
      const from = inst.snapshot?.seq ?? 0;
      if (inst.snapshot) {
        snapshotted++;
        t.deepEqual(inst.snapshot.state, { upTo: from });
      }
      const seqs = inst.records.map((r) => r.seq);
      t.deepEqual(seqs, Array.from({ length: seqs.length }, (_, k) => from + 1 + k), `${key}: contiguous after its snapshot`);
      for (const r of inst.records) t.like(r.event as object, { kind: 'stepDone', step: `s${r.seq}` });
      const last = from + seqs.length;
      t.true(last >= (acked.get(i) ?? 0), `${key}: durable up to ${last}, acked up to ${acked.get(i)}`);
      acked.delete(i);
    }
  }
  t.is(acked.size, 0, `instances acked but missing: ${[...acked.keys()].join(',')}`);
  t.true(snapshotted > 0, 'the child checkpointed at least once');
  t.log(`warnings on reopen: ${warnings.length ? warnings.join('; ') : 'none'}`);
});
