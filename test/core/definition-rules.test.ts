/** One bad input per validation rule: the error names the field and says what is wrong. */
import test from 'ava';
import { accepts, noop, rejects, step, steps } from './definition-helpers.js';

const long = (n: number, c = 'a'): string => c.repeat(n);

test('unknown keys are rejected, with a hint for typos', (t) => {
  rejects(t, (r) => (r.workflow.step = []), 'workflow.step', /did you mean 'steps'/);
  rejects(t, (r) => (step(r).retry = 1), 'workflow.steps[0].step.retry', /unknown field 'retry'/);
  rejects(t, (r) => (r.properties.ownr = 'x'), 'properties.ownr', /did you mean 'owner'/);
  rejects(t, (r) => (step(r).transition.next = {}), 'workflow.steps[0].step.transition.next', /unknown field/);
});

test('required fields', (t) => {
  rejects(t, (r) => delete r.workflow, 'workflow', /is required/);
  rejects(t, (r) => delete r.properties, 'properties.owner', /is required when creating the first version/);
  rejects(t, (r) => delete r.properties.owner, 'properties.owner', /is required when creating the first version/);
  rejects(t, (r) => delete r.workflow.id, 'workflow.id', /is required/);
  rejects(t, (r) => delete r.workflow.steps, 'workflow.steps', /is required/);
  rejects(t, (r) => (r.workflow.steps = []), 'workflow.steps', /at least one step/);
  rejects(t, (r) => delete step(r).id, 'workflow.steps[0].step.id', /is required/);
  rejects(t, (r) => delete step(r).type, 'workflow.steps[0].step.type', /is required/);
  rejects(t, (r) => (steps(r)[0] = { id: 'x', type: 'NoOp' }), 'workflow.steps[0]', /exactly one key/);
  rejects(t, (r) => (steps(r)[0] = { step: step(r), foreach: {} }), 'workflow.steps[0]', /exactly one key/);
  rejects(t, (r) => (step(r).type = 'foreach'), 'workflow.steps[0].step.type', /not a typed step type/);
});

test('owner may be an object with a name and extra details', (t) => {
  const req = accepts(t, (r) => (r.properties.owner = { name: 'bob', team: 'data' }));
  t.is(req.properties.owner, 'bob');
  t.deepEqual(req.properties.ownerInfo, { team: 'data' });
  rejects(t, (r) => (r.properties.owner = { team: 'x' }), 'properties.owner.name', /is required/);
  rejects(t, (r) => (r.properties.owner = 5), 'properties.owner', /must be an object/);
});

test('workflow ids: length, characters, reserved prefix and suffix', (t) => {
  accepts(t, (r) => (r.workflow.id = long(128)));
  accepts(t, (r) => (r.workflow.id = '1-wf_v.2'));
  rejects(t, (r) => (r.workflow.id = long(129)), 'workflow.id', /at most 128 characters, got 129/);
  rejects(t, (r) => (r.workflow.id = 'my wf'), 'workflow.id', /may only contain/);
  rejects(t, (r) => (r.workflow.id = '.wf'), 'workflow.id', /must not start with/);
  rejects(t, (r) => (r.workflow.id = 'Maestro_wf'), 'workflow.id', /reserved prefix 'maestro_'/);
  rejects(t, (r) => (r.workflow.id = 'wf_maestro'), 'workflow.id', /reserved suffix '_maestro'/);
});

test('step ids follow the reference-id rule', (t) => {
  rejects(t, (r) => (step(r).id = 'maestro_foo'), 'workflow.steps[0].step.id', /reserved prefix 'maestro_'/);
  rejects(t, (r) => (step(r).id = '1job'), 'workflow.steps[0].step.id', /must start with a letter or '_'/);
  rejects(t, (r) => (step(r).id = 'job__1'), 'workflow.steps[0].step.id', /separator '__'/);
  rejects(t, (r) => (step(r).id = long(129)), 'workflow.steps[0].step.id', /at most 128/);
});

test('names and descriptions have length limits', (t) => {
  accepts(t, (r) => (r.workflow.name = long(256)));
  rejects(t, (r) => (r.workflow.name = long(257)), 'workflow.name', /at most 256 characters, got 257/);
  rejects(t, (r) => (step(r).name = long(257)), 'workflow.steps[0].step.name', /at most 256/);
  rejects(t, (r) => (r.workflow.description = long(16385)), 'workflow.description', /at most 16384/);
});

test('param names: identifiers, not reserved', (t) => {
  rejects(t, (r) => (r.workflow.params = { $foo: { value: 1, type: 'LONG' } }), 'workflow.params.$foo', /param name '\$foo'/);
  rejects(t, (r) => (r.workflow.params = { Util: { value: 1, type: 'LONG' } }), 'workflow.params.Util', /reserved/);
  rejects(t, (r) => (step(r).params = { params: { value: 1, type: 'LONG' } }), 'workflow.steps[0].step.params.params', /reserved/);
  rejects(t, (r) => (r.workflow.params = { maestro_x: { value: 1, type: 'LONG' } }), 'workflow.params.maestro_x', /prefix/);
});

test('step list: at most 300 steps, nested ones included', (t) => {
  const chain = (n: number, prefix: string): object[] => Array.from({ length: n }, (_, i) => noop(`${prefix}${i}`));
  accepts(t, (r) => (r.workflow.steps = chain(300, 's')));
  rejects(t, (r) => (r.workflow.steps = chain(301, 's')), 'workflow.steps', /301 steps .* limit of 300/);
  const loop = (inner: object[]): object => ({
    foreach: { id: 'loop', params: { loop_params: { value: { i: { value: [1], type: 'LONG_ARRAY' } }, type: 'MAP' } }, steps: inner },
  });
  rejects(t, (r) => (r.workflow.steps = [loop(chain(300, 'x'))]), 'workflow.steps', /301 steps \(nested steps included\)/);
});

test('duplicate step ids, across nesting too', (t) => {
  rejects(t, (r) => (step(r, 1).id = 'a'), 'workflow.steps[1].step.id', /duplicate step id 'a'/);
  rejects(
    t,
    (r) =>
      steps(r).push({
        while: {
          id: 'w',
          condition: 'i < 3',
          params: { loop_params: { value: { i: { value: 0, type: 'LONG' } }, type: 'MAP' } },
          steps: [noop('a')],
        },
      }),
    'workflow.steps[2].while.steps[0].step.id',
    /duplicate step id 'a' \(already used at workflow\.steps\[0\]\.step\)/,
  );
});

test('transitions: unknown successors, siblings only, cycles, predecessors', (t) => {
  rejects(t, (r) => (step(r, 1).transition.successors = { 'job.9': 'true' }), 'workflow.steps[1].step.transition.successors.job.9', /'job\.9' of step 'b' is not a step of this step list/);
  const body = (r: Record<string, any>): void => {
    steps(r).push({
      foreach: {
        id: 'loop',
        params: { loop_params: { value: { i: { value: [1], type: 'LONG_ARRAY' } }, type: 'MAP' } },
        steps: [noop('in1', { a: 'true' })],
      },
    });
  };
  rejects(t, body, 'workflow.steps[2].foreach.steps[0].step.transition.successors.a', /only reference sibling steps: in1/);
  rejects(t, (r) => (step(r, 1).transition.successors = { a: 'true' }), 'workflow.steps[1].step.transition.successors.a', /cycle: a -> b -> a/);
  rejects(t, (r) => (step(r, 0).transition.successors = { a: 'true' }), 'workflow.steps[0].step.transition.successors.a', /cycle: a -> a/);
  accepts(t, (r) => (step(r, 1).transition.predecessors = ['a']));
  rejects(t, (r) => (step(r, 0).transition.predecessors = ['b']), 'workflow.steps[0].step.transition.predecessors', /do not match the DAG/);
  rejects(t, (r) => (step(r).transition.successors = { b: 3 }), 'workflow.steps[0].step.transition.successors.b', /must be a string/);
  rejects(t, (r) => (step(r).transition.successors = { b: '' }), 'workflow.steps[0].step.transition.successors.b', /must not be empty/);
});

test('timeouts: seconds, duration strings and param references', (t) => {
  for (const timeout of [100, '100s', '1h 30m', '10 days', '${bar}s', '$foo', '20 minutes', '90']) {
    t.is(accepts(t, (r) => (step(r).timeout = timeout)).workflow.steps[0]?.timeout, timeout);
  }
  const p = 'workflow.steps[0].step.timeout';
  rejects(t, (r) => (step(r).timeout = 'soon'), p, /invalid duration 'soon'/);
  rejects(t, (r) => (step(r).timeout = '1.5h'), p, /invalid duration/);
  rejects(t, (r) => (step(r).timeout = 0), p, /must be positive/);
  rejects(t, (r) => (step(r).timeout = -5), p, /non-negative integer/);
  rejects(t, (r) => (step(r).timeout = 3.5), p, /non-negative integer/);
  rejects(t, (r) => (step(r).timeout = '121 days'), p, /at most 120 days/);
  rejects(t, (r) => (step(r).timeout = true), p, /must be a number or a string/);
  rejects(t, (r) => (r.workflow.timeout = 'later'), 'workflow.timeout', /invalid duration/);
});

test('bad types and concurrency ranges', (t) => {
  rejects(t, (r) => (r.properties.step_concurrency = '20'), 'properties.step_concurrency', /must be an integer, got a string/);
  rejects(t, (r) => (r.properties.step_concurrency = 0), 'properties.step_concurrency', /between 1 and 1000, got 0/);
  rejects(t, (r) => (r.properties.step_concurrency = 1001), 'properties.step_concurrency', /between 1 and 1000/);
  accepts(t, (r) => (r.workflow.instance_step_concurrency = 999));
  rejects(t, (r) => (r.workflow.instance_step_concurrency = 1000), 'workflow.instance_step_concurrency', /between 1 and 999/);
  rejects(t, (r) => (r.is_active = 'yes'), 'is_active', /must be a boolean/);
  rejects(t, (r) => (r.workflow.steps = {}), 'workflow.steps', /must be an array/);
  rejects(t, (r) => (step(r).tags = 'x'), 'workflow.steps[0].step.tags', /must be an array/);
});

test('run strategy: case-insensitive rule, concurrency only for PARALLEL', (t) => {
  t.deepEqual(accepts(t, (r) => (r.properties.run_strategy = 'parallel')).properties.runStrategy, { rule: 'PARALLEL', workflowConcurrency: 20 });
  t.deepEqual(accepts(t, (r) => (r.properties.run_strategy = 7)).properties.runStrategy, { rule: 'PARALLEL', workflowConcurrency: 7 });
  t.deepEqual(accepts(t, () => {}).properties.runStrategy, { rule: 'SEQUENTIAL', workflowConcurrency: 1 });
  t.deepEqual(accepts(t, (r) => (r.properties.run_strategy = 'serial_latest_only')).properties.runStrategy, { rule: 'SERIAL_LATEST_ONLY', workflowConcurrency: 1 });
  t.deepEqual(accepts(t, (r) => (r.properties.run_strategy = { rule: 'SERIAL_LATEST_ONLY' })).properties.runStrategy, { rule: 'SERIAL_LATEST_ONLY', workflowConcurrency: 1 });
  rejects(t, (r) => (r.properties.run_strategy = 'sometimes'), 'properties.run_strategy', /unknown run strategy 'sometimes'/);
  rejects(t, (r) => (r.properties.run_strategy = { rule: 'sequential', workflow_concurrency: 5 }), 'properties.run_strategy.workflow_concurrency', /Only PARALLEL run strategy allows a workflow_concurrency greater than 1/);
  rejects(t, (r) => (r.properties.run_strategy = { rule: 'parallel', workflow_concurrency: 1001 }), 'properties.run_strategy.workflow_concurrency', /between 1 and 1000/);
});

test('failure mode and criticality are case-insensitive enums', (t) => {
  t.is(accepts(t, (r) => (step(r).failure_mode = 'ignore_failure')).workflow.steps[0]?.failureMode, 'IGNORE_FAILURE');
  rejects(t, (r) => (step(r).failure_mode = 'explode'), 'workflow.steps[0].step.failure_mode', /unknown failure_mode/);
  t.is(accepts(t, (r) => (r.workflow.criticality = 'high')).workflow.criticality, 'HIGH');
  rejects(t, (r) => (r.workflow.criticality = 'urgent'), 'workflow.criticality', /unknown criticality/);
});

test('retry policy: limits 0..99, backoff waits 1 s..1 day, fields per backoff type', (t) => {
  const rp = 'workflow.steps[0].step.retry_policy';
  accepts(t, (r) => (step(r).retry_policy = { error_retry_limit: 99, platform_retry_limit: '$n', timeout_retry_limit: '3' }));
  rejects(t, (r) => (step(r).retry_policy = { error_retry_limit: 100 }), `${rp}.error_retry_limit`, /between 0 and 99, got 100/);
  rejects(t, (r) => (step(r).retry_policy = { error_retry_limit: -1 }), `${rp}.error_retry_limit`, /non-negative/);
  rejects(t, (r) => (step(r).retry_policy = { platform_retry_limit: 'many' }), `${rp}.platform_retry_limit`, /not a number or a param reference/);
  accepts(t, (r) => (step(r).retry_policy = { backoff: { type: 'fixed_backoff', error_retry_backoff_in_secs: '1 min' } }));
  rejects(t, (r) => (step(r).retry_policy = { backoff: { type: 'FIXED_BACKOFF', error_retry_exponent: 2 } }), `${rp}.backoff.error_retry_exponent`, /unknown field/);
  rejects(t, (r) => (step(r).retry_policy = { backoff: { type: 'EXPONENTIAL_BACKOFF', error_retry_backoff_in_secs: 0 } }), `${rp}.backoff.error_retry_backoff_in_secs`, /between 1 and 86400 seconds, got 0/);
  rejects(t, (r) => (step(r).retry_policy = { backoff: { type: 'EXPONENTIAL_BACKOFF', timeout_retry_limit_in_secs: '2 days' } }), `${rp}.backoff.timeout_retry_limit_in_secs`, /got 172800/);
  rejects(t, (r) => (step(r).retry_policy = { backoff: { type: 'LINEAR' } }), `${rp}.backoff.type`, /unknown backoff type/);
  rejects(t, (r) => (step(r).retry_policy = { backoff: {} }), `${rp}.backoff.type`, /is required/);
});

const loopParams = { loop_params: { value: { i: { value: [1, 2], type: 'LONG_ARRAY' } }, type: 'MAP' } };

test('foreach and while: loop params, concurrency <= 500, nested bodies', (t) => {
  const fe = (extra: object): object => ({ foreach: { id: 'fe', params: loopParams, steps: [noop('x')], ...extra } });
  accepts(t, (r) => steps(r).push(fe({ concurrency: 500, strict_ordering: true })));
  rejects(t, (r) => steps(r).push(fe({ concurrency: 501 })), 'workflow.steps[2].foreach.concurrency', /between 1 and 500, got 501/);
  rejects(t, (r) => steps(r).push(fe({ retry_policy: {} })), 'workflow.steps[2].foreach.retry_policy', /unknown field/);
  rejects(t, (r) => steps(r).push(fe({ params: {} })), 'workflow.steps[2].foreach.params', /needs a 'loop_params' param of type MAP/);
  rejects(t, (r) => steps(r).push(fe({ params: { loop_params: { expression: 'x', type: 'MAP' } } })), 'workflow.steps[2].foreach.params.loop_params', /literal value/);
  rejects(t, (r) => steps(r).push(fe({ steps: [] })), 'workflow.steps[2].foreach.steps', /at least one step/);
  const nested = fe({ steps: [{ foreach: { id: 'inner', params: loopParams, steps: [noop('y')] } }] });
  rejects(t, (r) => steps(r).push(nested), 'workflow.steps[2].foreach.steps[0].foreach.params.loop_params.value.i', /already a loop param of the enclosing step 'fe'/);
  const wh = { while: { id: 'w', params: loopParams, steps: [noop('x')] } };
  rejects(t, (r) => steps(r).push(wh), 'workflow.steps[2].while.condition', /is required/);
});

test('param definitions: value xor expression, value matching the type', (t) => {
  const p = 'workflow.params.p';
  const def = (d: object) => (r: Record<string, any>) => (r.workflow.params = { p: d });
  rejects(t, def({ value: 1, expression: '1', type: 'LONG' }), p, /not have both a value and an expression/);
  rejects(t, def({ type: 'LONG' }), p, /either a value or an expression/);
  rejects(t, def({ value: 1 }), `${p}.type`, /is required/);
  rejects(t, def({ value: 1, type: 'int' }), `${p}.type`, /unknown param type 'int'/);
  rejects(t, def({ value: '15', type: 'LONG' }), `${p}.value`, /must be an integer \(LONG\), got a string/);
  rejects(t, def({ value: 15, type: 'STRING' }), `${p}.value`, /must be a string, got a number/);
  rejects(t, def({ value: 'true', type: 'BOOLEAN' }), `${p}.value`, /BOOLEAN/);
  rejects(t, def({ value: 'x', type: 'DOUBLE' }), `${p}.value`, /DOUBLE/);
  rejects(t, def({ value: { a: 1 }, type: 'STRING_MAP' }), `${p}.value.a`, /must be a string/);
  rejects(t, def({ value: ['a', 2], type: 'STRING_ARRAY' }), `${p}.value[1]`, /must be a string/);
  rejects(t, def({ value: [1.5], type: 'long_array' }), `${p}.value[0]`, /LONG/);
  rejects(t, def({ value: [1, 'x'], type: 'DOUBLE_ARRAY' }), `${p}.value[1]`, /DOUBLE/);
  rejects(t, def({ value: [0], type: 'BOOLEAN_ARRAY' }), `${p}.value[0]`, /BOOLEAN/);
  rejects(t, def({ value: { inner: { value: 'x', type: 'LONG' } }, type: 'MAP' }), `${p}.value.inner.value`, /LONG/);
  rejects(t, def({ value: 1, type: 'LONG', mode: 'sometimes' }), `${p}.mode`, /unknown param mode/);
  rejects(t, def({ value: 1, type: 'LONG', tags: ['x', 'x'] }), `${p}.tags[1]`, /duplicate tag name 'x'/);
});

test('all ten param types, modes, validators, tags and meta are kept', (t) => {
  const params = {
    s: { value: 'x', type: 'String', mode: 'mutable_on_start' },
    l: { value: 3, type: 'long', validator: 'param > 0' },
    d: { value: 1.5, type: 'DOUBLE', tags: ['a', { name: 'b', namespace: 'runtime', owner: 'x' }] },
    b: { value: false, type: 'BOOLEAN' },
    sm: { value: { k: 'v' }, type: 'STRING_MAP' },
    sa: { value: ['a'], type: 'STRING_ARRAY' },
    la: { value: [1, 2], type: 'LONG_ARRAY' },
    da: { value: [0.5], type: 'DOUBLE_ARRAY' },
    ba: { value: [true], type: 'BOOLEAN_ARRAY' },
    m: { value: { n: { expression: 'l + 1', type: 'LONG' } }, type: 'MAP', internal_mode: 'OPTIONAL' },
  };
  const req = accepts(t, (r) => (r.workflow.params = params));
  const p = req.workflow.params;
  t.deepEqual(Object.values(p).map((d) => d.type), ['STRING', 'LONG', 'DOUBLE', 'BOOLEAN', 'STRING_MAP', 'STRING_ARRAY', 'LONG_ARRAY', 'DOUBLE_ARRAY', 'BOOLEAN_ARRAY', 'MAP']);
  t.is(p.s?.mode, 'MUTABLE_ON_START');
  t.is(p.l?.validator, 'param > 0');
  t.deepEqual(p.d?.tags, [{ name: 'a' }, { name: 'b', namespace: 'RUNTIME', attributes: { owner: 'x' } }]);
  t.deepEqual(p.m, { type: 'MAP', value: { n: { type: 'LONG', expression: 'l + 1' } }, meta: { internal_mode: 'OPTIONAL' } });
});

test('params maps hold at most 128 entries', (t) => {
  const many = (n: number): object => Object.fromEntries(Array.from({ length: n }, (_, i) => [`p${i}`, { value: i, type: 'LONG' }]));
  accepts(t, (r) => (r.workflow.params = many(128)));
  rejects(t, (r) => (r.workflow.params = many(129)), 'workflow.params', /129 params, more than the limit of 128/);
  rejects(t, (r) => (step(r).params = many(129)), 'workflow.steps[0].step.params', /limit of 128/);
});

test('tags: names validated and unique', (t) => {
  rejects(t, (r) => (r.workflow.tags = ['a', { name: 'a' }]), 'workflow.tags[1]', /duplicate tag name 'a'/);
  rejects(t, (r) => (r.workflow.tags = ['bad|name']), 'workflow.tags[0]', /tag name 'bad\|name' may only contain/);
  rejects(t, (r) => (r.workflow.tags = [{ name: 'x', namespace: 'galaxy' }]), 'workflow.tags[0].namespace', /unknown tag namespace/);
  rejects(t, (r) => (r.properties.tags = [' ']), 'properties.tags[0]', /must not be blank/);
});

test('time triggers: cron dialects, minimum interval, predefined schedules, timezones', (t) => {
  const cron = (c: string, extra: object = {}) => (r: Record<string, any>) => (r.workflow.time_triggers = [{ type: 'CRON', cron: c, ...extra }]);
  const p = 'workflow.time_triggers[0].cron';
  for (const ok of ['0 0 12 1/1 * ? *', '*/2 * * * *', '0 9 * * MON-FRI', '0 0 12 ? * MON#2', '0 0 12 ? * 2L', '0 0 12 15W * ?', '0 0 0 L * ?', '0 0 8 * JAN,JUL ? 2030', '5 4 * * 7']) {
    accepts(t, cron(ok));
  }
  rejects(t, cron('0 30 * * *'), p, /hour value 30 is out of range 0-23/);
  rejects(t, cron('* * * * *'), p, /fires 60 s apart; time triggers must be at least 120 s apart/);
  rejects(t, cron('0,1 0 * * *'), p, /fires 60 s apart/);
  rejects(t, cron('0 0 12 * * *'), p, /'\?' in exactly one of day-of-month and day-of-week/);
  rejects(t, cron('0 0 12 ? * ?'), p, /exactly one/);
  rejects(t, cron('H * * * *'), p, /minute value 'H' is not a number/);
  rejects(t, cron('0 0 ? * 1'), p, /day-of-month field '\?' is not valid \(unix crons do not support/);
  rejects(t, cron('0 0 12 ? * MON 1969'), p, /year value 1969 is out of range 1970-2099/);
  rejects(t, cron('0 0 12 * *  * * *'), p, /expected 5 fields \(unix\) or 6-7 fields/);
  rejects(t, cron('0 22-2 * * *'), p, /range '22-2' goes backwards/);
  rejects(t, cron(''), p, /empty/);
  rejects(t, cron('0 0 * * *', { timezone: 'Mars/Olympus' }), 'workflow.time_triggers[0].timezone', /unknown timezone 'Mars\/Olympus'/);
  rejects(t, cron('0 0 * * *', { fuzzy_max_delay: 'a while' }), 'workflow.time_triggers[0].fuzzy_max_delay', /invalid duration/);
  rejects(t, cron('0 0 * * *', { expression: '@daily' }), 'workflow.time_triggers[0].expression', /unknown field/);
  const pre = (e: string) => (r: Record<string, any>) => (r.workflow.time_triggers = [{ type: 'predefined', expression: e }]);
  t.deepEqual(accepts(t, pre('hourly')).workflow.timeTriggers, [{ type: 'PREDEFINED', expression: '@hourly' }]);
  rejects(t, pre('@often'), 'workflow.time_triggers[0].expression', /unknown predefined schedule '@often'/);
  rejects(t, (r) => (r.workflow.time_triggers = [{ type: 'INTERVAL', interval: '1h' }]), 'workflow.time_triggers[0].type', /INTERVAL time triggers are not supported/);
  rejects(t, (r) => (r.workflow.time_triggers = [{ cron: '0 0 * * *' }]), 'workflow.time_triggers[0].type', /is required/);
});

test('signal triggers: at most 8 signals, equal join keys, join keys not matched on', (t) => {
  const trig = (defs: object) => (r: Record<string, any>) => (r.workflow.signal_triggers = [{ definitions: defs }]);
  const p = 'workflow.signal_triggers[0].definitions';
  const nine = Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`s${i}`, {}]));
  rejects(t, trig(nine), p, /9 signals, more than the limit of 8/);
  rejects(t, trig({}), p, /at least one signal/);
  rejects(t, trig({ a: { join_keys: ['k'] }, b: { join_keys: [] } }), `${p}.b.join_keys`, /same number of join_keys/);
  rejects(t, trig({ a: { match_params: { k: { value: 1, operator: '=' } }, join_keys: ['k'] } }), `${p}.a.join_keys[0]`, /join key 'k' cannot also be used in match_params/);
  rejects(t, trig({ a: { match_params: { k: { value: 1, operator: '!=' } } } }), `${p}.a.match_params.k.operator`, /unknown signal operator '!='/);
  rejects(t, trig({ a: { match_params: { k: { value: 1.5, operator: '=' } } } }), `${p}.a.match_params.k.value`, /integer or a string/);
});

test('signal dependencies and outputs', (t) => {
  const sd = 'workflow.steps[0].step.signal_dependencies';
  const dep = (mp: object) => (r: Record<string, any>) => (step(r).signal_dependencies = [{ name: 'db/t', match_params: mp }]);
  const m = (op: string, type = 'LONG'): object => ({ param: { value: 1, type }, operator: op });
  accepts(t, dep({ a: m('='), b: m('>=') }));
  rejects(t, dep({ a: m('>'), b: m('<=') }), `${sd}[0].match_params.b.operator`, /more than one range match param: 'a' and 'b'/);
  rejects(t, dep({ a: m('=', 'DOUBLE') }), `${sd}[0].match_params.a.param.type`, /STRING or LONG/);
  rejects(t, (r) => (step(r).signal_dependencies = []), sd, /must not be empty/);
  rejects(t, (r) => (step(r).signal_dependencies = [{ match_params: {} }]), `${sd}[0].name`, /is required/);
  const so = 'workflow.steps[0].step.signal_outputs';
  rejects(t, (r) => (step(r).signal_outputs = [{ name: 'x', params: { m: { value: true, type: 'BOOLEAN' } } }]), `${so}[0].params.m.type`, /not allowed here/);
  const req = accepts(t, (r) => (step(r).signal_outputs = [{ name: 'x', params: { k: { value: 1, type: 'LONG' } }, payload: { b: { value: true, type: 'BOOLEAN' } } }]));
  t.deepEqual(req.workflow.steps[0]?.signalOutputs, [{ name: 'x', params: { k: { type: 'LONG', value: 1 } }, payload: { b: { type: 'BOOLEAN', value: true } } }]);
});

test('keys such as __proto__ stay plain data', (t) => {
  const req = accepts(t, (r) => {
    r.properties.alerting = JSON.parse('{"__proto__": {"polluted": true}}');
    r.workflow.params = { m: { value: JSON.parse('{"__proto__": "x"}'), type: 'STRING_MAP' } };
  });
  t.is(({} as Record<string, unknown>).polluted, undefined);
  t.deepEqual(Object.keys(req.workflow.params.m?.value as object), ['__proto__']);
  t.deepEqual(Object.keys(req.properties.alerting ?? {}), ['__proto__']);
});
