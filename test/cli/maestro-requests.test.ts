/**
 * Create requests shaped like Maestro's clients send, through the real embedded node's gRPC
 * server and the `maestro` executable: extra_info kept and returned, properties merged over
 * the previous version's, owner objects, and an inactive first version.
 */
import test from 'ava';
import { status } from '@grpc/grpc-js';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { ControlError } from '../../src/control/errors.js';
import { startHarness, type Harness } from '../control/harness.js';
import { waitForEnd } from '../helpers/wait.js';
import { maestro } from './helpers.js';

let h: Harness;
let server: string[];
const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/maestro-requests/${name}`, import.meta.url));
const WF = 'req-shape-wf';

test.before(async () => {
  h = await startHarness();
  server = ['--server', h.address];
});
test.after.always(async () => {
  await h?.close();
});

test('versions pushed as Maestro clients send them: inactive first, inherited properties, extra_info', async (t) => {
  // v1: is_active false, owner object, DSL client fields at the top level.
  const p1 = await maestro(['push', fixture('v1-dsl-client.json'), ...server]);
  t.is(p1.code, 0, p1.stderr);
  t.regex(p1.stdout, /pushed workflow req-shape-wf version 1 \(inactive; active version is none\)/);
  t.like((await h.client.listWorkflows()).find((w) => w.workflowId === WF), { latestVersion: 1, activeVersion: 0 });

  // No active version: a start without a version fails, saying what to do; an explicit one runs.
  const refused = await h.client.startWorkflow({ workflowId: WF }).then(
    () => undefined,
    (e: unknown) => e,
  );
  t.true(refused instanceof ControlError);
  t.is((refused as ControlError).code, status.FAILED_PRECONDITION);
  t.regex((refused as Error).message, /workflow req-shape-wf has no active version; activate one \(maestro activate req-shape-wf VERSION\) or start a version explicitly/);
  const cliRefused = await maestro(['start', WF, ...server]);
  t.not(cliRefused.code, 0);
  t.regex(cliRefused.stderr, /has no active version; activate one/);
  const explicit = await h.client.startWorkflow({ workflowId: WF, version: 1 });
  t.is((await waitForEnd(h.client, WF, explicit.instanceId)).status, 'SUCCEEDED');

  const d1 = JSON.parse((await maestro(['definition', WF, ...server])).stdout);
  t.like(d1, { workflow_id: WF, version: 1, is_active: false, active_version: 0 });
  t.like(d1.extra_info, { source: 'yaml', api_version: '1.0', dsl_client_hostname: 'builder-7.example.com', activate_time: 1764979200000 });
  t.deepEqual(d1.extra_info.manifest, { path: 'workflows/rollup.yaml', checksum: 'sha256:ab12' });
  t.is(d1.definition.source_definition, 'Workflow:\n  id: req-shape-wf\n');
  t.deepEqual(d1.definition.properties.owner, { name: 'data-eng', email: 'data-eng@example.com', slack: '#data-eng' });
  t.deepEqual(d1.definition.git_info, { branch: 'main', commit: '4f2a9c1' });

  // v2: no properties at all; it is active and inherits v1's; the owner's name is the system param.
  const p2 = await maestro(['push', fixture('v2-no-properties.json'), ...server]);
  t.is(p2.code, 0, p2.stderr);
  t.regex(p2.stdout, /version 2 \(active\)/);
  const v2 = await h.client.getWorkflow(WF);
  t.like(v2, { version: 2, isActive: true, activeVersion: 2 });
  t.deepEqual(v2.extraInfo, { source: 'yaml', dsl_client_version: '2.4.2' });
  const v1Json = JSON.parse((await h.client.getWorkflow(WF, 1)).definitionJson);
  t.deepEqual(JSON.parse(v2.definitionJson).properties, v1Json.properties);
  const run = await h.client.startWorkflow({ workflowId: WF });
  t.is(run.version, 2);
  const ended = await waitForEnd(h.client, WF, run.instanceId);
  t.is(ended.status, 'SUCCEEDED');
  t.deepEqual(ended.steps.find((s) => s.stepId === 'job1')?.outputs, { echo: 'by data-eng' });

  // v3: some properties, inactive: merged field by field; v2 stays active until v3 is activated.
  const p3 = await maestro(['push', fixture('v3-partial-properties.json'), ...server]);
  t.regex(p3.stdout, /version 3 \(inactive; active version is 2\)/);
  const d3 = JSON.parse((await maestro(['definition', WF, '--version', '3', ...server])).stdout);
  t.like(d3.definition.properties, { step_concurrency: 7, description: 'nightly rollup, v3', run_strategy: { rule: 'PARALLEL', workflow_concurrency: 3 } });
  t.deepEqual(d3.definition.properties.owner, v1Json.properties.owner);
  t.deepEqual(d3.extra_info, {});
  t.is((await h.client.startWorkflow({ workflowId: WF })).version, 2);
  const act = await maestro(['activate', WF, '3', ...server]);
  t.is(act.code, 0, act.stderr);
  t.regex(act.stdout, /activated workflow req-shape-wf version 3/);
  t.is((await h.client.startWorkflow({ workflowId: WF })).version, 3);
});

test('a first version without an owner, and unknown fields inside properties, are refused naming the field', async (t) => {
  const noOwner = await maestro(['push', fixture('bad-first-without-owner.json'), ...server]);
  t.is(noOwner.code, 2);
  t.regex(noOwner.stderr, /properties\.owner: is required when creating the first version/);
  const typo = await maestro(['validate', fixture('bad-unknown-inside-properties.json'), ...server]);
  t.is(typo.code, 2);
  t.regex(typo.stderr, /properties\.ownr: unknown field 'ownr' \(did you mean 'owner'\?\)/);
  const text = await readFile(fixture('bad-first-without-owner.json'), 'utf8');
  const err = await h.client.createWorkflow(text).then(() => undefined, (e: unknown) => e);
  t.is((err as ControlError).code, status.INVALID_ARGUMENT);
});
