/** DefinitionRegistry on the in-memory KvStore: active versions, merged properties, and holes. */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { parseCreateInput } from '../../src/core/definition/index.js';
import { PreconditionError } from '../../src/core/errors.js';
import { MemoryKv } from '../../src/store/memory/memory-kv.js';
import { DefinitionRegistry } from '../../src/workflow/definitions.js';

const input = (name: string, edit: (r: Record<string, unknown>) => void = () => {}) => {
  const raw = JSON.parse(readFileSync(new URL(`../fixtures/maestro-requests/${name}`, import.meta.url), 'utf8')) as Record<string, unknown>;
  edit(raw);
  return parseCreateInput(raw);
};

test('an inactive first version leaves no active version; start needs one or an explicit version', async (t) => {
  const reg = new DefinitionRegistry(new MemoryKv(), () => 1000);
  const v1 = await reg.create(input('v1-dsl-client.json'));
  t.like(v1, { version: 1, isActive: false, activeVersion: 0 });
  const err = await t.throwsAsync(reg.resolveVersion('req-shape-wf'), { instanceOf: PreconditionError });
  t.is(err?.message, 'workflow req-shape-wf has no active version; activate one (maestro activate req-shape-wf VERSION) or start a version explicitly');
  t.is(await reg.resolveVersion('req-shape-wf', 1), 1);
  t.like(await reg.get('req-shape-wf'), { version: 1, isActive: false });
  const v2 = await reg.create(input('v3-partial-properties.json'));
  t.like(v2, { version: 2, activeVersion: 0 });
  t.is(v2.definition.properties.owner, 'data-eng');
  t.is(v2.definition.properties.stepConcurrency, 7);
  await reg.activate('req-shape-wf', 1);
  t.like(await reg.create(input('v3-partial-properties.json')), { version: 3, activeVersion: 1 });
  t.like(await reg.create(input('v2-no-properties.json')), { version: 4, activeVersion: 4 });
});

test('a header version without its record (a crash between the two writes) does not block later pushes', async (t) => {
  const kv = new MemoryKv();
  const reg = new DefinitionRegistry(kv, () => 1000);
  await reg.create(input('v1-dsl-client.json', (r) => (r.is_active = true)));
  // What a create that wrote its header and then died leaves behind.
  const h = (await kv.get('wf/req-shape-wf'))!;
  await kv.put('wf/req-shape-wf', { ...(h.value as object), latestVersion: 2 }, h.revision);
  const v3 = await reg.create(input('v2-no-properties.json'));
  t.like(v3, { version: 3, activeVersion: 3 });
  t.is(v3.definition.properties.owner, 'data-eng');
});

test('after a delete, the next push is a first version again and needs an owner', async (t) => {
  const reg = new DefinitionRegistry(new MemoryKv(), () => 1000);
  await reg.create(input('v1-dsl-client.json'));
  await reg.delete('req-shape-wf');
  await t.throwsAsync(reg.create(input('v2-no-properties.json')), { message: /properties\.owner: is required when creating the first version/ });
});
