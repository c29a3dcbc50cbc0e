/**
 * `maestro restart CHILD ID --from-step STEP` on an ended subworkflow child, through the real CLI
 * against `maestro dev`: the restart walks up to the FAILED parent (run 2), whose subworkflow
 * step re-runs the same child (run 2) from that step; the CLI says the restart goes through the
 * parent. The child's step fails once (a Shell step that leaves a marker file), then succeeds.
 */
import test from 'ava';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { maestro, startDev } from './helpers.js';

test('restart --from-step of a FAILED subworkflow child restarts its parent; both end SUCCEEDED in run 2', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'maestro-cli-child-'));
  const dev = await startDev(['--shell']);
  t.teardown(async () => {
    dev.kill();
    await rm(dir, { recursive: true, force: true });
  });
  const env = { MAESTRO_SERVER: dev.address };
  const ok = async (args: string[], code = 0) => {
    const r = await maestro(args, { env });
    t.is(r.code, code, `${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const mark = join(dir, 'failed-once');
  const command = `test -f '${mark}' || { touch '${mark}'; exit 1; }`;
  const child = {
    properties: { owner: 'tester', run_strategy: 'parallel' },
    workflow: { id: 'cli-child', steps: [{ step: { id: 'c', type: 'Shell', retry_policy: { error_retry_limit: 0 }, params: { command: { value: command, type: 'STRING' } } } }] },
  };
  const parent = {
    properties: { owner: 'tester', run_strategy: 'parallel' },
    workflow: { id: 'cli-parent', steps: [{ subworkflow: { id: 'sub', params: { subworkflow_id: { value: 'cli-child', type: 'STRING' } } } }] },
  };
  await writeFile(join(dir, 'child.json'), JSON.stringify(child));
  await writeFile(join(dir, 'parent.json'), JSON.stringify(parent));
  await ok(['push', join(dir, 'child.json')]);
  await ok(['push', join(dir, 'parent.json')]);
  await ok(['start', 'cli-parent', '--wait'], 1); // FAILED: its child FAILED
  t.regex(await ok(['get', 'cli-child', '1']), /FAILED/);

  t.regex(await ok(['restart', 'cli-child', '1', '--from-step', 'c']), /restart of workflow cli-child instance 1 from step c goes through its parent cli-parent\/1 \(step sub\)/);
  await ok(['watch', 'cli-parent', '1']); // run 2, to its end: exit 0 once SUCCEEDED
  const got = await ok(['get', 'cli-parent', '1', '--json']);
  t.like(JSON.parse(got), { status: 'SUCCEEDED', runId: 2 });
  const kid = JSON.parse(await ok(['get', 'cli-child', '1', '--json']));
  t.like(kid, { status: 'SUCCEEDED', runId: 2 });
});
