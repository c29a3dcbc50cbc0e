import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createControlClient, type ControlClient } from '../../src/control/client.js';
import { maestro, ROOT, startDev, type DevServer } from './helpers.js';
import { waitForEnd } from '../helpers/wait.js';

// `maestro logs` against `maestro dev --shell`: live output of a running Shell step (-f), the
// kept output of an ended one, and errors naming what is wrong.

const BIN = fileURLToPath(new URL('../../bin/maestro.js', import.meta.url));
let dev: DevServer;
let client: ControlClient;
let dir: string;

test.before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'maestro-logs-'));
  dev = await startDev(['--shell']);
  client = createControlClient(dev.address);
});
test.after.always(async () => {
  client?.close();
  if (dev) await dev.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function shellWorkflow(id: string, command: string): string {
  const file = join(dir, `${id}.json`);
  const def = { properties: { owner: 'tests' }, workflow: { id, steps: [{ step: { id: 'talk', type: 'Shell', retry_policy: { error_retry_limit: 0 }, params: { command: { value: command, type: 'STRING' } } } }] } };
  writeFileSync(file, JSON.stringify(def));
  return file;
}

/** Spawns `maestro logs ...`; `printed(re)` resolves once its stdout matches. */
function spawnLogs(args: string[]) {
  const child = spawn(process.execPath, [BIN, 'logs', ...args, '--server', dev.address], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const waiters: Array<() => void> = [];
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    for (const w of waiters.splice(0)) w();
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => (waiters.splice(0).forEach((w) => w()), resolve(code))));
  const printed = async (re: RegExp): Promise<void> => {
    while (!re.test(stdout)) {
      if (child.exitCode !== null) throw new Error(`maestro logs exited ${child.exitCode} before printing ${re}: ${stdout} / ${stderr}`);
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
  };
  return { printed, exited, stdout: () => stdout, stderr: () => stderr, kill: () => child.kill('SIGKILL') };
}

test('logs -f shows a running Shell step line by line and ends with it; logs without -f prints what was kept', async (t) => {
  const go = join(dir, 'go');
  const file = shellWorkflow('talky', `echo first; while [ ! -f ${go} ]; do sleep 0.02; done; echo second; echo oops >&2; exit 3`);
  t.is((await maestro(['push', file, '--server', dev.address])).code, 0);
  t.is((await maestro(['start', 'talky', '--server', dev.address])).code, 0);
  const logs = spawnLogs(['talky', '1', 'talk', '-f']);
  t.teardown(logs.kill);
  await logs.printed(/^first\n/);
  // the step cannot end before the test creates the file: the first line came live
  const view = await client.getInstance('talky', 1);
  t.is(view.steps.find((s) => s.stepId === 'talk')?.status, 'RUNNING');
  t.false(logs.stdout().includes('second'));
  writeFileSync(go, '');
  t.is(await logs.exited, 0);
  t.is(logs.stdout(), 'first\nsecond\n');
  t.is(logs.stderr(), 'oops\n');
  t.is((await waitForEnd(client, 'talky', 1)).status, 'FAILED');

  const kept = await maestro(['logs', 'talky', '1', 'talk', '--attempt', '1', '--server', dev.address]);
  t.is(kept.code, 0);
  t.is(kept.stdout, 'first\nsecond\n');
  t.is(kept.stderr, 'oops\n');

  // the dev server said what happened (JSON lines: its stderr is not a terminal)
  const lines = await devLogLines((ls) => ls.some((l) => l['msg'] === 'instance ended' && l['workflowId'] === 'talky'));
  const talky = lines.filter((l) => l['workflowId'] === 'talky');
  t.deepEqual(talky.map((l) => l['msg']), ['instance started', 'step attempt failed', 'instance ended']);
  t.like(talky[1], { level: 30, stepId: 'talk', attempt: 1, status: 'USER_FAILED', error: 'command exited with code 3: oops' });
  t.like(talky[2], { level: 30, instanceId: 1, status: 'FAILED' });
  t.true(typeof talky[2]?.['durationMs'] === 'number');
});

/** The dev server's JSON log lines once `done` holds of them (its stderr is read as it comes). */
async function devLogLines(done: (lines: Array<Record<string, unknown>>) => boolean): Promise<Array<Record<string, unknown>>> {
  for (let i = 0; ; i++) {
    const lines = dev
      .stderr()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    if (done(lines)) return lines;
    if (i > 500) throw new Error(`the dev server did not log what was expected: ${dev.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

test('logs -f of an ended attempt prints what was kept and returns', async (t) => {
  const file = shellWorkflow('quick', 'echo done-already');
  t.is((await maestro(['push', file, '--server', dev.address])).code, 0);
  t.is((await maestro(['start', 'quick', '--server', dev.address])).code, 0);
  await waitForEnd(client, 'quick', 1);
  const r = await maestro(['logs', 'quick', '1', 'talk', '-f', '--server', dev.address]);
  t.is(r.code, 0);
  t.is(r.stdout, 'done-already\n');
});

test('logs names a missing step, attempt or instance', async (t) => {
  const file = shellWorkflow('named', 'echo x');
  t.is((await maestro(['push', file, '--server', dev.address])).code, 0);
  t.is((await maestro(['start', 'named', '--server', dev.address])).code, 0);
  await waitForEnd(client, 'named', 1);
  const step = await maestro(['logs', 'named', '1', 'nope', '--server', dev.address]);
  t.is(step.code, 2);
  t.regex(step.stderr, /step_id: instance named\/1 has no step "nope"/);
  const attempt = await maestro(['logs', 'named', '1', 'talk', '--attempt', '5', '--server', dev.address]);
  t.is(attempt.code, 2);
  t.regex(attempt.stderr, /attempt: step talk has no attempt 5/);
  const instance = await maestro(['logs', 'named', '9', 'talk', '--server', dev.address]);
  t.is(instance.code, 1);
  t.regex(instance.stderr, /not found/);
});

test('maestro run prints the last 20 lines of a failed step under the failure (stderr, else stdout)', async (t) => {
  const noisy = shellWorkflow('noisy', "seq 1 30 | sed 's/^/err line /' >&2; echo 'out line'; exit 4");
  const r = await maestro(['run', noisy, '--shell']);
  t.is(r.code, 1);
  const out = r.stdout;
  t.regex(out, /^ {2}step talk \(attempt 1\): command exited with code 4: err line 30$/m);
  t.regex(out, /^ {2}step talk \(attempt 1\) stderr, last 20 of 30 lines:\n {4}\| err line 11\n/m);
  t.regex(out, /^ {4}\| err line 30$/m);
  t.notRegex(out, /err line 10$/m);
  t.true(out.indexOf('command exited with code 4') < out.indexOf('| err line 11'), 'the tail comes under the failure');

  const quiet = shellWorkflow('stdout-only', 'echo "only stdout"; exit 5');
  const q = await maestro(['run', quiet, '--shell']);
  t.is(q.code, 1);
  t.regex(q.stdout, /^ {2}step talk \(attempt 1\) stdout:\n {4}\| only stdout$/m);
});
