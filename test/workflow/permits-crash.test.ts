/**
 * Tag permits across a crash (kill -9 of an embedded node with a data dir): after recovery every
 * instance completes under the same limit, and the permit manager is left with no holder and no
 * waiter (held permits are re-granted or released, waiting steps ask again, lost releases are
 * reconciled).
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmbeddedNode } from '../../src/node/embedded.js';
import { waitForEnd } from '../helpers/wait.js';

function startChild(dataDir: string, count: number): Promise<{ pid: number; ids: number[]; exited: Promise<unknown> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import=tsx', 'test/fixtures/embedded-permits-crash.ts', dataDir, String(count)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    const exited = new Promise((r) => child.once('exit', r));
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /ready ([\d,]+)/.exec(out);
      if (m) resolve({ pid: child.pid!, ids: m[1]!.split(',').map(Number), exited });
    });
    child.on('exit', (code) => reject(new Error(`fixture exited early with ${code}: ${out}`)));
  });
}

test('kill -9 with permits held and waited for: after recovery all complete and no permit leaks', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'maestro-permits-crash-'));
  t.teardown(() => rm(dataDir, { recursive: true, force: true }));
  const { pid, ids, exited } = await startChild(dataDir, 6);
  process.kill(pid, 'SIGKILL');
  await exited;

  const node = await createEmbeddedNode({ dataDir, partitions: 4, logLevel: 'warn', permitReconcileMs: 300 });
  t.teardown(() => node.close());
  const recovered = await node.api.getTagPermit('maestro_pcrash');
  t.is(recovered.holders + recovered.waiting, 6, 'the manager recovered its holders and waiters from the journal');
  for (const id of ids) {
    const end = await waitForEnd(node.api, 'pcrash', id, 20_000);
    t.is(end.status, 'SUCCEEDED');
    t.true(end.steps.every((s) => s.status === 'SUCCEEDED' && s.attempts.length === 1), `${id}: every step ran once`);
  }
  for (let i = 0; ; i++) {
    const tags = await node.api.listTagPermits();
    if (tags.every((x) => x.holders === 0 && x.waiting === 0)) break;
    if (i > 200) throw new Error(`permits leaked: ${JSON.stringify(tags)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  t.deepEqual((await node.api.listTagPermits()).filter((x) => x.holders > 0 || x.waiting > 0), []);
});
