/** Create requests shaped like Maestro's clients send: extra_info, properties snapshots, owner objects. */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { ValidationError } from '../../src/core/errors.js';
import {
  completeRequest,
  limits,
  parseCreateInput,
  parseWorkflowObject,
  parseWorkflowRequest,
  toMaestroJson,
} from '../../src/core/definition/index.js';

const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(`../fixtures/maestro-requests/${name}`, import.meta.url), 'utf8'));

test('unknown top-level fields are kept as extra_info and round-trip', (t) => {
  const raw = fixture('v1-dsl-client.json');
  const req = parseWorkflowObject(raw);
  t.deepEqual(Object.keys(req.extraInfo ?? {}).sort(), [
    'activate_time', 'api_version', 'dsl_client_hostname', 'dsl_client_version', 'manifest', 'source', 'source_definition',
  ]);
  t.deepEqual(req.extraInfo?.manifest, { path: 'workflows/rollup.yaml', checksum: 'sha256:ab12' });
  t.false(req.isActive);
  t.deepEqual(req.gitInfo, { branch: 'main', commit: '4f2a9c1' });
  const json = toMaestroJson(req);
  t.is(json.source, 'yaml');
  t.is(json.activate_time, 1764979200000);
  t.deepEqual(parseWorkflowObject(json), req);
  t.deepEqual(parseWorkflowRequest(JSON.stringify(json)), req);
});

test('owner objects keep their extra fields; the name is the owner', (t) => {
  const req = parseWorkflowObject(fixture('v1-dsl-client.json'));
  t.is(req.properties.owner, 'data-eng');
  t.deepEqual(req.properties.ownerInfo, { email: 'data-eng@example.com', slack: '#data-eng' });
  t.deepEqual((toMaestroJson(req).properties as Record<string, unknown>).owner, {
    name: 'data-eng', email: 'data-eng@example.com', slack: '#data-eng',
  });
});

test('extra_info is bounded in fields and bytes', (t) => {
  const base = fixture('v2-no-properties.json');
  const many = { ...base, properties: { owner: 'o' } } as Record<string, unknown>;
  for (let i = 0; i < limits.EXTRA_INFO_FIELD_LIMIT; i++) many[`x${i}`] = i;
  const e1 = t.throws(() => parseCreateInput(many), { instanceOf: ValidationError });
  t.regex(e1?.message ?? '', /at most 64 are kept/);
  const big = { ...base, source_definition: 'y'.repeat(limits.EXTRA_INFO_SIZE_LIMIT) };
  const e2 = t.throws(() => parseCreateInput(big), { instanceOf: ValidationError });
  t.regex(e2?.message ?? '', /bytes of JSON; at most 65536 are kept/);
  t.notThrows(() => parseCreateInput({ ...base, source_definition: 'y'.repeat(limits.EXTRA_INFO_SIZE_LIMIT - 100) }));
});

test('unknown fields inside properties and workflow stay errors with a hint', (t) => {
  const e = t.throws(() => parseCreateInput(fixture('bad-unknown-inside-properties.json')), { instanceOf: ValidationError });
  t.is(e?.path, 'properties.ownr');
  t.regex(e?.message ?? '', /did you mean 'owner'/);
  const wf = fixture('v2-no-properties.json') as { workflow: Record<string, unknown> };
  wf.workflow.stepz = [];
  t.regex(t.throws(() => parseCreateInput(wf))?.message ?? '', /workflow\.stepz: .*did you mean 'steps'/);
});

test('a first version needs properties with an owner', (t) => {
  for (const name of ['bad-first-without-owner.json', 'v2-no-properties.json']) {
    const input = parseCreateInput(fixture(name));
    const e = t.throws(() => completeRequest(input, undefined), { instanceOf: ValidationError });
    t.is(e?.path, 'properties.owner');
    t.regex(e?.message ?? '', /properties\.owner: is required when creating the first version/);
  }
});

test('later versions merge their properties over the previous snapshot, field by field', (t) => {
  const v1 = parseWorkflowObject(fixture('v1-dsl-client.json'));
  const v2 = completeRequest(parseCreateInput(fixture('v2-no-properties.json')), v1.properties);
  t.deepEqual(v2.properties, v1.properties);
  t.not(v2.properties, v1.properties);
  t.true(v2.isActive);
  t.deepEqual(v2.extraInfo, { source: 'yaml', dsl_client_version: '2.4.2' });
  const v3 = completeRequest(parseCreateInput(fixture('v3-partial-properties.json')), v2.properties);
  t.is(v3.properties.stepConcurrency, 7);
  t.is(v3.properties.description, 'nightly rollup, v3');
  t.deepEqual(v3.properties.runStrategy, { rule: 'PARALLEL', workflowConcurrency: 3 });
  t.is(v3.properties.owner, 'data-eng');
  t.deepEqual(v3.properties.ownerInfo, v1.properties.ownerInfo);
  t.false(v3.isActive);
  // A new owner given as a plain name replaces the owner object, extra fields included.
  const v4 = completeRequest(parseCreateInput({ ...fixture('v2-no-properties.json'), properties: { owner: 'ops' } }), v3.properties);
  t.is(v4.properties.owner, 'ops');
  t.is(v4.properties.ownerInfo, undefined);
  t.is(v4.properties.stepConcurrency, 7);
});

test('a first version without a run strategy gets the default one', (t) => {
  const req = completeRequest(parseCreateInput({ ...fixture('v2-no-properties.json'), properties: { owner: 'o' } }), undefined);
  t.deepEqual(req.properties.runStrategy, { rule: 'SEQUENTIAL', workflowConcurrency: 1 });
});
