import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'ava';
import { defaultExecutorOptions, type ExecutorOptions } from '../../src/executor/options.js';
import { ShellRuntime } from '../../src/executor/runtimes/shell.js';
import { parseOutputBlock } from '../../src/executor/runtimes/shell-output.js';
import { makeTask, never } from './task-fixture.js';
import { CONFORMANCE_DIR, conformanceMissing, testIf } from '../helpers/skip.js';

function shell(over: Partial<ExecutorOptions> = {}): ShellRuntime {
  return new ShellRuntime({ ...defaultExecutorOptions(), shellEnabled: true, ...over });
}

function shellTask(command: string, params: Record<string, unknown> = {}) {
  return makeTask({ stepType: 'Shell', params: { command, ...params } });
}

test('step params reach the command as environment variables', async (t) => {
  const r = await shell().run(
    shellTask('printf "%s|%s|%s|%s|%s" "$name" "$count" "$flags" "$conf" "$MAESTRO_STEP_ID"', {
      name: 'alice',
      count: 3,
      flags: ['a', 'b'],
      conf: { k: 'v' },
    }),
    never(),
  );
  t.is(r.status, 'SUCCEEDED');
  t.is(r.stdout, 'alice|3|["a","b"]|{"k":"v"}|step');
});

test('a plain output block becomes the output params', async (t) => {
  const r = await shell().run(
    shellTask('echo working; echo "MAESTRO_OUTPUT_START{\\"foo\\": \\"bar\\", \\"n\\": 2}MAESTRO_OUTPUT_END"; echo done'),
    never(),
  );
  t.is(r.status, 'SUCCEEDED', r.error);
  t.deepEqual(r.outputs, { foo: 'bar', n: 2 });
});

test('Maestro\'s params shape, written with the marker env vars, is read via evaluated_result', async (t) => {
  const json = JSON.stringify({
    params: { foo: { value: 'bar', type: 'STRING', evaluated_result: 'bar-evaluated' }, n: { value: 5, type: 'LONG' } },
    artifacts: { note: { type: 'X' } },
  });
  const r = await shell().run(shellTask(`echo "$MAESTRO_OUTPUT_START$payload$MAESTRO_OUTPUT_END"`, { payload: json }), never());
  t.is(r.status, 'SUCCEEDED', r.error);
  t.deepEqual(r.outputs, { foo: 'bar-evaluated', n: 5 });
  t.deepEqual(r.details?.['artifacts'], { note: { type: 'X' } });
});

const K8S_SAMPLE = 'samples/sample-kubernetes-output-wf.json';

testIf(conformanceMissing(K8S_SAMPLE))('the output block of Maestro\'s kubernetes output sample is understood', async (t) => {
  const def = JSON.parse(readFileSync(path.join(CONFORMANCE_DIR, K8S_SAMPLE), 'utf8'));
  const steps = def.workflow.steps as { step: { id: string; params?: Record<string, any> } }[];
  const args = steps.find((s) => s.step.id === 'job1')?.step.params?.['kubernetes'].value.args.value as string[];
  // Maestro's param interpolation turns `$$` into `$` before the command runs.
  const script = (args[1] ?? '').replaceAll('$$', '$');
  const quoted = `'${(args[3] ?? '').replaceAll("'", "'\\''")}'`;
  const r = await shell().run(shellTask(`set -- ${quoted}; ${script}`), never());
  t.is(r.status, 'SUCCEEDED', r.error);
  t.deepEqual(r.outputs, { foo: 'bar' });
  t.regex(r.stdout ?? '', /hello world/);
});

test('a non-zero exit is USER_FAILED with the exit code and stderr', async (t) => {
  const r = await shell().run(shellTask('echo out; echo "disk full" >&2; exit 3'), never());
  t.is(r.status, 'USER_FAILED');
  t.is(r.details?.['exit_code'], 3);
  t.regex(r.error ?? '', /exited with code 3: disk full/);
  t.is(r.stdout, 'out\n');
  t.is(r.stderr, 'disk full\n');
});

test('a failed step marked maestro_retry retryable:false fails fatally', async (t) => {
  const block = JSON.stringify({ artifacts: { maestro_retry: { type: 'RETRY', retryable: false } } });
  const r = await shell().run(shellTask(`echo "$MAESTRO_OUTPUT_START$b$MAESTRO_OUTPUT_END"; exit 1`, { b: block }), never());
  t.is(r.status, 'FATALLY_FAILED');
});

test('a malformed output block fails the step with a clear error', async (t) => {
  const r = await shell().run(shellTask('echo "MAESTRO_OUTPUT_START{not json}MAESTRO_OUTPUT_END"'), never());
  t.is(r.status, 'USER_FAILED');
  t.regex(r.error ?? '', /output block is not valid JSON/);
});

test('stdout and stderr keep only their last maxOutputBytes', async (t) => {
  const r = await shell({ maxOutputBytes: 1000 }).run(
    shellTask('i=0; while [ $i -lt 500 ]; do echo "line $i"; i=$((i+1)); done; echo tail-marker'),
    never(),
  );
  t.is(r.status, 'SUCCEEDED');
  t.true((r.stdout ?? '').length <= 1000);
  t.true((r.stdout ?? '').endsWith('tail-marker\n'));
  t.false((r.stdout ?? '').includes('line 1\n'));
});

test('an aborted step kills its whole process group', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'shell-test-'));
  try {
    const pidFile = path.join(dir, 'pid');
    const ac = new AbortController();
    const running = shell().run(shellTask(`sleep 30 & echo $! > ${pidFile}; wait`), ac.signal);
    let pid = NaN;
    for (let i = 0; i < 200 && Number.isNaN(pid); i++) {
      await new Promise((r) => setTimeout(r, 10));
      pid = Number.parseInt(await readFile(pidFile, 'utf8').catch(() => ''), 10);
    }
    t.false(Number.isNaN(pid), 'the background child wrote its pid');
    const before = Date.now();
    ac.abort();
    const r = await running;
    t.is(r.status, 'PLATFORM_FAILED');
    t.regex(r.error ?? '', /cancelled/);
    t.true(Date.now() - before < 3_000);
    let alive = true;
    for (let i = 0; i < 100 && alive; i++) {
      alive = isAlive(pid);
      if (alive) await new Promise((r) => setTimeout(r, 10));
    }
    t.false(alive, 'the background sleep is gone');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

/** Alive and not a zombie (a container's pid 1 may never reap orphans). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = readFileSafe(`/proc/${pid}/stat`);
  return stat === undefined || !/^\d+ \(.*\) Z/.test(stat);
}

function readFileSafe(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

test('a missing command fails fatally, naming the param', async (t) => {
  const r = await shell().run(makeTask({ stepType: 'Shell', params: {} }), never());
  t.is(r.status, 'FATALLY_FAILED');
  t.regex(r.error ?? '', /param command/);
});

test('parseOutputBlock: both shapes, the last block wins, broken markers are reported', (t) => {
  t.deepEqual(parseOutputBlock('no block here'), { kind: 'none' });
  t.deepEqual(parseOutputBlock('MAESTRO_OUTPUT_START{"a":1}MAESTRO_OUTPUT_END x MAESTRO_OUTPUT_START{"a":2}MAESTRO_OUTPUT_END'), {
    kind: 'ok',
    outputs: { a: 2 },
  });
  t.deepEqual(parseOutputBlock('MAESTRO_OUTPUT_START_TOKEN{"params":{"p":{"value":[1,2],"type":"LONG_ARRAY"}}}MAESTRO_OUTPUT_END_TOKEN'), {
    kind: 'ok',
    outputs: { p: [1, 2] },
  });
  t.deepEqual(parseOutputBlock('MAESTRO_OUTPUT_START{"params":"plain string"}MAESTRO_OUTPUT_END'), {
    kind: 'ok',
    outputs: { params: 'plain string' },
  });
  t.like(parseOutputBlock('MAESTRO_OUTPUT_START{"a":1}'), { kind: 'error' });
  t.like(parseOutputBlock('{"a":1}MAESTRO_OUTPUT_END'), { kind: 'error' });
  t.like(parseOutputBlock('MAESTRO_OUTPUT_START[1]MAESTRO_OUTPUT_END'), { kind: 'error' });
});
