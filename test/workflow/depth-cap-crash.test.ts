/**
 * The per-depth cap across a crash (kill -9 of an embedded node with a data dir): after recovery
 * the tree completes, never more than its limit of iterations of one depth ran at once (counted
 * from the views: each run's start and end), and the permit manager is left with no holder and no
 * waiter (held depth permits are re-granted, waiting children ask again).
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmbeddedNode } from '../../src/node/embedded.js';
import type { InstanceView } from '../../src/core/instance/view.js';
import { waitForEnd } from '../helpers/wait.js';

function startChild(dataDir: string): Promise<{ pid: number; id: number; exited: Promise<unknown> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import=tsx', 'test/fixtures/embedded-depth-cap-crash.ts', dataDir], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    const exited = new Promise((r) => child.once('exit', r));
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /ready (\d+)/.exec(out);
      if (m) resolve({ pid: child.pid!, id: Number(m[1]), exited });
    });
    child.on('exit', (code) => reject(new Error(`fixture exited early with ${code}: ${out}`)));
  });
}

test('kill -9 with depth permits held and waited for: after recovery the tree completes under the cap and no permit leaks', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'maestro-depthcap-crash-'));
  t.teardown(() => rm(dataDir, { recursive: true, force: true }));
  const { pid, id, exited } = await startChild(dataDir);
  process.kill(pid, 'SIGKILL');
  await exited;

  const node = await createEmbeddedNode({ dataDir, partitions: 4, logLevel: 'warn', permitReconcileMs: 300, childInstanceCap: true });
  t.teardown(() => node.close());
  const tag = `maestro_dcrash:${id}:1:depth1`;
  t.like(await node.api.getTagPermit(tag), { holders: 2, waiting: 2 }, 'the manager recovered its holders and waiters from the journal');
  const root = await waitForEnd(node.api, 'dcrash', id, 30_000);
  t.is(root.status, 'SUCCEEDED');
  const kids: InstanceView[] = [];
  for (const st of root.steps) {
    const o = st.overview;
    if (o?.kind !== 'foreach') throw new Error(`${st.stepId} is not a foreach`);
    for (let i = 1; i <= o.total; i++) kids.push(await node.api.getInstance(o.inlineWorkflowId, i));
  }
  t.is(kids.length, 6);
  t.true(kids.every((v) => v.status === 'SUCCEEDED'));
  const edges = kids.flatMap((v) => [[v.startedAtMs!, 1], [v.endedAtMs!, -1]] as Array<[number, number]>).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let open = 0;
  let peak = 0;
  for (const [, d] of edges) peak = Math.max(peak, (open += d));
  t.is(peak, 2);
  for (let i = 0; ; i++) {
    const p = await node.api.getTagPermit(tag);
    if (p.holders === 0 && p.waiting === 0) break;
    if (i > 200) throw new Error(`permits leaked: ${JSON.stringify(p)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  t.pass();
});
