/**
 * Maestro's own sample workflows through the param model and the real SEL engine: every
 * sample's workflow params and step params (loop bodies with one iteration's loop values)
 * evaluate, with the values Maestro computes.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import type { ParamDefinitions, Step } from '../../src/core/definition/model.js';
import {
  evaluateCondition,
  inferType,
  makeScope,
  mergeOutputs,
  resolveStepParams,
  resolveWorkflowParams,
  type ParamValues,
  type SignalContext,
  type SystemContext,
} from '../../src/core/params/index.js';
import { ValidationError } from '../../src/core/errors.js';
import { env, pick, sel, step, stepCtx, system } from './params-fixtures.js';
import { CONFORMANCE_DIR, conformanceMissing } from '../helpers/skip.js';

const SAMPLES = join(CONFORMANCE_DIR, 'samples');
const missing = conformanceMissing('samples', 'invalid');

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Maestro reads types and modes case-insensitively ("String", "long_array", "mutable"). */
function normalize(params: Json | undefined): ParamDefinitions {
  const out: ParamDefinitions = {};
  for (const [name, d] of Object.entries(params ?? {})) {
    const def: Json = { ...d, type: String(d.type).toUpperCase() };
    if (d.mode) def.mode = String(d.mode).toUpperCase();
    if (def.type === 'MAP' && d.value) def.value = normalize(d.value);
    out[name] = def as ParamDefinitions[string];
  }
  return out;
}

function load(file: string): Json {
  return JSON.parse(readFileSync(join(SAMPLES, file), 'utf8')) as Json;
}

const SIGNALS: SignalContext = {
  triggerParams: { foo: 'bar' },
  triggerSignals: { signal_a: { watermark: 12345 } },
  dependencies: [{ vtts_utc_dateint: '20231114' }],
};

interface Run {
  workflow: ParamValues;
  steps: Record<string, ParamValues>;
  system: SystemContext;
}

/** Steps in an order where each comes after the steps that lead to it. */
function dagOrder(list: Json[]): Array<[Step['kind'], Json]> {
  const steps = list.map((e) => Object.entries(e)[0] as [Step['kind'], Json]);
  const preds = new Map(steps.map(([, b]) => [b.id as string, 0]));
  for (const [, b] of steps) for (const next of Object.keys(b.transition?.successors ?? {})) preds.set(next, (preds.get(next) ?? 0) + 1);
  const out: Array<[Step['kind'], Json]> = [];
  const ready = steps.filter(([, b]) => preds.get(b.id) === 0);
  while (ready.length > 0) {
    const cur = ready.shift()!;
    out.push(cur);
    for (const next of Object.keys(cur[1].transition?.successors ?? {})) {
      preds.set(next, preds.get(next)! - 1);
      if (preds.get(next) === 0) ready.push(steps.find(([, b]) => b.id === next)!);
    }
  }
  return out;
}

/** Resolves a sample's workflow params, then its steps in DAG order; a loop body sees its last iteration's values. */
function run(file: string, over: Partial<SystemContext> = {}): Run {
  const wf = load(file).workflow as Json;
  const sys = system({ workflowId: wf.id, firstTimeTriggerTimezone: wf.time_triggers?.[0]?.timezone, ...over });
  const signals = sys.initiatorType === 'SIGNAL' ? SIGNALS : undefined;
  const workflow = resolveWorkflowParams(normalize(wf.params), undefined, { env: env(), system: sys, signals });
  const steps: Record<string, ParamValues> = {};
  const walk = (list: Json[], scope: ParamValues): void => {
    for (const [kind, body] of dagOrder(list)) {
      const s = step(body.id, normalize(body.params), kind);
      const out = resolveStepParams(s, stepCtx({ system: sys, workflowParams: scope, steps, signals }));
      steps[body.id] = out;
      if (kind !== 'foreach' && kind !== 'while') continue;
      const inner: ParamValues = { ...scope };
      for (const [k, v] of Object.entries(out['loop_params']!.value as Record<string, unknown>)) {
        const value = kind === 'foreach' && Array.isArray(v) ? v[v.length - 1] : v;
        inner[k] = { type: inferType(value, k), value };
      }
      walk(body.steps as Json[], inner);
    }
  };
  walk(wf.steps as Json[], workflow);
  return { workflow, steps, system: sys };
}

if (missing !== undefined) {
  test.skip(`Maestro samples resolve their params (skipped: ${missing})`, () => {});
} else {
  test('every sample workflow resolves its workflow and step params', (t) => {
    const files = readdirSync(SAMPLES).filter((f) => f.endsWith('.json'));
    t.true(files.length > 0);
    for (const f of files) {
      const initiatorType = f.includes('signal') ? 'SIGNAL' : f.includes('time-trigger') ? 'TIME' : 'MANUAL';
      const timezone = initiatorType === 'TIME' ? 'Asia/Tokyo' : undefined;
      t.notThrows(() => run(f, { initiatorType, timezone }), f);
    }
  });

  test('sample-dag-test-3: forward references, step__param, Util dates', (t) => {
    const r = run('sample-dag-test-3.json');
    t.is(r.workflow['foo']!.value, 'bar1');
    t.deepEqual(pick(r.steps['job.2']!, 'param1', 'param2', 'sleep_seconds', 'vtts_ts'), {
      param1: '161',
      param2: '15 + 1',
      sleep_seconds: 16,
      vtts_ts: Date.UTC(2023, 10, 14, 22) / 1000,
    });
  });

  test('sample-dag-test-10 and sample-conditional-wf: expressions, params.get, conditions', (t) => {
    const r10 = run('sample-dag-test-10.json');
    t.deepEqual(pick(r10.workflow, 'far', 'baz', 'bat'), { far: 100, baz: '1800', bat: '2' });
    t.deepEqual(pick(r10.steps['job.2']!, 'param1', 'param2'), { param1: '21', param2: '1 + 1' });
    const rc = run('sample-conditional-wf.json');
    t.is(rc.steps['job.7']!['param5']!.value, 15);
    const scope = makeScope(rc.steps['job.3'], { env: env(), system: rc.system, workflowParams: rc.workflow, stepParams: (id) => rc.steps[id] });
    t.false(evaluateCondition('param2 < 0', scope, sel));
    t.true(evaluateCondition('param2 >= 0', scope, sel));
    t.true(evaluateCondition("params.getFromStep('job.4', 'param3') > 0", scope, sel));
  });

  test('sample-dag-test-2 and -5: CONSTANT and MUTABLE keep their value on restart, IMMUTABLE is re-evaluated', (t) => {
    const first = run('sample-dag-test-2.json');
    t.regex(String(first.workflow['param1']!.value), /^[0-9a-f-]{36}$/);
    const again = resolveWorkflowParams(normalize(load('sample-dag-test-2.json').workflow.params), undefined, {
      env: { ...env(), random: () => 0.25 },
      system: system({ runId: 2, runPolicy: 'RESTART_FROM_BEGINNING' }),
      restart: { previous: first.workflow },
    });
    t.is(again['param1']!.value, first.workflow['param1']!.value);
    t.not(again['param2']!.value, first.workflow['param2']!.value);

    const defs = normalize(load('sample-dag-test-5.json').workflow.params);
    const start = resolveWorkflowParams(defs, undefined, { env: env(), system: system() });
    t.is(start['WF_RESTART_MODE']!.value, 'run');
    const restart = (d: ParamDefinitions) =>
      resolveWorkflowParams(d, undefined, { env: env(), system: system({ runPolicy: 'RESTART_FROM_INCOMPLETE' }), restart: { previous: start } });
    t.is(restart(defs)['WF_RESTART_MODE']!.value, 'run', 'MUTABLE: the previous value stays');
    const immutable = { WF_RESTART_MODE: { ...defs['WF_RESTART_MODE']!, mode: 'IMMUTABLE' as const } };
    const startImmutable = resolveWorkflowParams(immutable, undefined, { env: env(), system: system() });
    const restarted = resolveWorkflowParams(immutable, undefined, {
      env: env(),
      system: system({ runPolicy: 'RESTART_FROM_INCOMPLETE' }),
      restart: { previous: startImmutable },
    });
    t.is(restarted['WF_RESTART_MODE']!.value, 'resume');
  });

  test('loops: foreach and while params, nested foreach bodies', (t) => {
    const fe = run('sample-foreach-wf.json');
    t.is(fe.workflow['foo']!.value, 'September');
    const days = (fe.steps['foreach-job']!['loop_params']!.value as { i: number[] }).i;
    t.is(days[0], 20200101);
    t.is(days.length, 9);
    t.is(run('sample-while-wf.json').steps['job.1']!['i']!.value, 20200102);
    const nested = run('sample-nested-foreach-wf.json');
    t.deepEqual(nested.steps['foreach-job']!['loop_params']!.value, { i: [1, 2, 3], j: ['a', 'b'] });
    t.deepEqual(pick(nested.steps['job1']!, 'param2', 'loop_params'), { param2: 5, loop_params: { x: [1, 2] } });
    t.is(nested.steps['job.1']!['sleep_seconds']!.value, 10);
    t.is(nested.steps['job.2']!['sleep_seconds']!.value, 30);
  });

  test('signal and time triggered samples', (t) => {
    const sig = run('sample-signal-trigger-wf.json', { initiatorType: 'SIGNAL' });
    t.deepEqual(pick(sig.steps['job.1']!, 'param1', 'param2', 'param3'), { param1: 'bar', param2: 12345, param3: '20231114' });
    const time = run('sample-time-trigger-wf.json', { initiatorType: 'TIME', timezone: 'Asia/Tokyo' });
    t.deepEqual(pick(time.workflow, 'DSL_DEFAULT_TZ', 'WORKFLOW_CRON_TIMEZONE', 'TARGET_RUN_DATE', 'TARGET_RUN_HOUR'), {
      DSL_DEFAULT_TZ: 'US/Pacific',
      WORKFLOW_CRON_TIMEZONE: 'Asia/Tokyo',
      TARGET_RUN_DATE: '20231115',
      TARGET_RUN_HOUR: '07',
    });
  });

  test('sample-kubernetes-output-wf: $$ escapes in a nested MAP, outputs drive the condition', (t) => {
    const r = run('sample-kubernetes-output-wf.json');
    const k8s = r.steps['job1']!['kubernetes']!.value as { image: string; args: string[] };
    t.is(k8s.image, 'busybox');
    t.is(k8s.args[1], 'echo hello world && echo $MAESTRO_OUTPUT_START$1$MAESTRO_OUTPUT_END');
    const scopeOf = (own: ParamValues) => makeScope(own, { env: env(), system: r.system, workflowParams: r.workflow });
    t.false(evaluateCondition("foo != 'default'", scopeOf(r.steps['job1']!), sel));
    const after = mergeOutputs(r.steps['job1']!, { foo: 'bar' }, 'steps.job1.outputs');
    t.true(evaluateCondition("foo != 'default'", scopeOf(after), sel));
  });

  test('sample-subworkflow-wf: subworkflow params', (t) => {
    const r = run('sample-subworkflow-wf.json');
    t.deepEqual(pick(r.steps['job1']!, 'subworkflow_id', 'subworkflow_version', 'param1'), {
      subworkflow_id: 'sample-dag-test-3',
      subworkflow_version: 'latest',
      param1: { foo: 'bar' },
    });
  });

  test('invalid/sample-invalid-wf-def: the param name $foo is rejected', (t) => {
    const wf = JSON.parse(readFileSync(join(CONFORMANCE_DIR, 'invalid/sample-invalid-wf-def.json'), 'utf8')) as Json;
    const e = t.throws(() => resolveWorkflowParams(normalize(wf.workflow.params), undefined, { env: env(), system: system() }), {
      instanceOf: ValidationError,
    });
    t.is(e!.path, 'params.$foo');
  });
}
