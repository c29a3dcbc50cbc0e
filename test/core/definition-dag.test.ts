/** compileDag, parseDurationMs, validateForRuntime and the JSON round trip of hand-built requests. */
import test from 'ava';
import { ValidationError } from '../../src/core/errors.js';
import {
  compileDag,
  parseDurationMs,
  parseWorkflowObject,
  toMaestroJson,
  validateForRuntime,
  type Step,
} from '../../src/core/definition/index.js';
import { noop, request, step, steps } from './definition-helpers.js';

const parseSteps = (list: object[]) => parseWorkflowObject(request((r) => (r.workflow.steps = list))).workflow.steps;

test('compileDag: edges with conditions, start and end steps, topological order', (t) => {
  const list = parseSteps([
    noop('job.1', { 'job.5': 'true', 'job.2': 'x > 1' }),
    noop('job.2', { 'job.3': 'true', 'job.6': 'true' }),
    noop('job.3', { 'job.4': 'true' }),
    noop('job.4'),
    noop('job.5', { 'job.3': 'false' }),
    noop('job.6', { 'job.4': 'true' }),
    noop('lonely'),
  ]);
  const dag = compileDag(list);
  t.deepEqual(dag.stepIds, ['job.1', 'job.2', 'job.3', 'job.4', 'job.5', 'job.6', 'lonely']);
  t.deepEqual(dag.successors.get('job.1'), [
    { stepId: 'job.5', condition: 'true' },
    { stepId: 'job.2', condition: 'x > 1' },
  ]);
  t.deepEqual(dag.predecessors.get('job.3'), [
    { stepId: 'job.2', condition: 'true' },
    { stepId: 'job.5', condition: 'false' },
  ]);
  t.deepEqual(dag.startSteps, ['job.1', 'lonely']);
  t.deepEqual(dag.endSteps, ['job.4', 'lonely']);
  t.deepEqual(dag.order, ['job.1', 'job.2', 'job.5', 'job.3', 'job.6', 'job.4', 'lonely']);
  t.is(dag.steps.get('job.6')?.id, 'job.6');
});

test('compileDag: every edge goes forward in the order', (t) => {
  const list = parseSteps([noop('d'), noop('c', { d: 'true' }), noop('b', { c: 'true', d: 'true' }), noop('a', { b: 'true' })]);
  const dag = compileDag(list);
  t.deepEqual(dag.order, ['a', 'b', 'c', 'd']);
  const pos = new Map(dag.order.map((id, i) => [id, i]));
  for (const [from, edges] of dag.successors) for (const e of edges) t.true(pos.get(from)! < pos.get(e.stepId)!);
});

test('compileDag: rejects bad lists with the path of the step field', (t) => {
  const list = parseSteps([noop('a'), noop('b')]);
  const dup = t.throws(() => compileDag([list[0]!, list[0]!], 'x.steps'), { instanceOf: ValidationError });
  t.is(dup?.path, 'x.steps[1].step.id');
  const withBad: Step[] = [{ ...list[0]!, transition: { successors: { zz: 'true' } } }];
  t.is(t.throws(() => compileDag(withBad), { instanceOf: ValidationError })?.path, 'workflow.steps[0].step.transition.successors.zz');
  const cyc: Step[] = [
    { ...list[0]!, transition: { successors: { b: 'true' } } },
    { ...list[1]!, transition: { successors: { a: 'true' } } },
  ];
  const err = t.throws(() => compileDag(cyc), { instanceOf: ValidationError });
  t.is(err?.path, 'workflow.steps[1].step.transition.successors.a');
  t.regex(err?.message ?? '', /a -> b -> a/);
});

test('parseDurationMs: seconds, duration strings, param references', (t) => {
  const cases: Array<[number | string, number | undefined]> = [
    [100, 100_000],
    ['100s', 100_000],
    ['90', 90_000],
    ['1h 30m', 5_400_000],
    ['1h30min', 5_400_000],
    ['10 days', 864_000_000],
    ['20 minutes', 1_200_000],
    ['2d 3h 4min 5s 6ms', 2 * 86_400_000 + 3 * 3_600_000 + 4 * 60_000 + 5_000 + 6],
    ['1 Hour', 3_600_000],
    ['${bar}s', undefined],
    ['$foo', undefined],
  ];
  for (const [input, ms] of cases) t.is(parseDurationMs(input, 'p'), ms, String(input));
  for (const bad of ['', 'soon', '5 fortnights', '1.5h', 'h1', '-5s']) {
    const err = t.throws(() => parseDurationMs(bad, 'workflow.timeout'), { instanceOf: ValidationError }, bad);
    t.is(err?.path, 'workflow.timeout');
  }
  t.throws(() => parseDurationMs(0, 'p'), { message: /must be positive/ });
  t.throws(() => parseDurationMs(121 * 86_400, 'p'), { message: /at most 120 days/ });
  t.is(parseDurationMs(120 * 86_400, 'p'), 120 * 86_400_000);
});

test('validateForRuntime: typed steps need a runtime, nested ones included', (t) => {
  const req = parseWorkflowObject(
    request((r) =>
      steps(r).push({
        foreach: {
          id: 'fe',
          params: { loop_params: { value: { i: { value: [1], type: 'LONG_ARRAY' } }, type: 'MAP' } },
          steps: [{ step: { id: 'nb', type: 'Notebook', sub_type: 'Spark' } }],
        },
      }),
    ),
  );
  const seen: Array<[string, string | undefined]> = [];
  const err = t.throws(
    () =>
      validateForRuntime(req, (type, sub) => {
        seen.push([type, sub]);
        return type === 'NoOp';
      }),
    { instanceOf: ValidationError },
  );
  t.is(err?.path, 'workflow.steps[2].foreach.steps[0].step.type');
  t.regex(err?.message ?? '', /no runtime for step type Notebook \(sub_type Spark\)/);
  t.deepEqual(seen, [['NoOp', undefined], ['NoOp', undefined], ['Notebook', 'Spark']]);
  t.notThrows(() => validateForRuntime(req, () => true));
});

test('validateForRuntime: subworkflow needs subworkflow_id; template steps have no runtime', (t) => {
  const sub = parseWorkflowObject(request((r) => steps(r).push({ subworkflow: { id: 's', params: {} } })));
  t.is(t.throws(() => validateForRuntime(sub, () => true))?.message, "workflow.steps[2].subworkflow.params: a subworkflow step needs a 'subworkflow_id' param naming the workflow to run");
  const tpl = parseWorkflowObject(request((r) => steps(r).push({ template: { id: 'tp', sub_type: 'x', anything: [1] } })));
  const s = tpl.workflow.steps[2];
  t.deepEqual(s?.kind === 'template' ? s.template : undefined, { sub_type: 'x', anything: [1] });
  t.is(t.throws(() => validateForRuntime(tpl, () => true), { instanceOf: ValidationError })?.path, 'workflow.steps[2].template');
});

test('round trip keeps every field of a rich hand-built request', (t) => {
  const req = parseWorkflowObject(
    request((r) => {
      r.is_active = false;
      r.git_info = { branch: 'main' };
      Object.assign(r.properties, {
        owner: { name: 'o', email: 'o@x' },
        access_control: { readers: ['x'] },
        run_strategy: { rule: 'strict_sequential' },
        step_concurrency: 3,
        alerting: { emails: ['a@b'] },
        alerting_disabled: true,
        signal_trigger_disabled: false,
        time_trigger_disabled: true,
        description: 'd',
        tags: [],
      });
      Object.assign(r.workflow, {
        name: 'n',
        description: 'd',
        timeout: '1 day',
        criticality: 'low',
        tags: [{ name: 't', permit: 2, extra: 1 }],
        time_triggers: [{ type: 'CRON', cron: '0 0 * * *', timezone: 'UTC', fuzzy_max_delay: 60 }],
        signal_triggers: [{ definitions: { s: { match_params: {} } }, dedup_expr: 'x' }],
      });
      Object.assign(step(r, 0), {
        name: 'first',
        sub_type: 'st',
        sub_type_version: '2',
        failure_mode: 'fail_immediately',
        retry_policy: { error_retry_limit: '$n', backoff: { type: 'EXPONENTIAL_BACKOFF', error_retry_exponent: 3 } },
      });
      step(r, 1).transition = { predecessors: ['a'], successors: {} };
      steps(r).push({ while: { id: 'w', condition: 'i < 3', params: { loop_params: { value: { i: { value: 0, type: 'LONG' } }, type: 'MAP' } }, steps: [noop('x')] } });
    }),
  );
  const json = toMaestroJson(req);
  t.deepEqual(parseWorkflowObject(json), req);
  t.deepEqual(parseWorkflowObject(JSON.parse(JSON.stringify(json))), req);
  const wf = json.workflow as Record<string, unknown>;
  t.deepEqual(Object.keys(wf), ['id', 'name', 'description', 'tags', 'timeout', 'time_triggers', 'signal_triggers', 'criticality', 'steps']);
  t.deepEqual((json.properties as Record<string, unknown>).owner, { name: 'o', email: 'o@x' });
  (wf.steps as unknown[]).length = 0;
  t.is(req.workflow.steps.length, 3, 'the rendered JSON shares nothing with the model');
});
