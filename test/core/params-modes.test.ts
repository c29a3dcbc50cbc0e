import test from 'ava';
import type { ParamDefinitions } from '../../src/core/definition/model.js';
import { ParamModeError, resolveWorkflowParams, type ParamValues } from '../../src/core/params/index.js';
import { env, NOW, pick, recording, system } from './params-fixtures.js';

const defs: ParamDefinitions = {
  c: { type: 'LONG', value: 1, mode: 'CONSTANT' },
  i: { type: 'LONG', value: 1, mode: 'IMMUTABLE' },
  m: { type: 'LONG', value: 1, mode: 'MUTABLE' },
  s: { type: 'LONG', value: 1, mode: 'MUTABLE_ON_START' },
  sr: { type: 'LONG', value: 1, mode: 'MUTABLE_ON_START_RESTART' },
  plain: { type: 'LONG', value: 1 },
};
const start = (run?: Record<string, unknown>) => resolveWorkflowParams(defs, run, { env: env(), system: system() });
const restart = (previous: ParamValues, restartParams: Record<string, unknown>) =>
  resolveWorkflowParams(defs, undefined, {
    env: env(),
    system: system({ runId: 2, runPolicy: 'RESTART_FROM_INCOMPLETE' }),
    restart: { previous, restartParams },
  });

test('at start, run params may set MUTABLE, MUTABLE_ON_START and MUTABLE_ON_START_RESTART params', (t) => {
  const out = start({ m: 2, s: 3, sr: 4, plain: 5 });
  t.deepEqual(pick(out, 'm', 's', 'sr', 'plain', 'c', 'i'), { m: 2, s: 3, sr: 4, plain: 5, c: 1, i: 1 });
  t.is(out['s']!.source, 'LAUNCH');
  t.is(out['c']!.source, 'DEFINITION');
  t.is(out['plain']!.mode, 'MUTABLE', 'a definition without a mode is MUTABLE');
});

test('a CONSTANT param can never be overridden', (t) => {
  const e = t.throws(() => start({ c: 2 }), { instanceOf: ParamModeError });
  t.is(e!.path, 'params.c');
  t.is(e!.mode, 'CONSTANT');
  t.regex(e!.message, /run params cannot change param \[c\] with mode CONSTANT/);
  t.throws(() => restart(start(), { c: 2 }), { message: /restart params cannot change param \[c\] with mode CONSTANT/ });
});

test('an IMMUTABLE param cannot be set by run or restart params', (t) => {
  t.throws(() => start({ i: 2 }), { instanceOf: ParamModeError, message: /params\.i: .*IMMUTABLE/ });
  t.throws(() => restart(start(), { i: 2 }), { instanceOf: ParamModeError, message: /params\.i: .*IMMUTABLE/ });
});

test('a MUTABLE_ON_START param is set only at start', (t) => {
  const first = start({ s: 3 });
  const e = t.throws(() => restart(first, { s: 4 }), { instanceOf: ParamModeError });
  t.is(e!.path, 'params.s');
  t.regex(e!.message, /MUTABLE_ON_START param can only be set at start/);
  t.is(restart(first, {})['s']!.value, 3, 'and keeps its start value on restart');
});

test('MUTABLE and MUTABLE_ON_START_RESTART params are set at start and at restart', (t) => {
  const out = restart(start({ sr: 4, m: 4 }), { sr: 5, m: 6 });
  t.deepEqual(pick(out, 'sr', 'm'), { sr: 5, m: 6 });
  t.is(out['sr']!.source, 'RESTART');
});

test('re-stating the current value is no change, whatever the mode', (t) => {
  t.is(start({ c: 1, i: 1 })['c']!.value, 1);
  t.is(restart(start(), { c: 1, s: 1 })['s']!.value, 1);
});

test('a restart keeps previous values and re-evaluates only IMMUTABLE params', (t) => {
  const d: ParamDefinitions = {
    kept: { type: 'LONG', expression: 'params.nextUniqueId()' },
    policy: { type: 'STRING', expression: "params.getFromInstance('RUN_POLICY')", mode: 'IMMUTABLE' },
    base: { type: 'LONG', value: 1, mode: 'MUTABLE_ON_START_RESTART' },
    derived: { type: 'LONG', expression: 'base + 1', mode: 'IMMUTABLE' },
  };
  const first = resolveWorkflowParams(d, undefined, { env: env(), system: system() });
  t.deepEqual(pick(first, 'policy', 'derived', 'RUN_TS'), { policy: 'START_FRESH_NEW_RUN', derived: 2, RUN_TS: NOW });
  const engine = recording();
  const second = resolveWorkflowParams(d, undefined, {
    env: env(engine, NOW + 60_000),
    system: system({ runId: 2, runPolicy: 'RESTART_FROM_BEGINNING' }),
    restart: { previous: first, restartParams: { base: 10 } },
  });
  t.deepEqual(pick(second, 'kept', 'policy', 'derived', 'RUN_TS'), {
    kept: first['kept']!.value,
    policy: 'RESTART_FROM_BEGINNING',
    derived: 11,
    RUN_TS: NOW,
  });
  t.deepEqual(engine.calls.sort(), ["params.getFromInstance('RUN_POLICY')", 'base + 1'].sort(), 'only IMMUTABLE expressions run again');
});

test('on restart the start run params are not applied again', (t) => {
  const first = start({ s: 3 });
  const out = resolveWorkflowParams(defs, { s: 99 }, {
    env: env(),
    system: system({ runPolicy: 'RESTART_FROM_INCOMPLETE' }),
    restart: { previous: first },
  });
  t.is(out['s']!.value, 3);
});

test('merge order: system defaults <- definition <- run params', (t) => {
  const out = resolveWorkflowParams(
    { WORKFLOW_CRON_TIMEZONE: { type: 'STRING', value: 'America/New_York' }, x: { type: 'STRING', value: 'def' } },
    { x: 'run' },
    { env: env(), system: system() },
  );
  t.is(out['WORKFLOW_CRON_TIMEZONE']!.value, 'America/New_York');
  t.is(out['WORKFLOW_CRON_TIMEZONE']!.source, 'DEFINITION');
  t.is(out['WORKFLOW_CRON_TIMEZONE']!.mode, 'MUTABLE_ON_START', 'the definition inherits the default mode');
  t.is(out['x']!.value, 'run');
  t.is(out['DSL_DEFAULT_TZ']!.source, 'SYSTEM_DEFAULT');
  t.deepEqual(Object.keys(out).slice(0, 3), ['DSL_DEFAULT_TZ', 'WORKFLOW_CRON_TIMEZONE', 'RUN_TS'], 'defaults come first');
});

test('a definition cannot loosen a system param mode or set a reserved one', (t) => {
  const e = t.throws(() => resolveWorkflowParams({ RUN_TS: { type: 'LONG', value: 1, mode: 'MUTABLE' } }, undefined, { env: env(), system: system() }), {
    instanceOf: ParamModeError,
  });
  t.regex(e!.message, /less strict: from MUTABLE_ON_START to MUTABLE/);
  const r = t.throws(() => resolveWorkflowParams({ owner: { type: 'STRING', value: 'me' } }, undefined, { env: env(), system: system() }), {
    instanceOf: ParamModeError,
  });
  t.is(r!.mode, 'RESERVED');
  t.regex(r!.message, /params\.owner: param \[owner\] is reserved by the system/);
  t.throws(() => resolveWorkflowParams({ workflow_id: { type: 'STRING', value: 'x' } }, undefined, { env: env(), system: system() }), {
    message: /reserved/,
  });
});

test('reserved and invalid names are refused in definitions and run params', (t) => {
  for (const name of ['params', 'maestro', 'AUTH_BLOB', 'maestro_x', 'a__b', '$foo']) {
    t.throws(() => resolveWorkflowParams({ [name]: { type: 'LONG', value: 1 } }, undefined, { env: env(), system: system() }), {
      message: new RegExp(`^params\\.${name.replace('$', '\\$')}: `),
    });
    t.throws(() => resolveWorkflowParams({}, { [name]: 1 }, { env: env(), system: system() }), { message: /param name/ });
  }
  t.throws(() => resolveWorkflowParams({}, { owner: 'me' }, { env: env(), system: system() }), { message: /reserved by the system/ });
});

test('a foreach or subworkflow parent may set any param of its child', (t) => {
  const out = resolveWorkflowParams(defs, { c: 5, i: 6 }, { env: env(), system: system({ initiatorType: 'FOREACH' }) });
  t.deepEqual(pick(out, 'c', 'i'), { c: 5, i: 6 });
  t.is(out['c']!.mode, 'CONSTANT');
  t.is(out['c']!.source, 'FOREACH');
});

test('MAP run params merge key by key under the parent mode', (t) => {
  const d: ParamDefinitions = {
    m: { type: 'MAP', value: { a: { type: 'LONG', value: 1 }, b: { type: 'STRING', value: 'x' } } },
    k: { type: 'MAP', mode: 'CONSTANT', value: { a: { type: 'LONG', value: 1 } } },
    sm: { type: 'STRING_MAP', value: { a: '1', b: '2' } },
  };
  const out = resolveWorkflowParams(d, { m: { a: '5', c: true }, sm: { b: '3', c: '4' } }, { env: env(), system: system() });
  t.deepEqual(out['m']!.value, { a: 5, b: 'x', c: true });
  t.deepEqual(out['sm']!.value, { a: '1', b: '3', c: '4' });
  const e = t.throws(() => resolveWorkflowParams(d, { k: { a: 2 } }, { env: env(), system: system() }), { instanceOf: ParamModeError });
  t.is(e!.path, 'params.k.a');
  t.throws(() => resolveWorkflowParams(d, { k: { z: 2 } }, { env: env(), system: system() }), { instanceOf: ParamModeError, message: /params\.k: / });
  t.deepEqual(resolveWorkflowParams(d, { k: { a: 1 } }, { env: env(), system: system() })['k']!.value, { a: 1 }, 're-stating a CONSTANT map is no change');
});

test('tags from the definition are kept with the value', (t) => {
  const out = resolveWorkflowParams(
    { a: { type: 'LONG', value: 1, tags: [{ name: 'team' }, { name: 'pii', namespace: 'SYSTEM' }] } },
    { a: 2 },
    { env: env(), system: system() },
  );
  t.deepEqual(out['a']!.tags, [{ name: 'team' }, { name: 'pii', namespace: 'SYSTEM' }]);
  t.is(out['a']!.value, 2);
});
