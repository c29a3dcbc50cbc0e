import test from 'ava';
import { ValidationError } from '../../src/core/errors.js';
import { runDefinition } from '../../src/cli/run.js';
import { exitCodeOf } from '../../src/cli/errors.js';
import { follow } from '../../src/cli/follow.js';
import type { EmbeddedNode } from '../../src/node/embedded.js';
import type { Holds } from '../fixtures/test-runtimes.js';
import { closeNode, definition, startNode } from '../control/harness.js';
import { waitForEnd, waitForStep } from '../helpers/wait.js';
import { ROOT, captureIo } from './helpers.js';

// `runDefinition` is what `maestro run` does once its embedded node is up; here over the real
// embedded node with the test step types (Hold waits for the test, Fail fails).

let node: EmbeddedNode;
let holds: Holds;
test.before(async () => {
  ({ node, holds } = await startNode());
});
test.after.always(async () => {
  if (node) await closeNode(node, holds);
});

const progressOf = (stdout: string[]): string[] => stdout.filter((l) => l.startsWith('[')).map((l) => l.replace(/^\[[^\]]+\] /, ''));

test('run prints a line per change, the step table and the final status; exit 0 on success', async (t) => {
  const io = captureIo();
  const running = runDefinition(node.api, { text: definition('run-ok', [{ id: 'one', type: 'Hold' }, { id: 'two' }]), format: 'json', params: { p: 'v' } }, io);
  await io.printed(/step one RUNNING$/);
  holds.release(await waitForStep(node.api, 'run-ok', 1, 'one', 'RUNNING'), 'one');
  t.is(await running, 0);

  const out = io.stdout.join('\n');
  t.regex(out, /^started workflow run-ok version 1 instance 1$/m);
  const progress = io.stdout.filter((l) => l.startsWith('['));
  t.true(progress.every((l) => /^\[ +\d+\.\d\ds\] (workflow|step \S+) [A-Z_]+$/.test(l)), progress.join('\n'));
  const lines = progressOf(io.stdout);
  t.is(lines[0], 'workflow IN_PROGRESS');
  t.deepEqual(lines.slice(lines.indexOf('step one RUNNING')), ['step one RUNNING', 'step one SUCCEEDED', 'step two RUNNING', 'step two SUCCEEDED', 'workflow SUCCEEDED']);
  t.is(new Set(lines).size, lines.length, 'no line twice');
  t.regex(out, /^STEP\s+TYPE\s+STATUS\s+ATTEMPTS\s+DURATION$/m);
  t.regex(out, /^one\s+Hold\s+SUCCEEDED\s+1\s+\d+ms$/m);
  t.regex(out, /^two\s+NoOp\s+SUCCEEDED\s+1\s+\d+ms$/m);
  t.regex(out, /^workflow run-ok instance 1 run 1: SUCCEEDED in \d+ms$/m);
});

test('a failed run exits 1 and says which step failed and why', async (t) => {
  const io = captureIo();
  const text = definition('run-fail', [{ id: 'ok' }, { id: 'bad', type: 'Fail', params: { error: { type: 'STRING', value: 'quota exceeded' } }, retries: 0 }]);
  const code = await runDefinition(node.api, { text, format: 'json', params: {} }, io);
  t.is(code, 1);
  const out = io.stdout.join('\n');
  t.regex(out, /\] step bad USER_FAILED: quota exceeded$/m);
  t.regex(out, /run 1: FAILED in/);
  t.regex(out, /^error: step bad ended USER_FAILED: quota exceeded$/m);
  t.regex(out, /^ {2}step bad \(attempt 1\): quota exceeded$/m);
});

test('Ctrl-C during a run stops the instance; the run ends STOPPED with exit 1', async (t) => {
  const io = captureIo();
  const running = runDefinition(node.api, { text: definition('run-block', [{ id: 'hold', type: 'Hold' }]), format: 'json', params: {} }, io);
  await io.printed(/step hold RUNNING$/);
  io.interrupt();
  t.is(await running, 1);
  t.regex(io.stderr.join('\n'), /SIGINT: stopping instance 1/);
  t.notRegex(io.stderr.join('\n'), /stop failed/, 'one stop, and it was accepted');
  t.regex(io.stdout.join('\n'), /run 1: STOPPED/);
  t.is((await node.api.getInstance('run-block', 1)).status, 'STOPPED');
});

test('a bad definition surfaces as a ValidationError, which the CLI exits 2 for', async (t) => {
  const io = captureIo();
  const err = await t.throwsAsync(runDefinition(node.api, { text: '{"properties": {"owner": "x"}, "workflow": {"steps": []}}', format: 'json', params: {} }, io), { instanceOf: ValidationError });
  t.is(err?.path, 'workflow.id');
  t.is(exitCodeOf(err), 2);
  t.deepEqual(io.stdout, [], 'nothing was started');
});

test('follow of a finished instance tells its story once and returns it', async (t) => {
  await node.api.createWorkflow(definition('done', [{ id: 'a' }, { id: 'b', type: 'Fail', retries: 0 }]));
  const { instanceId } = await node.api.startWorkflow({ workflowId: 'done' });
  await waitForEnd(node.api, 'done', instanceId);
  const lines: string[] = [];
  const view = await follow(node.api, 'done', instanceId, (l) => lines.push(l.replace(/^\[[^\]]+\] /, '')));
  t.is(view.status, 'FAILED');
  t.deepEqual(lines, ['workflow IN_PROGRESS', 'step a SUCCEEDED', 'step b USER_FAILED', 'workflow FAILED']);
});

test('follow ends through its safety poll when the terminal change is lost', async (t) => {
  await node.api.createWorkflow(definition('lossy', [{ id: 'hold', type: 'Hold' }]));
  const { instanceId } = await node.api.startWorkflow({ workflowId: 'lossy' });
  const running = await waitForStep(node.api, 'lossy', instanceId, 'hold', 'RUNNING');
  const deaf = { getInstance: node.api.getInstance.bind(node.api), watchInstance: async () => () => {} };
  const done = follow(deaf, 'lossy', instanceId, () => {}, { pollMs: 10 });
  holds.release(running, 'hold');
  t.is((await done).status, 'SUCCEEDED');
});

test('maestro run --ui serves the web UI while the run goes and after it, until Ctrl-C', async (t) => {
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, ['bin/maestro.js', 'run', 'examples/conditional-branch.json', '--ui', '--http-port', '0'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => void (child.exitCode === null && child.kill('SIGKILL')));
  let err = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /the web UI stays up on (http:\S+) until Ctrl-C/.exec(err);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`exited ${code} first: ${err}`)));
  });
  t.regex(err, /web UI on http:\S+\/instances/);
  const list = (await (await fetch(`${url}/api/instances`)).json()) as { instances: Array<{ workflowId: string; status: string }> };
  t.true(list.instances.some((i) => i.status === 'SUCCEEDED'), JSON.stringify(list));
  t.is((await fetch(`${url}/`)).status, 200, 'the UI page');
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  child.kill('SIGINT');
  t.is(await exited, 0, 'the run SUCCEEDED: exit 0 once the UI is closed');
});
