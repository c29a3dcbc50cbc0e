/**
 * Conformance with Maestro's own sample definitions (../shared/conformance/maestro), YAML input,
 * the JSON round trip and the dry-run check.
 */
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { CONFORMANCE_DIR, conformanceMissing } from '../helpers/skip.js';
import { stringify } from 'yaml';
import { ValidationError } from '../../src/core/errors.js';
import {
  parseWorkflowObject,
  parseWorkflowRequest,
  toMaestroJson,
  validateForRuntime,
  type WorkflowCreateRequest,
} from '../../src/core/definition/index.js';

const CORPUS = CONFORMANCE_DIR;
const missing = conformanceMissing('samples', 'invalid');
const read = (dir: string, f: string): string => readFileSync(`${CORPUS}${dir}/${f}`, 'utf8');
const files = (dir: string): string[] => readdirSync(`${CORPUS}${dir}`).filter((f) => f.endsWith('.json')).sort();
const noRuntime = (type: string): boolean => ['noop', 'sleep', 'kubernetes'].includes(type.toLowerCase());

/** Expected rejection per invalid file: the path (or one of the paths) and a message fragment. */
const INVALID: Record<string, { paths: string[]; message: RegExp; dryRun?: boolean }> = {
  'sample-dag-with-cycle-wf.json': {
    paths: ['workflow.steps[3].step.transition.successors.job.2'],
    message: /cycle: job\.2 -> job\.3 -> job\.4 -> job\.2/,
  },
  'sample-invalid-cron-wf-def.json': { paths: ['workflow.time_triggers[0].cron'], message: /hour value 30 is out of range 0-23/ },
  'sample-invalid-wf-def.json': {
    paths: ['workflow.name', 'workflow.params.$foo', 'workflow.steps[0].step.id'],
    message: /at most 256 characters|param name '\$foo'|reserved prefix 'maestro_'/,
  },
  // Maestro keeps unknown top-level fields as extra_info, so this one lacks its workflow.
  'sample-invalid-wf.json': { paths: ['workflow'], message: /is required \(top-level 'definition' would be kept as extra_info\)/ },
  'sample-invalid-wf-dry-run-failure.json': {
    paths: ['workflow.steps[0].step.type'],
    message: /no runtime for step type Notebook/,
    dryRun: true,
  },
};

if (missing !== undefined) {
  test.skip(`Maestro conformance corpus (skipped: ${missing})`, () => {});
} else {
  for (const f of files('samples')) {
    test(`sample ${f} parses, validates, passes the dry run and round-trips`, (t) => {
      const text = read('samples', f);
      const req = parseWorkflowRequest(text);
      const raw = JSON.parse(text) as { workflow: { id: string; steps: unknown[] } };
      t.is(req.workflow.id, raw.workflow.id);
      t.is(req.workflow.steps.length, raw.workflow.steps.length);
      t.notThrows(() => validateForRuntime(req, noRuntime));
      t.deepEqual(parseWorkflowObject(toMaestroJson(req)), req);
      t.deepEqual(parseWorkflowObject(JSON.parse(JSON.stringify(toMaestroJson(req)))), req);
    });
  }

  test('every invalid file has an expectation', (t) => {
    t.deepEqual(files('invalid'), Object.keys(INVALID).sort());
  });

  for (const f of files('invalid')) {
    test(`invalid ${f} is rejected naming the offending field`, (t) => {
      const exp = INVALID[f];
      if (!exp) return t.fail(`no expectation for ${f}`);
      const run = (): void => {
        const req = parseWorkflowRequest(read('invalid', f));
        if (exp.dryRun) validateForRuntime(req, noRuntime);
      };
      const err = t.throws(run, { instanceOf: ValidationError });
      t.true(exp.paths.includes(err?.path ?? ''), `path was ${err?.path}`);
      t.regex(err?.message ?? '', exp.message);
      t.true(err?.message.startsWith(`${err.path}: `));
    });
  }

  test('the dry-run file parses on its own: only the runtime check rejects it', (t) => {
    const req = parseWorkflowRequest(read('invalid', 'sample-invalid-wf-dry-run-failure.json'));
    const step = req.workflow.steps[0];
    t.is(step?.kind, 'step');
    if (step?.kind === 'step') t.is(step.subType, 'Spark');
    t.notThrows(() => validateForRuntime(req, (type) => type === 'Notebook'));
  });

  test('a sample converted to YAML parses to the same model as its JSON', (t) => {
    for (const f of ['sample-dag-test-10.json', 'sample-nested-foreach-wf.json', 'sample-signal-trigger-wf.json']) {
      const json = read('samples', f);
      const yamlText = stringify(JSON.parse(json));
      t.false(yamlText.trimStart().startsWith('{'));
      const fromYaml = parseWorkflowRequest(yamlText);
      t.deepEqual(fromYaml, parseWorkflowRequest(json), f);
      t.deepEqual(parseWorkflowRequest(yamlText, 'yaml'), fromYaml);
    }
  });

  test('the time-trigger sample keeps its triggers, normalised', (t) => {
    const req = parseWorkflowRequest(read('samples', 'sample-time-trigger-wf.json'));
    t.deepEqual(req.workflow.timeTriggers, [
      { type: 'CRON', cron: '0 0 12 1/1 * ? *', timezone: 'US/Pacific' },
      { type: 'PREDEFINED', expression: '@daily', timezone: 'Asia/Tokyo' },
      { type: 'CRON', cron: '*/2 * * * *', timezone: 'US/Pacific', fuzzyMaxDelay: '30s' },
    ]);
  });

  test('the signal samples keep triggers, dependencies and outputs', (t) => {
    const req = parseWorkflowRequest(read('samples', 'sample-signal-trigger-wf.json'));
    const trig = req.workflow.signalTriggers[0];
    t.deepEqual(trig?.definitions.signal_a, {
      matchParams: { foo: { value: 'bat', operator: '=' }, watermark: { value: 12345, operator: '>=' } },
      joinKeys: ['updated_by'],
    });
    t.is(trig?.condition, '245 > 123');
    t.deepEqual(trig?.params, { foo: { type: 'STRING', value: 'bar' } });
    const step = req.workflow.steps[0]!;
    t.deepEqual(step.signalDependencies.map((d) => d.name), ['db/test/table1', 'db/test/table2']);
    t.is(step.signalDependencies[0]?.matchParams.vtts_utc_dateint?.operator, '>=');
    t.deepEqual(step.signalOutputs[1], {
      name: 'dummy/test/signal2',
      params: { key3: { type: 'STRING', value: 'v3', mode: 'MUTABLE' }, key4: { type: 'STRING', value: 'v4', mode: 'MUTABLE' } },
    });
  });

  test('case-insensitive enums and defaults are normalised as Maestro does', (t) => {
    const s10 = parseWorkflowRequest(read('samples', 'sample-dag-test-10.json'));
    t.deepEqual(s10.properties.runStrategy, { rule: 'PARALLEL', workflowConcurrency: 20 });
    t.is(s10.workflow.steps[0]?.failureMode, 'IGNORE_FAILURE');
    t.deepEqual(s10.workflow.tags, [{ name: 'tester', namespace: 'SYSTEM' }, { name: 'test' }, { name: 'foo' }]);
    const s8 = parseWorkflowRequest(read('samples', 'sample-dag-test-8.json'));
    t.deepEqual(s8.properties.runStrategy, { rule: 'PARALLEL', workflowConcurrency: 5 });
    const nested = parseWorkflowRequest(read('samples', 'sample-nested-foreach-wf.json'));
    const fe = nested.workflow.steps[0];
    if (fe?.kind !== 'foreach') return t.fail('expected a foreach step');
    t.is(fe.params.param1?.type, 'STRING_ARRAY');
    t.deepEqual(fe.params.loop_params?.value, {
      i: { type: 'LONG_ARRAY', value: [1, 2, 3], validator: 'param!=null && param.size() > 2', mode: 'MUTABLE' },
      j: { type: 'STRING_ARRAY', expression: 'param1;', validator: 'param!=null && param.size() > 2' },
    });
    const sub = parseWorkflowRequest(read('samples', 'sample-subworkflow-wf.json'));
    t.deepEqual(
      sub.workflow.steps.map((s) => (s.kind === 'subworkflow' ? [s.sync, s.explicitParams] : null)),
      [[true, false], [true, false], [false, false], [true, false], [true, true], [true, false]],
    );
    t.is(sub.workflow.instanceStepConcurrency, 3);
  });
}

test('text that is neither JSON nor YAML is rejected at the root', (t) => {
  const bad = t.throws(() => parseWorkflowRequest('{"properties": '), { instanceOf: ValidationError });
  t.is(bad?.path, '');
  t.regex(bad?.message ?? '', /not valid JSON/);
  const yamlErr = t.throws(() => parseWorkflowRequest('workflow: [1, 2\nproperties: {'), { instanceOf: ValidationError });
  t.regex(yamlErr?.message ?? '', /not valid YAML/);
  const dupKey = t.throws(() => parseWorkflowRequest('workflow: 1\nworkflow: 2\n'), { instanceOf: ValidationError });
  t.regex(dupKey?.message ?? '', /not valid YAML/);
  const twoDocs = t.throws(() => parseWorkflowRequest('a: 1\n---\nb: 2\n'), { instanceOf: ValidationError });
  t.regex(twoDocs?.message ?? '', /expected one YAML document, got 2/);
  const tag = t.throws(() => parseWorkflowRequest('workflow: !secret x\n'), { instanceOf: ValidationError });
  t.regex(tag?.message ?? '', /Unresolved tag: !secret/);
  const scalar = t.throws(() => parseWorkflowRequest('just a string'), { instanceOf: ValidationError });
  t.regex(scalar?.message ?? '', /must be a workflow create request object/);
});

test('hand-written YAML with bare true conditions and lower-case enums', (t) => {
  const req: WorkflowCreateRequest = parseWorkflowRequest(`
properties:
  owner: alice
  run_strategy: last_only
workflow:
  id: yaml-wf
  steps:
    - step: {id: a, type: NoOp, transition: {successors: {b: true}}}
    - step:
        id: b
        type: Sleep
        timeout: 1h 30m
        params:
          sleep_seconds: {value: 1, type: long}
`);
  t.is(req.properties.runStrategy.rule, 'LAST_ONLY');
  t.deepEqual(req.workflow.steps[0]?.transition, { successors: { b: 'true' } });
  t.is(req.workflow.steps[1]?.timeout, '1h 30m');
  t.deepEqual(req.workflow.steps[1]?.params, { sleep_seconds: { type: 'LONG', value: 1 } });
  t.true(req.isActive);
});
