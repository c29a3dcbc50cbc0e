import test from 'ava';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHarness, type Harness } from '../control/harness.js';
import { waitForEnd, waitForStep } from '../helpers/wait.js';
import { maestro } from './helpers.js';

// The `maestro` executable against the real embedded node's gRPC server in this process.

let h: Harness;
let dir: string;
let server: string[];

const file = (name: string): string => join(dir, name);

test.before(async () => {
  h = await startHarness();
  server = ['--server', h.address];
  dir = await mkdtemp(join(tmpdir(), 'maestro-cli-'));
  await writeFile(
    file('hello.yaml'),
    [
      'properties: {owner: tester}',
      'workflow:',
      '  id: cli-hello',
      '  steps:',
      '    - step:',
      '        id: greet',
      '        type: Echo',
      '        params: {say: {type: STRING, expression: "\'hi \' + who"}}',
      '        transition: {successors: {bye: "true"}}',
      '    - step: {id: bye, type: NoOp}',
      '',
    ].join('\n'),
  );
  await writeFile(file('block.json'), JSON.stringify({ properties: { owner: 'tester' }, workflow: { id: 'cli-block', steps: [{ step: { id: 'hold', type: 'Hold' } }] } }));
  await writeFile(file('watch.json'), JSON.stringify({ properties: { owner: 'tester' }, workflow: { id: 'cli-watch', steps: [{ step: { id: 'hold', type: 'Hold' } }] } }));
  await writeFile(file('bad.json'), JSON.stringify({ properties: { owner: 'tester' }, workflow: { id: 'cli-bad', steps: [{ step: { id: 'a' } }] } }));
});
test.after.always(async () => {
  await h?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('--help lists every command', async (t) => {
  const r = await maestro(['--help']);
  t.is(r.code, 0);
  for (const name of ['run', 'dev', 'push', 'validate', 'workflows', 'definition', 'activate', 'start', 'get', 'list', 'watch', 'stop', 'kill', 'restart', 'put-outputs', 'cluster']) {
    t.regex(r.stdout, new RegExp(`^  ${name} `, 'm'), name);
  }
});

test('validate of a bad file exits 2 naming the field; a good one exits 0', async (t) => {
  const bad = await maestro(['validate', file('bad.json'), ...server]);
  t.is(bad.code, 2);
  t.regex(bad.stderr, /workflow\.steps\[0\]\.step\.type: is required/);
  const good = await maestro(['validate', file('hello.yaml'), ...server]);
  t.is(good.code, 0, good.stderr);
  t.regex(good.stdout, /valid: workflow cli-hello, 2 top-level steps \(greet, bye\)/);
  t.is(good.stderr, '', 'nothing to warn about');
});

test('validate and push say up front what a valid definition will fail at: a step type with no runtime here, a nested template', async (t) => {
  await writeFile(
    file('k8s.json'),
    JSON.stringify({
      properties: { owner: 'tester' },
      workflow: {
        id: 'cli-k8s',
        steps: [
          { step: { id: 'pod', type: 'kubernetes' } },
          { foreach: { id: 'each', params: { loop_params: { value: { i: { value: [1], type: 'LONG_ARRAY' } }, type: 'MAP' } }, steps: [{ template: { id: 'tmpl' } }] } },
        ],
      },
    }),
  );
  for (const cmd of ['validate', 'push']) {
    const r = await maestro([cmd, file('k8s.json'), ...server]);
    t.is(r.code, 0, r.stderr);
    t.regex(r.stderr, /warning: workflow\.steps\[0\]\.step \(pod\): no runtime for step type kubernetes here/, cmd);
    t.regex(r.stderr, /warning: workflow\.steps\[1\]\.foreach\.steps\[0\]\.template \(tmpl\): template steps have no runtime/, cmd);
  }
});

test('bad command lines exit 2 naming the argument', async (t) => {
  const noFile = await maestro(['push', ...server]);
  t.is(noFile.code, 2);
  t.regex(noFile.stderr, /push: missing FILE/);
  const badId = await maestro(['get', 'cli-hello', 'x1', ...server]);
  t.is(badId.code, 2);
  t.regex(badId.stderr, /INSTANCE_ID must be a positive integer, got "x1"/);
  const missing = await maestro(['push', file('nope.json'), ...server]);
  t.is(missing.code, 2);
  t.regex(missing.stderr, /cannot read .*nope\.json: ENOENT/);
});

test('push, start --wait with params, get --json, list with filters (MAESTRO_SERVER)', async (t) => {
  const env = { MAESTRO_SERVER: h.address };
  const push = await maestro(['push', file('hello.yaml')], { env });
  t.is(push.code, 0, push.stderr);
  t.regex(push.stdout, /pushed workflow cli-hello version 1 \(active\)/);

  const start = await maestro(['start', 'cli-hello', '--param', 'who=ann', '--param-json', 'n=3', '--request-id', 'cli-1', '--wait'], { env });
  t.is(start.code, 0, start.stderr);
  t.regex(start.stdout, /started workflow cli-hello version 1 instance (\d+)/);
  t.regex(start.stdout, /\] step greet SUCCEEDED/);
  t.regex(start.stdout, /\] workflow SUCCEEDED/);
  t.regex(start.stdout, /^STEP\s+TYPE\s+STATUS\s+ATTEMPTS\s+DURATION$/m);
  t.regex(start.stdout, /^greet\s+Echo\s+SUCCEEDED\s+1\s+\S+$/m);
  t.regex(start.stdout, /workflow cli-hello instance \d+ run 1: SUCCEEDED in /);
  const id = /instance (\d+)/.exec(start.stdout)?.[1] ?? '';

  const get = await maestro(['get', 'cli-hello', id, '--json'], { env });
  t.is(get.code, 0, get.stderr);
  const view = JSON.parse(get.stdout);
  t.like(view, { workflowId: 'cli-hello', status: 'SUCCEEDED', requestId: 'cli-1', params: { who: 'ann', n: 3 } });
  t.deepEqual(view.steps[0].outputs, { echo: 'hi ann' });

  const list = await maestro(['list', '--workflow', 'cli-hello', '--status', 'succeeded'], { env });
  t.is(list.code, 0, list.stderr);
  t.regex(list.stdout, new RegExp(`^cli-hello\\s+${id}\\s+1\\s+1\\s+SUCCEEDED`, 'm'));
  const none = await maestro(['list', '--workflow', 'cli-hello', '--status', 'FAILED'], { env });
  t.deepEqual(none.stdout.trim().split('\n').length, 1, 'only the header');
  const badStatus = await maestro(['list', '--status', 'DONE'], { env });
  t.is(badStatus.code, 2);
  t.regex(badStatus.stderr, /--status must be one of CREATED, IN_PROGRESS/);
});

test('stop, kill, restart and watch of a held run', async (t) => {
  t.is((await maestro(['push', file('block.json'), ...server])).code, 0);
  const first = await h.client.startWorkflow({ workflowId: 'cli-block' });
  await waitForStep(h.client, 'cli-block', first.instanceId, 'hold', 'RUNNING');
  const stop = await maestro(['stop', 'cli-block', String(first.instanceId), ...server]);
  t.is(stop.code, 0, stop.stderr);
  t.regex(stop.stdout, /run 1: STOPPED/);

  const again = await maestro(['stop', 'cli-block', String(first.instanceId), ...server]);
  t.is(again.code, 1);
  t.regex(again.stderr, /error \(failed precondition\): .*already STOPPED/);

  const restart = await maestro(['restart', 'cli-block', String(first.instanceId), ...server]);
  t.is(restart.code, 0, restart.stderr);
  t.regex(restart.stdout, /as run 2 \(RESTART_FROM_INCOMPLETE\)/);
  const watching = maestro(['watch', 'cli-block', String(first.instanceId), ...server]);
  h.holds.release(await waitForStep(h.client, 'cli-block', first.instanceId, 'hold', 'RUNNING', { runId: 2 }), 'hold');
  const watch = await watching;
  t.is(watch.code, 0, watch.stderr);
  t.regex(watch.stdout, /\] step hold SUCCEEDED$/m);
  t.regex(watch.stdout, /^hold\s+Hold\s+SUCCEEDED\s+1\s/m);
  t.regex(watch.stdout, /run 2: SUCCEEDED/);

  const second = await h.client.startWorkflow({ workflowId: 'cli-block' });
  await waitForStep(h.client, 'cli-block', second.instanceId, 'hold', 'RUNNING');
  const kill = await maestro(['kill', 'cli-block', String(second.instanceId), ...server]);
  t.is(kill.code, 0, kill.stderr);
  t.regex(kill.stdout, /run 1: FAILED/);
  const watchFailed = await maestro(['watch', 'cli-block', String(second.instanceId), ...server]);
  t.is(watchFailed.code, 1, 'watch exits 1 for a run that did not succeed');
  t.regex(watchFailed.stdout, /workflow FAILED/);
  t.is((await waitForEnd(h.client, 'cli-block', second.instanceId)).status, 'FAILED');
});

test('start --watch starts and follows a held run in one call: every step change after the start is printed', async (t) => {
  t.is((await maestro(['push', file('watch.json'), ...server])).code, 0);
  const before = (await h.client.listInstances({ workflowId: 'cli-watch', pageSize: 1000 })).instances.length;
  const watching = maestro(['start', 'cli-watch', '--request-id', 'cli-watch-1', '--watch', ...server]);
  // The instance appears once the CLI started it; release its step while the CLI follows.
  let id = 0;
  while (id === 0) {
    const list = await h.client.listInstances({ workflowId: 'cli-watch', pageSize: 1000 });
    if (list.instances.length > before) id = Math.max(...list.instances.map((i) => i.instanceId));
    else await new Promise((r) => setTimeout(r, 20));
  }
  h.holds.release(await waitForStep(h.client, 'cli-watch', id, 'hold', 'RUNNING'), 'hold');
  const r = await watching;
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, new RegExp(`^started workflow cli-watch version \\d+ instance ${id} \\(run 1\\)$`, 'm'));
  t.regex(r.stdout, /\] step hold RUNNING$/m);
  t.regex(r.stdout, /\] step hold SUCCEEDED$/m);
  t.regex(r.stdout, /\] workflow SUCCEEDED$/m);
  t.regex(r.stdout, /run 1: SUCCEEDED/);
  t.is((await h.client.getInstance('cli-watch', id)).requestId, 'cli-watch-1');
});

test('an unreachable server is reported with its address, exit 1', async (t) => {
  const r = await maestro(['workflows', '--server', '127.0.0.1:1']);
  t.is(r.code, 1);
  t.regex(r.stderr, /cannot reach the maestro server at 127\.0\.0\.1:1/);
});
