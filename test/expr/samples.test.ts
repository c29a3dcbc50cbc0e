/**
 * Maestro's own sample workflows: every SEL expression and transition condition in them must
 * compile, and the ones with a fixed meaning must evaluate to what Maestro computes.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONFORMANCE_DIR, conformanceMissing, testIf } from '../helpers/skip.js';
import { engine, run } from './helpers.js';

const ROOT = CONFORMANCE_DIR;
const sampleTest = testIf(conformanceMissing('samples'));

function expressions(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((n) => expressions(n, out));
  else if (node !== null && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === 'expression' && typeof v === 'string' && !v.startsWith('@')) out.push(v);
      else if ((k === 'successors' || k === 'condition') && v !== null && typeof v === 'object') {
        for (const c of Object.values(v)) if (typeof c === 'string') out.push(c);
      } else if (k === 'condition' && typeof v === 'string') out.push(v);
      else expressions(v, out);
    }
  }
  return out;
}

function sample(name: string): unknown {
  return JSON.parse(readFileSync(join(ROOT, 'samples', name), 'utf8'));
}

sampleTest('every expression and condition in the samples compiles', (t) => {
  const files = readdirSync(join(ROOT, 'samples')).filter((f) => f.endsWith('.json'));
  let count = 0;
  for (const f of files) {
    for (const src of expressions(sample(f))) {
      t.notThrows(() => engine.compile(src), `${f}: ${src}`);
      count++;
    }
  }
  t.true(count > 100, `found ${count} expressions`);
});

sampleTest('sample-dag-test-5 WF_RESTART_MODE maps the run policy', (t) => {
  const doc = sample('sample-dag-test-5.json') as { workflow: { params: { WF_RESTART_MODE: { expression: string } } } };
  const src = doc.workflow.params.WF_RESTART_MODE.expression;
  const withPolicy = (policy: string) => run(src, {}, { getFromInstance: (f: string) => (f === 'RUN_POLICY' ? policy : undefined) });
  t.is(withPolicy('START_FRESH_NEW_RUN'), 'run');
  t.is(withPolicy('RESTART_FROM_INCOMPLETE'), 'resume');
  t.is(withPolicy('RESTART_FROM_START'), 'run');
  const err = t.throws(() => withPolicy('RESTART_FROM_SPECIFIC'));
  t.regex(err?.message ?? '', /Unsupported restart mode: RESTART_FROM_SPECIFIC/);
});

sampleTest('sample-signal-trigger-wf DateTimeFormat scripts give the dateint and hour', (t) => {
  const doc = sample('sample-signal-trigger-wf.json') as {
    workflow: { steps: { step: { signal_dependencies: { match_params: Record<string, { param: { expression: string } }> }[] } }[] };
  };
  const match = doc.workflow.steps[0]?.step.signal_dependencies[0]?.match_params ?? {};
  const dateint = match['vtts_utc_dateint']?.param.expression ?? '';
  const hour = match['vtts_utc_hour']?.param.expression ?? '';
  t.true(dateint.includes('DateTimeFormat') && hour.includes('toString("HH")'));
  t.is(run(dateint, { TARGET_RUN_DATE: '20200101' }), '20200101');
  t.is(run(hour, { TARGET_RUN_DATE: '20200101' }), '00');
});

sampleTest('the month-name, Util and literal sample expressions', (t) => {
  t.is(run("new DateTime(1569018000000).withZone(DateTimeZone.forID('UTC')).monthOfYear().getAsText();"), 'September');
  t.deepEqual(run('Util.intsBetween(1, 3, 1);'), [1, 2]);
  t.deepEqual(run('Util.dateIntsBetween(20200101, 20200110, 1);'), [20200101, 20200102, 20200103, 20200104, 20200105, 20200106, 20200107, 20200108, 20200109]);
  t.is(run("'bar1';"), 'bar1');
  t.is(run('return 100;'), 100);
  t.is(run("'1800'"), '1800');
  t.is(run("sleep_seconds + '1';", { sleep_seconds: 15 }), '151');
  t.is(run('job3__sleep_seconds + 1;', { job3__sleep_seconds: 15 }), 16);
  t.is(run('x * 5;', { x: 3 }), 15);
  t.is(run('i <= 20200105', { i: 20200101 }), true);
  t.is(run("foo != 'default'", { foo: 'bar' }), true);
  t.is(run("params.getFromStep('job.3', 'param2') > 0", {}, { getFromStep: () => 5 }), true);
  t.is(run('param2 < 0', { param2: -1 }), true);
  t.is(run("params.get('param0')", { param0: 'zero' }), 'zero');
  t.is(run("Util.dateIntHourToTs(TARGET_RUN_DATE, TARGET_RUN_HOUR, 'UTC', 0, 0)/1000", { TARGET_RUN_DATE: '20200101', TARGET_RUN_HOUR: '05' }), 1577854800);
  t.regex(run('return UUID.randomUUID().toString();') as string, /^[0-9a-f-]{36}$/);
});
