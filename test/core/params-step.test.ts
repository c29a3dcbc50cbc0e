import test from 'ava';
import {
  evaluateCondition,
  makeScope,
  mergeOutputs,
  ParamCycleError,
  ParamEvaluationError,
  ParamLimitError,
  ParamModeError,
  ParamTypeError,
  resolveStepParams,
  resolveWorkflowParams,
  type ParamValues,
} from '../../src/core/params/index.js';
import { ValidationError } from '../../src/core/errors.js';
import { env, pick, recording, step, stepCtx, system } from './params-fixtures.js';

const workflowParams: ParamValues = {
  foo: { type: 'STRING', value: 'bar', mode: 'MUTABLE' },
  i: { type: 'LONG', value: 20200101, mode: 'MUTABLE' },
};

test('step system params: workflow_instance_id, step_instance_uuid, step_attempt_id, step_id', (t) => {
  const out = resolveStepParams(step('job1'), stepCtx({ attempt: 3 }));
  t.deepEqual(pick(out, 'workflow_instance_id', 'step_instance_uuid', 'step_attempt_id', 'step_id'), {
    workflow_instance_id: 7,
    step_instance_uuid: 'step-uuid',
    step_attempt_id: 3,
    step_id: 'job1',
  });
  t.is(out['step_id']!.mode, 'CONSTANT');
  t.throws(() => resolveStepParams(step('job1', { step_id: { type: 'STRING', value: 'x' } }), stepCtx()), {
    instanceOf: ParamModeError,
    message: /steps\.job1\.params\.step_id: param \[step_id\] is reserved/,
  });
});

test('step params reference later step params and workflow params', (t) => {
  const job3: ParamValues = { sleep_seconds: { type: 'LONG', value: 15 } };
  const out = resolveStepParams(
    step('job.2', {
      param1: { type: 'STRING', expression: "sleep_seconds + '1';" },
      param2: { type: 'STRING', value: '${job3__sleep_seconds} + 1 $foo' },
      sleep_seconds: { type: 'LONG', expression: 'job3__sleep_seconds + 1;' },
      viaGet: { type: 'LONG', expression: "params.getFromStep('job3', 'sleep_seconds') * 2" },
    }),
    stepCtx({ workflowParams, steps: { job3 } }),
  );
  t.deepEqual(pick(out, 'param1', 'param2', 'sleep_seconds', 'viaGet'), { param1: '161', param2: '15 + 1 bar', sleep_seconds: 16, viaGet: 30 });
});

test('a step param shadows the workflow param, and reads it when it refers to itself', (t) => {
  const out = resolveStepParams(
    step('job.1', { i: { type: 'LONG', expression: 'i+1' }, twice: { type: 'LONG', expression: 'i * 2' } }),
    stepCtx({ workflowParams }),
  );
  t.deepEqual(pick(out, 'i', 'twice'), { i: 20200102, twice: 40400204 });
});

test('a cycle between step params is an error naming the step', (t) => {
  const e = t.throws(
    () => resolveStepParams(step('s', { a: { type: 'STRING', value: '$b' }, b: { type: 'STRING', value: '$a' } }), stepCtx()),
    { instanceOf: ParamCycleError },
  );
  t.is(e!.path, 'steps.s.params.a');
  t.deepEqual(e!.chain, ['a', 'b', 'a']);
});

test('references to missing steps or params fail clearly', (t) => {
  t.throws(() => resolveStepParams(step('s', { a: { type: 'STRING', value: '${job9__x}' } }), stepCtx()), {
    instanceOf: ParamEvaluationError,
    message: /steps\.s\.params\.a: .*\[job9__x\] is not found/,
  });
  t.throws(() => resolveStepParams(step('s', { a: { type: 'STRING', value: '${job3__x}' } }), stepCtx({ steps: { job3: {} } })), {
    message: /steps\.s\.params\.a: cannot find param \[x\] in step \[job3\]/,
  });
  t.throws(
    () => resolveStepParams(step('s', { a: { type: 'LONG', expression: "params.getFromStep('job3', 'nope')" } }), stepCtx({ steps: { job3: {} } })),
    { instanceOf: ParamEvaluationError, message: /steps\.s\.params\.a: cannot find param \[nope\] in step \[job3\]/ },
  );
  t.throws(() => resolveStepParams(step('s', { a: { type: 'LONG', expression: 'job9__x + 1' } }), stepCtx()), {
    instanceOf: ParamEvaluationError,
    message: /steps\.s\.params\.a: .*unknown variable job9__x/,
  });
});

test('params.getFromStep reads step facts; getFromInstance owner is workflow-only', (t) => {
  const ctx = stepCtx({ stepFacts: (id) => (id === 'job3' ? { status: 'SUCCEEDED' } : undefined) });
  const out = resolveStepParams(step('s', { st: { type: 'STRING', expression: "params.getFromStep('job3', 'MAESTRO_STEP_STATUS')" } }), ctx);
  t.is(out['st']!.value, 'SUCCEEDED');
  t.throws(() => resolveStepParams(step('s', { o: { type: 'STRING', expression: "params.getFromInstance('owner')" } }), ctx), {
    message: /can only be used to define a workflow param/,
  });
  const wf = resolveWorkflowParams({ o: { type: 'STRING', expression: "params.getFromInstance('owner')" } }, undefined, { env: env(), system: system() });
  t.is(wf['o']!.value, 'tester');
});

test('signal dependencies: params.getFromSignalDependency', (t) => {
  const ctx = stepCtx({ signals: { dependencies: [{ vtts: '20240101' }] } });
  const ok = resolveStepParams(step('s', { d: { type: 'STRING', expression: "params.getFromSignalDependency('0', 'vtts')" } }), ctx);
  t.is(ok['d']!.value, '20240101');
  t.throws(() => resolveStepParams(step('s', { d: { type: 'STRING', expression: "params.getFromSignalDependency('1', 'vtts')" } }), ctx), {
    message: /index \[1\] is out of bound/,
  });
});

test('loop and subworkflow steps get their kind params', (t) => {
  const fe = resolveStepParams(
    step('fe', { loop_params: { type: 'MAP', value: { i: { type: 'LONG_ARRAY', expression: 'Util.dateIntsBetween(20200101, 20200103, 1);' } } } }, 'foreach'),
    stepCtx(),
  );
  t.deepEqual(pick(fe, 'loop_params', 'loop_index'), { loop_params: { i: [20200101, 20200102] }, loop_index: -1 });
  t.throws(() => resolveStepParams(step('fe', {}, 'foreach'), stepCtx()), { message: /steps\.fe\.params\.loop_params: .*@NotEmpty/ });
  t.throws(() => resolveStepParams(step('sub', {}, 'subworkflow'), stepCtx()), {
    message: /\[subworkflow_id\] is a required parameter \(type=\[STRING\]\)/,
  });
  const sub = resolveStepParams(step('sub', { subworkflow_id: { type: 'STRING', value: 'child' } }, 'subworkflow'), stepCtx());
  t.deepEqual(pick(sub, 'subworkflow_id', 'subworkflow_version'), { subworkflow_id: 'child', subworkflow_version: 'active' });
});

test('step run params: start vs restart modes', (t) => {
  const s = step('s', { a: { type: 'LONG', value: 1, mode: 'MUTABLE_ON_START' } });
  t.is(resolveStepParams(s, stepCtx({ runParams: { a: '2' } }))['a']!.value, 2);
  t.throws(() => resolveStepParams(s, stepCtx({ runParams: { a: 2 }, system: system({ runPolicy: 'RESTART_FROM_SPECIFIC' }) })), {
    instanceOf: ParamModeError,
    message: /steps\.s\.params\.a: step restart params cannot change param \[a\] with mode MUTABLE_ON_START/,
  });
});

test('mergeOutputs: MUTABLE params change, others refuse; types and limits are checked', (t) => {
  const cur = resolveStepParams(
    step('s', {
      foo: { type: 'STRING', value: 'default' },
      n: { type: 'LONG', value: 1 },
      fixed: { type: 'LONG', value: 1, mode: 'MUTABLE_ON_START' },
      m: { type: 'MAP', value: { a: { type: 'LONG', value: 1 }, b: { type: 'LONG', value: 2 } } },
      sm: { type: 'STRING_MAP', value: { a: '1' } },
    }),
    stepCtx(),
  );
  const out = mergeOutputs(cur, { foo: 'bar', n: '5', m: { b: 3 }, sm: { c: '2' }, status_code: 200 }, 'steps.s.outputs');
  t.deepEqual(pick(out, 'foo', 'n', 'm', 'sm', 'status_code'), { foo: 'bar', n: 5, m: { a: 1, b: 3 }, sm: { a: '1', c: '2' }, status_code: 200 });
  t.is(out['foo']!.source, 'OUTPUT_PARAMETER');
  t.is(out['status_code']!.type, 'LONG');
  t.is(cur['foo']!.value, 'default', 'the input is not modified');
  t.throws(() => mergeOutputs(cur, { fixed: 2 }, 'steps.s.outputs'), {
    instanceOf: ParamModeError,
    message: /steps\.s\.outputs\.fixed: step outputs cannot change param \[fixed\] with mode MUTABLE_ON_START/,
  });
  t.throws(() => mergeOutputs(cur, { step_id: 'x' }, 'steps.s.outputs'), { instanceOf: ParamModeError, message: /CONSTANT/ });
  t.notThrows(() => mergeOutputs(cur, { fixed: 1 }, 'steps.s.outputs'), 'the same value is no change');
  t.throws(() => mergeOutputs(cur, { n: 'five' }, 'steps.s.outputs'), { instanceOf: ParamTypeError, message: /steps\.s\.outputs\.n: expected LONG/ });
  const many = Object.fromEntries(Array.from({ length: 129 }, (_, i) => [`o${i}`, i]));
  t.throws(() => mergeOutputs(cur, many, 'steps.s.outputs'), { instanceOf: ParamLimitError });
});

test('makeScope: own params, then workflow params, then step references', (t) => {
  const own: ParamValues = { param2: { type: 'LONG', value: 15 }, foo: { type: 'STRING', value: 'own' }, step_id: { type: 'STRING', value: 'job.3' } };
  const steps: Record<string, ParamValues> = { 'job.4': { param3: { type: 'LONG', value: -1 } } };
  const scope = makeScope(own, { env: env(), system: system(), workflowParams, stepParams: (id) => steps[id] });
  t.is(scope.lookup('foo')!.value, 'own');
  t.is(scope.lookup('i')!.value, 20200101);
  t.is(scope.lookup('job.4__param3')!.value, -1);
  t.is(scope.lookup('nothing'), undefined);
  t.is(scope.params.getFromStep('job.4', 'param3'), -1);
  t.is(scope.params.get('param2'), 15);
  const inStep = makeScope(own, stepCtx({ attempt: 2 }));
  t.is((inStep.params.getFromStep as (f: string) => unknown)('step_id'), 'job.3');
  t.is((inStep.params.getFromStep as (f: string) => unknown)('step_attempt_id'), 2);
});

test('evaluateCondition: fast path, booleans only', (t) => {
  const engine = recording();
  const own: ParamValues = { param2: { type: 'LONG', value: 15 } };
  const scope = makeScope(own, {
    env: env(engine),
    system: system(),
    workflowParams: {},
    stepParams: (id) => (id === 'job.4' ? { param3: { type: 'LONG', value: 15 } } : undefined),
  });
  t.true(evaluateCondition(' true ', scope, engine));
  t.false(evaluateCondition('false', scope, engine));
  t.deepEqual(engine.calls, [], 'literals never reach the engine');
  t.false(evaluateCondition('param2 < 0', scope, engine));
  t.true(evaluateCondition('param2 >= 0', scope, engine));
  t.true(evaluateCondition("params.getFromStep('job.4', 'param3') > 0", scope, engine));
  t.throws(() => evaluateCondition('param2', scope, engine), { instanceOf: ValidationError, message: /must evaluate to a boolean, got 15/ });
  t.throws(() => evaluateCondition('nope + 1 > 0', scope, engine), { instanceOf: ValidationError, message: /condition "nope \+ 1 > 0" failed/ });
});

test('workflow params feed step params end to end', (t) => {
  const wf = resolveWorkflowParams({ base: { type: 'LONG', value: 2 } }, { base: 3 }, { env: env(), system: system() });
  const out = resolveStepParams(step('s', { label: { type: 'STRING', value: 'run-${base}-${TARGET_RUN_DATE}' } }), stepCtx({ workflowParams: wf }));
  t.is(out['label']!.value, 'run-3-20231114');
});

test('a step without params of its own gets the same system params on the fast path as through the graph', (t) => {
  const base = { id: 'a', kind: 'step' as const, type: 'NoOp', transition: { successors: {} }, tags: [], signalDependencies: [], signalOutputs: [] };
  const ctx = stepCtx();
  const fast = resolveStepParams({ ...base, params: {} }, ctx);
  const slow = resolveStepParams({ ...base, params: {} }, { ...ctx, runParams: {} });
  t.deepEqual(fast, slow);
});
