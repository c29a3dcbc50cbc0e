import test from 'ava';
import type { ParamDefinitions } from '../../src/core/definition/model.js';
import {
  JSONIFIED_PARAMS_STRING_SIZE_LIMIT,
  ParamCycleError,
  ParamEvaluationError,
  ParamLimitError,
  ParamModeError,
  ParamTypeError,
  ParamValidatorError,
  resolveWorkflowParams,
} from '../../src/core/params/index.js';
import { env, NOW, pick, recording, system } from './params-fixtures.js';

const DATES = [
  'TARGET_RUN_DATE',
  'TARGET_RUN_HOUR',
  'DERIVED_RUN_TS',
  'DERIVED_RUN_DATE_US_PACIFIC',
  'DERIVED_RUN_DATE_US_PACIFIC_MINUS_ONE',
  'DERIVED_RUN_DATE_UTC',
  'DERIVED_RUN_DATE_UTC_MINUS_ONE',
  'DERIVED_RUN_DATE_UTC_PLUS_ONE',
  'DERIVED_RUN_DATE_UTC_MINUS_ONE_HOUR',
  'DERIVED_RUN_DATE_UTC_PLUS_ONE_HOUR',
  'DERIVED_RUN_HOUR_US_PACIFIC',
  'DERIVED_RUN_HOUR_UTC',
  'DERIVED_RUN_HOUR_UTC_MINUS_ONE_HOUR',
  'DERIVED_RUN_HOUR_UTC_PLUS_ONE_HOUR',
  'LOCAL_RUN_DATE',
  'RUN_DATE',
  'RUN_DATE_MINUS_1',
  'RUN_DATE_MINUS_7',
];

test('system params: RUN_TS from the env clock, dates in UTC by default', (t) => {
  const out = resolveWorkflowParams({}, undefined, { env: env(), system: system() });
  t.deepEqual(pick(out, 'RUN_TS', 'DSL_DEFAULT_TZ', 'WORKFLOW_CRON_TIMEZONE', 'TARGET_RUN_DATE', 'TARGET_RUN_HOUR', 'owner', 'workflow_id'), {
    RUN_TS: NOW,
    DSL_DEFAULT_TZ: 'UTC',
    WORKFLOW_CRON_TIMEZONE: 'UTC',
    TARGET_RUN_DATE: '20231114',
    TARGET_RUN_HOUR: '22',
    owner: 'tester',
    workflow_id: 'wf',
  });
  t.is(out['RUN_TS']!.mode, 'MUTABLE_ON_START');
  t.is(out['owner']!.mode, 'CONSTANT');
  t.false('job_template_version' in out, 'an OPTIONAL param without a value is dropped');
});

test('TARGET_RUN_DATE and the DERIVED_* family follow the time trigger timezone', (t) => {
  const runTs = Date.UTC(2024, 0, 31, 23, 30);
  const out = resolveWorkflowParams({}, undefined, { env: env(undefined, runTs), system: system({ initiatorType: 'TIME', timezone: 'Asia/Tokyo' }) });
  t.is(out['WORKFLOW_CRON_TIMEZONE']!.value, 'Asia/Tokyo');
  t.deepEqual(pick(out, ...DATES), {
    TARGET_RUN_DATE: '20240201',
    TARGET_RUN_HOUR: '08',
    DERIVED_RUN_TS: Date.UTC(2024, 0, 31, 23, 0),
    DERIVED_RUN_DATE_US_PACIFIC: '20240131',
    DERIVED_RUN_DATE_US_PACIFIC_MINUS_ONE: '20240130',
    DERIVED_RUN_DATE_UTC: '20240131',
    DERIVED_RUN_DATE_UTC_MINUS_ONE: '20240130',
    DERIVED_RUN_DATE_UTC_PLUS_ONE: '20240201',
    DERIVED_RUN_DATE_UTC_MINUS_ONE_HOUR: '20240131',
    DERIVED_RUN_DATE_UTC_PLUS_ONE_HOUR: '20240201',
    DERIVED_RUN_HOUR_US_PACIFIC: '15',
    DERIVED_RUN_HOUR_UTC: '23',
    DERIVED_RUN_HOUR_UTC_MINUS_ONE_HOUR: '22',
    DERIVED_RUN_HOUR_UTC_PLUS_ONE_HOUR: '00',
    LOCAL_RUN_DATE: '20240201',
    RUN_DATE: '20240131',
    RUN_DATE_MINUS_1: '20240130',
    RUN_DATE_MINUS_7: '20240124',
  });
});

test('a manual run uses the first time trigger timezone, else UTC', (t) => {
  const out = resolveWorkflowParams({}, undefined, {
    env: env(),
    system: system({ timezone: 'Asia/Tokyo', firstTimeTriggerTimezone: 'America/Los_Angeles' }),
  });
  t.deepEqual(pick(out, 'DSL_DEFAULT_TZ', 'WORKFLOW_CRON_TIMEZONE', 'TARGET_RUN_HOUR'), {
    DSL_DEFAULT_TZ: 'America/Los_Angeles',
    WORKFLOW_CRON_TIMEZONE: 'America/Los_Angeles',
    TARGET_RUN_HOUR: '14',
  });
});

test('overriding TARGET_RUN_DATE at start moves every derived date; an unknown timezone fails', (t) => {
  const out = resolveWorkflowParams({}, { TARGET_RUN_DATE: '20200229', TARGET_RUN_HOUR: '00' }, { env: env(), system: system() });
  t.deepEqual(pick(out, 'DERIVED_RUN_TS', 'DERIVED_RUN_DATE_UTC_MINUS_ONE', 'RUN_DATE'), {
    DERIVED_RUN_TS: Date.UTC(2020, 1, 29),
    DERIVED_RUN_DATE_UTC_MINUS_ONE: '20200228',
    RUN_DATE: '20231114',
  });
  t.is(out['TARGET_RUN_DATE']!.source, 'LAUNCH');
  const e = t.throws(() => resolveWorkflowParams({}, { WORKFLOW_CRON_TIMEZONE: 'Mars/Base' }, { env: env(), system: system() }), {
    instanceOf: ParamEvaluationError,
  });
  t.is(e!.path, 'params.TARGET_RUN_DATE');
  t.regex(e!.message, /unknown timezone \[Mars\/Base\]/);
  t.throws(() => resolveWorkflowParams({}, { TARGET_RUN_DATE: 'soon' }, { env: env(), system: system() }), {
    message: /params\.DERIVED_RUN_TS: .*\[soon22\]/,
  });
});

test('INITIATOR_TYPE and RUN_POLICY are read with params.getFromInstance', (t) => {
  const out = resolveWorkflowParams(
    {
      who: { type: 'STRING', expression: "params.getFromInstance('INITIATOR_TYPE')" },
      policy: { type: 'STRING', expression: "params.getFromInstance('RUN_POLICY')" },
      tz: { type: 'STRING', expression: "params.getFromInstance('INITIATOR_TIMEZONE')" },
    },
    undefined,
    { env: env(), system: system({ initiatorType: 'SIGNAL' }) },
  );
  t.deepEqual(pick(out, 'who', 'policy', 'tz'), { who: 'SIGNAL', policy: 'START_FRESH_NEW_RUN', tz: '' });
});

test('expressions are evaluated lazily in dependency order', (t) => {
  const engine = recording();
  const out = resolveWorkflowParams(
    { a: { type: 'LONG', expression: 'b * 2' }, b: { type: 'LONG', expression: 'c + 1' }, c: { type: 'LONG', value: 4 } },
    undefined,
    { env: env(engine), system: system() },
  );
  t.deepEqual(pick(out, 'a', 'b', 'c'), { a: 10, b: 5, c: 4 });
  t.deepEqual(engine.calls, ['b * 2', 'c + 1'], 'each expression runs once');
});

test('a reference cycle fails with the chain, through the engine', (t) => {
  const e = t.throws(
    () =>
      resolveWorkflowParams({ a: { type: 'LONG', expression: 'b + 1' }, b: { type: 'LONG', expression: 'a + 1' } }, undefined, {
        env: env(),
        system: system(),
      }),
    { instanceOf: ParamCycleError },
  );
  t.deepEqual(e!.chain, ['a', 'b', 'a']);
  t.regex(e!.message, /params\.a: cyclic reference between params: a -> b -> a/);
  t.throws(() => resolveWorkflowParams({ s: { type: 'STRING', value: 'x$s' } }, undefined, { env: env(), system: system() }), {
    instanceOf: ParamCycleError,
    message: /s -> s/,
  });
});

test('expression results are converted to the declared type; failures name the param', (t) => {
  const run = (type: 'LONG' | 'STRING', expression: string) =>
    resolveWorkflowParams({ p: { type, expression } }, undefined, { env: env(), system: system() });
  t.is(run('LONG', "'15'")['p']!.value, 15);
  t.is(run('STRING', '1.5')['p']!.value, '1.5');
  t.is(run('STRING', 'return 100;')['p']!.value, '100');
  t.throws(() => run('LONG', '1.5'), { instanceOf: ParamTypeError, message: /^params\.p: expected LONG/ });
  t.throws(() => run('LONG', 'return null;'), { instanceOf: ParamEvaluationError, message: /params\.p: .*returned null/ });
  const e = t.throws(() => run('LONG', "throw 'kaput';"), { instanceOf: ParamEvaluationError });
  t.regex(e!.message, /params\.p: expression "throw 'kaput';" failed: kaput/);
  t.is((e!.cause as Error).name, 'ExpressionError');
  t.throws(() => run('LONG', 'nothing + 1'), { instanceOf: ParamEvaluationError, message: /params\.p: .*unknown variable nothing/ });
});

test('validators: SEL with `param` bound to the value, and annotations', (t) => {
  const run = (defs: ParamDefinitions) => resolveWorkflowParams(defs, undefined, { env: env(), system: system() });
  const sel = 'param!=null && param.size() > 2';
  t.deepEqual(run({ a: { type: 'LONG_ARRAY', value: [1, 2, 3], validator: sel } })['a']!.value, [1, 2, 3]);
  const e = t.throws(() => run({ a: { type: 'LONG_ARRAY', value: [1, 2], validator: sel } }), { instanceOf: ParamValidatorError });
  t.is(e!.path, 'params.a');
  t.regex(e!.message, /value \[1,2\] fails validator/);
  t.notThrows(() => run({ a: { type: 'LONG', value: 5, validator: 'param > limit' }, limit: { type: 'LONG', value: 3 } }), 'validators see other params');
  t.throws(() => run({ a: { type: 'LONG_ARRAY', value: [1], validator: 'param.size()' } }), { message: /must return a boolean/ });
  t.notThrows(() => run({ n: { type: 'LONG', value: 3, validator: '@Min(0)' }, s: { type: 'STRING', value: 'ab', validator: '@Size(min=1, max=2)' } }));
  t.throws(() => run({ n: { type: 'LONG', value: -1, validator: '@Min(0)' } }), { instanceOf: ParamValidatorError, message: /@Min\(0\)/ });
  t.throws(() => run({ s: { type: 'STRING', value: '', validator: '@NotEmpty' } }), { instanceOf: ParamValidatorError });
  t.throws(() => run({ s: { type: 'STRING', value: 'x', validator: '@Email' } }), { message: /unsupported validator @Email/ });
});

test('a validator also checks values given as run params', (t) => {
  t.throws(
    () => resolveWorkflowParams({ n: { type: 'LONG', value: 5, validator: '@Max(10)' } }, { n: 11 }, { env: env(), system: system() }),
    { instanceOf: ParamValidatorError, message: /params\.n: value 11 fails validator "@Max\(10\)"/ },
  );
});

test('limits: 128 run params, 750000 chars of params', (t) => {
  const many = Object.fromEntries(Array.from({ length: 129 }, (_, i) => [`p${i}`, i]));
  const e = t.throws(() => resolveWorkflowParams({}, many, { env: env(), system: system() }), { instanceOf: ParamLimitError });
  t.is(e!.limit, 128);
  t.regex(e!.message, /129 params, more than the limit of 128/);
  t.notThrows(() => resolveWorkflowParams({}, Object.fromEntries(Object.entries(many).slice(0, 128)), { env: env(), system: system() }));
  const big = 'x'.repeat(JSONIFIED_PARAMS_STRING_SIZE_LIMIT);
  const s = t.throws(() => resolveWorkflowParams({ big: { type: 'STRING', value: big } }, undefined, { env: env(), system: system() }), {
    instanceOf: ParamLimitError,
  });
  t.regex(s!.message, /total size \[\d+\] chars is larger than the limit \[750000\]/);
});

test('signal trigger params: getFromSignal and signal__param references', (t) => {
  const defs: ParamDefinitions = {
    foo: { type: 'STRING', expression: "params.getFromSignal('foo')" },
    next: { type: 'LONG', expression: 'signal_a__watermark + 1' },
  };
  const signals = { triggerParams: { foo: 'bar' }, triggerSignals: { signal_a: { watermark: 12345 } } };
  const out = resolveWorkflowParams(defs, undefined, { env: env(), system: system({ initiatorType: 'SIGNAL' }), signals });
  t.deepEqual(pick(out, 'foo', 'next'), { foo: 'bar', next: 12346 });
  const e = t.throws(() => resolveWorkflowParams(defs, undefined, { env: env(), system: system(), signals }), {
    instanceOf: ParamEvaluationError,
  });
  t.is(e!.path, 'params.foo');
  t.regex(e!.message, /initiator \[MANUAL\] is not a signal trigger/);
});

test('the same inputs give the same params (no hidden clock or randomness)', (t) => {
  const defs: ParamDefinitions = {
    id: { type: 'LONG', expression: 'params.nextUniqueId()' },
    uuid: { type: 'STRING', expression: 'return UUID.randomUUID().toString();' },
  };
  const run = () => resolveWorkflowParams(defs, undefined, { env: env(), system: system() });
  t.deepEqual(run(), run());
  t.true(Number.isSafeInteger(run()['id']!.value));
});

test('errors carry kind invalid_argument and are not retryable', (t) => {
  const e = t.throws(() => resolveWorkflowParams({ c: { type: 'LONG', value: 1, mode: 'CONSTANT' } }, { c: 2 }, { env: env(), system: system() }));
  t.true(e instanceof ParamModeError);
  t.is((e as ParamModeError).kind, 'invalid_argument');
  t.false((e as ParamModeError).retryable);
  t.is(e!.name, 'ParamModeError');
});
