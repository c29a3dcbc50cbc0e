import test from 'ava';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { maestro, startDev, type DevServer } from './helpers.js';

// `maestro tag-permit set|get|rm|list` against `maestro dev --port 0` (the real embedded node, over gRPC).

let dev: DevServer;
let server: string[];
test.before(async () => {
  dev = await startDev();
  server = ['--server', dev.address];
});
test.after.always(async () => {
  if (dev) {
    const code = await dev.stop();
    if (code !== 0) dev.kill();
  }
});

test('set, get, list and rm a tag permit; bad input exits non-zero naming it', async (t) => {
  const set = await maestro(['tag-permit', 'set', 'cli-team', '3', ...server]);
  t.is(set.code, 0, set.stderr);
  t.regex(set.stdout, /tag cli-team: max_allowed 3/);
  const get = await maestro(['tag-permit', 'get', 'cli-team', ...server]);
  t.is(get.code, 0, get.stderr);
  t.regex(get.stdout, /TAG\s+MAX_ALLOWED\s+HOLDERS\s+WAITING/);
  t.regex(get.stdout, /cli-team\s+3\s+0\s+0/);
  t.regex((await maestro(['tag-permit', 'list', ...server])).stdout, /cli-team\s+3/);
  const rm = await maestro(['tag-permit', 'rm', 'cli-team', ...server]);
  t.is(rm.code, 0, rm.stderr);
  t.regex(rm.stdout, /limit removed/);
  const again = await maestro(['tag-permit', 'rm', 'cli-team', ...server]);
  t.not(again.code, 0);
  t.regex(again.stderr, /no limit is set/);
  const bad = await maestro(['tag-permit', 'set', 'cli-team', 'lots', ...server]);
  t.is(bad.code, 2);
  t.regex(bad.stderr, /MAX_ALLOWED/);
  const sub = await maestro(['tag-permit', 'frob', ...server]);
  t.is(sub.code, 2);
});

test('the per-depth cap on child instances (dev --set childInstanceCap=true): its tag in tag-permit get and list, freed by a stop', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'maestro-cli-depthcap-'));
  const capped = await startDev(['--set', 'childInstanceCap=true']);
  t.teardown(async () => {
    capped.kill();
    await rm(dir, { recursive: true, force: true });
  });
  const env = { MAESTRO_SERVER: capped.address };
  const ok = async (args: string[]) => {
    const r = await maestro(args, { env });
    t.is(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const loop = (id: string, stepId: string) => ({
    foreach: {
      id,
      params: { loop_params: { value: { i: { value: [1, 2], type: 'LONG_ARRAY' } }, type: 'MAP' } },
      steps: [{ step: { id: stepId, type: 'Sleep', params: { sleep_seconds: { value: 600, type: 'LONG' } } } }],
    },
  });
  const file = join(dir, 'capped.json');
  await writeFile(file, JSON.stringify({ properties: { owner: 'tester', run_strategy: 'parallel' }, workflow: { id: 'capped', instance_step_concurrency: 1, steps: [loop('l1', 'nap1'), loop('l2', 'nap2')] } }));
  await ok(['push', file]);
  await ok(['start', 'capped']);
  // each loop launches its window of 1: one iteration holds the depth-1 permit, the other waits
  let got = '';
  for (let i = 0; i < 200 && !/maestro_capped:1:1:depth1\s+-\s+1\s+1/.test(got); i++) {
    got = await ok(['tag-permit', 'get', 'maestro_capped:1:1:depth1']);
    if (i > 0) await new Promise((r) => setTimeout(r, 25));
  }
  t.regex(got, /maestro_capped:1:1:depth1\s+-\s+1\s+1/);
  t.regex(await ok(['tag-permit', 'list']), /maestro_capped:1:1:depth1\s+-\s+1\s+1/);
  await ok(['stop', 'capped', '1']);
  for (let i = 0; i < 200 && !/maestro_capped:1:1:depth1\s+-\s+0\s+0/.test(got); i++) {
    got = await ok(['tag-permit', 'get', 'maestro_capped:1:1:depth1']);
    if (i > 0) await new Promise((r) => setTimeout(r, 25));
  }
  t.regex(got, /maestro_capped:1:1:depth1\s+-\s+0\s+0/, 'the stop freed the held permit and the waiting request');
});
