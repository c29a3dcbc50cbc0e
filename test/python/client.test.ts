/**
 * The Python SDK (clients/python): its own unit tests (values, message conversion, the Worker
 * against a fake WorkerService), and the Client against a real `maestro dev` node.
 */
import { join } from 'node:path';
import { startDev } from '../cli/helpers.js';
import { testIf } from '../helpers/skip.js';
import { PY_FIXTURES, PY_ROOT, pythonMissing, runPython } from '../helpers/python.js';

const pyTest = testIf(pythonMissing());

pyTest('the Python SDK unit tests pass (python3 -m unittest)', async (t) => {
  const r = await runPython(['-m', 'unittest', 'discover', '-s', join(PY_ROOT, 'tests')], { timeoutMs: 90_000 });
  t.is(r.code, 0, r.stderr);
  t.regex(r.stderr, /Ran \d+ tests/);
  t.regex(r.stderr, /\nOK/);
});

pyTest('the Python Client pushes, starts (dedup by request_id), waits, watches, signals against maestro dev', async (t) => {
  const dev = await startDev(['--shell']);
  t.teardown(() => dev.kill());
  const r = await runPython([join(PY_FIXTURES, 'client_check.py'), dev.address], { timeoutMs: 90_000 });
  t.is(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout) as Record<string, unknown>;
  t.is(report['pushed_version'], 1);
  const invalid = report['push_invalid'] as { code: string; field: string; message: string };
  t.is(invalid.code, 'INVALID_ARGUMENT');
  t.is(invalid.field, 'workflow.steps[0].step.id', 'the maestro-field trailer');
  t.regex(invalid.message, /^workflow\.steps\[0\]\.step\.id/);
  t.true(report['same_instance_for_request_id']);
  t.is(report['status'], 'SUCCEEDED');
  const params = report['params'] as Record<string, [unknown, string]>;
  t.deepEqual(params['region'], ['eu', 'str']);
  t.is(params['batch']![0], 7);
  t.is(params['ratio']![0], 2);
  t.is((report['emit_rows'] as [unknown, string])[0], 1200);
  t.true(report['typed_params'], 'instance.proto carries maestro.v1.Value');
  t.is(params['batch']![1], 'int', 'a LONG is a Python int');
  t.is(params['ratio']![1], 'float', 'a DOUBLE a float (2.0 stays a float)');
  t.is((report['emit_rows'] as [unknown, string])[1], 'int', 'an integer output is an int');
  t.deepEqual(report['step_statuses'], { emit: 'SUCCEEDED', done: 'SUCCEEDED' });
  t.true(report['ended_at_is_datetime']);
  t.is(report['watch_first'], 'snapshot');
  t.deepEqual(report['watch_by_request_id'], [true, 'SUCCEEDED']);
  t.deepEqual(report['start_and_watch'], ['snapshot', 'SUCCEEDED', ''], 'snapshot first, the run\'s end last');
  t.deepEqual(report['run'], ['SUCCEEDED', 9]);
  t.is((report['get_missing'] as { code: string }).code, 'NOT_FOUND');
  t.regex(String(report['bad_param']), /^params\.batch: cannot send a set/);
  t.deepEqual(report['signal'], { seq_id: 1, params: { n: 3, s: 'x' }, payload: { note: [1, null] } });
  t.is(report['signal_payload_int'], 'int');
  t.is(report['cluster_mode'], 'EMBEDDED');
  t.regex(String(report['wait_timeout']), /^py-sleepy\/\d+ did not end within 0\.3 s/);
  t.is(report['stopped'], 'STOPPED');
});
