import test from 'ava';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { maestro, startDev } from './helpers.js';
import { CONFORMANCE_DIR as CONFORMANCE, conformanceMissing, testIf } from '../helpers/skip.js';

// `maestro run` and `maestro dev` start the real embedded node (src/node/embedded.ts).

let dir: string;
test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'maestro-run-'));
  await writeFile(
    join(dir, 'greet.yaml'),
    [
      'properties: {owner: tester}',
      'workflow:',
      '  id: cli-greet',
      '  params:',
      '    who: {type: STRING, value: nobody}',
      '  steps:',
      '    - step:',
      '        id: hello',
      '        type: NoOp',
      '        transition: {successors: {bye: "true"}}',
      '        params: {msg: {type: STRING, expression: "\'hello \' + who"}}',
      '    - step: {id: bye, type: NoOp}',
      '',
    ].join('\n'),
  );
  await writeFile(
    join(dir, 'bad-sleep.json'),
    JSON.stringify({ properties: { owner: 'tester' }, workflow: { id: 'cli-bad-sleep', steps: [{ step: { id: 'nap', type: 'Sleep', params: { sleep_seconds: { type: 'STRING', value: 'soon' } } } }] } }),
  );
});
test.after.always(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('run FILE with --param shows progress, the step table, and exits 0 on success', async (t) => {
  const r = await maestro(['run', join(dir, 'greet.yaml'), '--param', 'who=ann']);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /^started workflow cli-greet version 1 instance 1$/m);
  t.regex(r.stdout, /^\[ +\d+\.\d\ds\] step hello SUCCEEDED$/m);
  t.regex(r.stdout, /^\[ +\d+\.\d\ds\] workflow SUCCEEDED$/m);
  t.regex(r.stdout, /^hello\s+NoOp\s+SUCCEEDED\s+1\s+\S+$/m);
  t.regex(r.stdout, /^bye\s+NoOp\s+SUCCEEDED\s+1\s+\S+$/m);
  t.regex(r.stdout, /workflow cli-greet instance 1 run 1: SUCCEEDED in /);
});

test('run of a workflow whose step fails exits 1 and shows the error', async (t) => {
  const r = await maestro(['run', join(dir, 'bad-sleep.json')]);
  t.is(r.code, 1, r.stderr);
  t.regex(r.stdout, /^nap\s+Sleep\s+FATALLY_FAILED/m);
  t.regex(r.stdout, /sleep_seconds must be a non-negative number/);
});

testIf(conformanceMissing())(`run of Maestro's samples and invalid definitions`, async (t) => {
  const ok = await maestro(['run', join(CONFORMANCE, 'samples/sample-dag-test-1.json')]);
  t.is(ok.code, 0, ok.stderr);
  t.regex(ok.stdout, /sample-dag-test-1 instance 1 run 1: SUCCEEDED/);
  const cycle = await maestro(['run', join(CONFORMANCE, 'invalid/sample-dag-with-cycle-wf.json')]);
  t.is(cycle.code, 2);
  t.regex(cycle.stderr, /workflow\.steps\[\d+\]\.step\.transition\.successors.*cycle/);
  const unknownField = await maestro(['run', join(CONFORMANCE, 'invalid/sample-invalid-wf.json')]);
  t.is(unknownField.code, 2);
  t.regex(unknownField.stderr, /workflow: is required \(top-level 'definition' would be kept as extra_info\)/);
});

test('dev serves the API on a free port until SIGTERM', async (t) => {
  const dev = await startDev();
  t.teardown(() => dev.kill());
  const address = dev.address;
  t.regex(address, /^127\.0\.0\.1:\d+$/);

  const push = await maestro(['push', join(dir, 'greet.yaml'), '--server', address]);
  t.is(push.code, 0, push.stderr);
  const start = await maestro(['start', 'cli-greet', '--param', 'who=bob', '--wait', '--server', address]);
  t.is(start.code, 0, start.stderr);
  t.regex(start.stdout, /run 1: SUCCEEDED/);
  const get = await maestro(['get', 'cli-greet', '1', '--json', '--server', address]);
  t.is(JSON.parse(get.stdout).steps[0].params.msg, 'hello bob');

  const sentAt = Date.now();
  t.is(await dev.stop(), 0);
  t.true(Date.now() - sentAt < 5_000, `stopped ${Date.now() - sentAt} ms after SIGTERM`);
  t.regex(dev.stderr(), /^received SIGTERM: shutting down gracefully \(deadline 10s; send again to exit now\)$/m);
  t.notRegex(dev.stderr(), /deadline passed/);
});

test('run keeps stderr free of logs below warn; --log-level and MAESTRO_LOG_LEVEL turn them on', async (t) => {
  const quiet = await maestro(['run', join(dir, 'greet.yaml')]);
  t.is(quiet.code, 0, quiet.stderr);
  t.is(quiet.stderr, '');
  const chatty = await maestro(['run', join(dir, 'greet.yaml'), '--log-level', 'debug', '--set', 'executor.heartbeatIntervalMs=500']);
  t.is(chatty.code, 0, chatty.stderr);
  t.regex(chatty.stdout, /workflow SUCCEEDED/, 'the run output stays on stdout');
  const records = chatty.stderr.trim().split('\n').map((l) => JSON.parse(l) as { msg: string; node?: string });
  t.true(records.some((r) => r.msg === 'embedded node started'), chatty.stderr);
  t.true(records.every((r) => r.node === 'embedded'), chatty.stderr);
  const bad = await maestro(['run', join(dir, 'greet.yaml')], { env: { MAESTRO_LOG_LEVEL: 'loud' } });
  t.is(bad.code, 2);
  t.regex(bad.stderr, /unknown log level "loud"/);
});

test('config lists every setting with the environment overlaid', async (t) => {
  const r = await maestro(['config', '--json', '--set', 'executor.httpTimeoutMs=1234'], { env: { MAESTRO_SHUTDOWN_TIMEOUT_MS: '2500' } });
  t.is(r.code, 0, r.stderr);
  const values = JSON.parse(r.stdout) as Record<string, unknown>;
  t.is(values['executor.httpTimeoutMs'], 1234);
  t.is(values['shutdownTimeoutMs'], 2500);
  t.is(values['checkpointEveryRecords'], 20_000);
});
