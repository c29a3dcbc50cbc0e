/**
 * A definition bigger than the store can hold (JetStream: NATS max_payload, 1 MiB by default) is
 * refused before anything is written, naming the field and the limit; the workflow is unchanged.
 */
import test from 'ava';
import { DefinitionRegistry } from '../../src/workflow/definitions.js';
import { MemoryKv } from '../../src/store/memory/memory-kv.js';
import { JetStreamKv } from '../../src/store/jetstream/jetstream-kv.js';
import { parseWorkflowInput } from '../../src/core/definition/index.js';
import { ValidationError } from '../../src/core/errors.js';
import { haveNats, NATS_MISSING, startNats } from '../helpers/nats-server.js';
import { testIf } from '../helpers/skip.js';

/** Two steps with ~600 KB of params each: each params map is within Maestro's 750,000-char limit, the whole is not storable in 1 MiB. */
function bigDefinition(id: string): string {
  const step = (sid: string) => ({ step: { id: sid, type: 'NoOp', params: { blob: { value: 'x'.repeat(600_000), type: 'STRING' } } } });
  return JSON.stringify({ properties: { owner: 'tester' }, workflow: { id, steps: [step('a'), step('b')] } });
}
const small = (id: string) => JSON.stringify({ properties: { owner: 'tester' }, workflow: { id, steps: [{ step: { id: 'a', type: 'NoOp' } }] } });

test('a store with a value limit: a definition over it is a ValidationError naming definition and the limit; nothing is written', async (t) => {
  const kv = Object.assign(new MemoryKv(), { maxValueBytes: 1024 * 1024 });
  const defs = new DefinitionRegistry(kv, () => 1);
  await defs.create(parseWorkflowInput(small('sz')));
  const err = await t.throwsAsync(defs.create(parseWorkflowInput(bigDefinition('sz'))), { instanceOf: ValidationError });
  t.regex(err!.message, /^definition: is 1\.2 MB as stored; this deployment's store takes at most 1 MiB per definition \(NATS max_payload/);
  t.is((await defs.header('sz')).latestVersion, 1, 'no version 2 announced');
});

testIf(haveNats() ? undefined : NATS_MISSING, { serial: true })('JetStream KV: maxValueBytes is the server max_payload; a bigger put names the key and the limit', async (t) => {
  const nats = await startNats({ jetstream: true });
  const kv = await JetStreamKv.connect({ servers: nats.urls, bucket: 'size_test' });
  try {
    t.is(kv.maxValueBytes, 1024 * 1024);
    const err = await t.throwsAsync(kv.put('big', { s: 'x'.repeat(1_100_000) }), { instanceOf: ValidationError });
    t.regex(err!.message, /the value of big is \d+ bytes; NATS takes at most 1048576 \(max_payload\)/);
    const defs = new DefinitionRegistry(kv, () => 1);
    const refused = await t.throwsAsync(defs.create(parseWorkflowInput(bigDefinition('js-sz'))), { instanceOf: ValidationError });
    t.regex(refused!.message, /^definition: .* at most 1 MiB per definition/);
  } finally {
    await kv.close();
    await nats.stop();
  }
});
