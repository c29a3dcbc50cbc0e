import test from 'ava';
import { ValidationError } from '../../src/core/errors.js';
import { runDefinition } from '../../src/cli/run.js';
import { exitCodeOf } from '../../src/cli/errors.js';
import { follow } from '../../src/cli/follow.js';
import { FakeEngine } from '../control/fake-engine.js';
import { definition } from '../control/harness.js';
import { captureIo } from './helpers.js';

// `runDefinition` is what `maestro run` does once its embedded node is up; here over the fake engine.

test('run prints a line per change, the step table and the final status; exit 0 on success', async (t) => {
  const io = captureIo();
  const code = await runDefinition(new FakeEngine(), { text: definition('run-ok', [{ id: 'one' }, { id: 'two' }]), format: 'json', params: { p: 'v' } }, io);
  t.is(code, 0);
  const out = io.stdout.join('\n');
  t.regex(out, /^started workflow run-ok version 1 instance 1$/m);
  const progress = io.stdout.filter((l) => l.startsWith('['));
  t.true(progress.every((l) => /^\[ +\d+\.\d\ds\] (workflow|step \S+) [A-Z_]+/.test(l)), progress.join('\n'));
  t.deepEqual(
    progress.map((l) => l.replace(/^\[[^\]]+\] /, '')),
    ['workflow IN_PROGRESS', 'step one CREATED', 'step one RUNNING', 'step one SUCCEEDED', 'step two CREATED', 'step two RUNNING', 'step two SUCCEEDED', 'workflow SUCCEEDED'],
  );
  t.regex(out, /^STEP\s+TYPE\s+STATUS\s+ATTEMPTS\s+DURATION$/m);
  t.regex(out, /^one\s+NoOp\s+SUCCEEDED\s+1\s+\d+ms$/m);
  t.regex(out, /^workflow run-ok instance 1 run 1: SUCCEEDED in \d+ms$/m);
});

test('a failed run exits 1 and says which step failed and why', async (t) => {
  const io = captureIo();
  const code = await runDefinition(new FakeEngine(), { text: definition('run-fail', [{ id: 'ok' }, { id: 'bad', type: 'Fail' }]), format: 'json', params: {} }, io);
  t.is(code, 1);
  const out = io.stdout.join('\n');
  t.regex(out, /step bad USER_FAILED: step failed on purpose/);
  t.regex(out, /run 1: FAILED in/);
  t.regex(out, /^error: step bad failed$/m);
  t.regex(out, /^ {2}step bad \(attempt 1\): step failed on purpose$/m);
});

test('Ctrl-C during a run stops the instance; the run ends STOPPED with exit 1', async (t) => {
  const engine = new FakeEngine();
  const io = captureIo();
  const running = runDefinition(engine, { text: definition('run-block', [{ id: 'hold', type: 'Block' }]), format: 'json', params: {} }, io);
  await new Promise<void>((resolve) => {
    const check = (): void => (io.stdout.some((l) => l.endsWith('step hold RUNNING')) ? resolve() : void setTimeout(check, 5));
    check();
  });
  io.interrupt();
  t.is(await running, 1);
  t.regex(io.stderr.join('\n'), /SIGINT: stopping instance 1/);
  t.regex(io.stdout.join('\n'), /run 1: STOPPED/);
  t.is(engine.calls.filter((c) => c.method === 'stop').length, 1);
});

test('a bad definition surfaces as a ValidationError, which the CLI exits 2 for', async (t) => {
  const io = captureIo();
  const err = await t.throwsAsync(runDefinition(new FakeEngine(), { text: '{"workflow": {"steps": []}}', format: 'json', params: {} }, io), { instanceOf: ValidationError });
  t.is(err?.path, 'workflow.id');
  t.is(exitCodeOf(err), 2);
});

test('follow of a finished instance tells its story once and returns it', async (t) => {
  const engine = new FakeEngine();
  await engine.createWorkflow(definition('done', [{ id: 'a' }, { id: 'b', type: 'Fail' }]));
  const { instanceId } = await engine.startWorkflow({ workflowId: 'done' });
  const lines: string[] = [];
  await follow(engine, 'done', instanceId, (l) => lines.push(l)); // first pass waits for the end
  lines.length = 0;
  const view = await follow(engine, 'done', instanceId, (l) => lines.push(l.replace(/^\[[^\]]+\] /, '')));
  t.is(view.status, 'FAILED');
  t.deepEqual(lines, ['workflow IN_PROGRESS', 'step a SUCCEEDED', 'step b USER_FAILED', 'workflow FAILED']);
});

test('follow ends through its safety poll when the terminal change is lost', async (t) => {
  const engine = new FakeEngine();
  await engine.createWorkflow(definition('lossy', [{ id: 'hold', type: 'Block' }]));
  const { instanceId } = await engine.startWorkflow({ workflowId: 'lossy' });
  const deaf = { getInstance: engine.getInstance.bind(engine), watchInstance: async () => () => {} };
  const done = follow(deaf, 'lossy', instanceId, () => {}, { pollMs: 10 });
  engine.unblock('lossy', instanceId);
  t.is((await done).status, 'SUCCEEDED');
});
