/**
 * The Python Client has every call of the TypeScript control client (src/control/client.ts):
 * clients/python/maestro/client.py driven by test/fixtures/python/client_parity.py against a real
 * `maestro dev --shell`; this checks the report it prints.
 */
import { join } from 'node:path';
import { startDev } from '../cli/helpers.js';
import { testIf } from '../helpers/skip.js';
import { PY_FIXTURES, pythonMissing, runPython } from '../helpers/python.js';

const pyTest = testIf(pythonMissing());

pyTest('the Python Client: workflows, activate/deactivate/delete, restart, unblock, terminate, outputs, step actions, breakpoints, logs, signals, permits, triggers', async (t) => {
  const dev = await startDev(['--shell']);
  t.teardown(() => dev.kill());
  const r = await runPython([join(PY_FIXTURES, 'client_parity.py'), dev.address], { timeoutMs: 120_000 });
  t.is(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout) as Record<string, unknown>;
  t.log(JSON.stringify(report));
  const err = (k: string) => report[k] as { code: string; message: string } | null;

  t.is(report['validate'], 'py-parity');
  t.is(err('validate_invalid')?.code, 'INVALID_ARGUMENT');
  t.regex(err('validate_invalid')!.message, /workflow\.steps\[0\]\.step\.id/);
  t.deepEqual(report['workflows'], ['py-parity', 'py-parity-slow', 'py-parity-strict']);
  t.is(report['get_workflow_v1'], 1);
  t.is(report['activate'], 1);
  t.is(report['active_after_activate'], 1);
  t.is(report['deactivate'], 1, 'the version that was active');
  t.is(err('start_without_active')?.code, 'FAILED_PRECONDITION');
  t.regex(err('start_without_active')!.message, /no active version/);

  t.is(report['breakpoint'], 'b');
  t.deepEqual(report['breakpoints'], [['py-parity', 'b']]);
  t.is(report['paused_status'], 'PAUSED');
  t.deepEqual(report['paused'], [[1, 'b', 1]]);
  t.is(report['after_resume'], 'SUCCEEDED');
  t.is(report['delete_breakpoint'], 0, 'nothing paused any more');
  t.deepEqual(report['breakpoints_after_delete'], []);

  t.deepEqual(report['logs'], [
    ['stdout', 'hello-a\n', false, ''],
    ['', '', true, 'SUCCEEDED'],
  ]);
  t.deepEqual(report['logs_follow_ended'], ['hello-a\n']);

  t.is(report['restart_run_id'], 2);
  t.is(report['after_restart'], 'SUCCEEDED');
  t.is(err('refused_step_action')?.code, 'FAILED_PRECONDITION');
  t.regex(err('refused_step_action')!.message, /SUCCEEDED/, 'names the status');
  t.is(err('bad_policy')?.code, 'ValueError');
  t.regex(err('bad_policy')!.message, /^policy: 'sideways' is not one of FROM_INCOMPLETE, FROM_BEGINNING/);

  t.deepEqual(report['put_outputs'], { rows: 5, note: 'half' });
  t.is(report['after_kill'], 'FAILED');
  t.deepEqual(report['terminate'], { ended: 0, terminating: 1 });
  t.is(report['after_terminate'], 'STOPPED');

  t.is(report['strict_failed'], 'FAILED');
  t.is(report['unblock'], 'FAILED', 'it stays FAILED');
  t.is(report['unblock_workflow'], 0, 'nothing left to unblock');

  t.is(report['get_signal_latest'], 2);
  t.deepEqual(report['get_signal_1'], { n: 1 });
  t.deepEqual(report['list_signals'], [[2], 2]);

  t.is(report['set_permit'], 3);
  t.is(report['get_permit'], 3);
  t.deepEqual(report['list_permits'], ['py-tag']);
  t.is(report['delete_permit'], 'py-tag');
  t.deepEqual(report['permits_after_delete'], []);

  t.deepEqual(report['time_triggers'], [2]);
  t.deepEqual(report['sync_time_triggers'], ['fired', 'subscribed']);
  t.is(err('get_deleted')?.code, 'NOT_FOUND');
  t.is(report['instance_after_delete'], 'SUCCEEDED');
});
