import test from 'ava';
import { ValidationError } from '../../src/core/errors.js';
import { CasConflictError, KvCorruptError, updateKv } from '../../src/store/port.js';
import { JetStreamKv } from '../../src/store/jetstream/jetstream-kv.js';
import { haveNats, NATS_MISSING, startNats, type NatsFixture } from '../helpers/nats-server.js';
import { testIf } from '../helpers/skip.js';
import { asCount, kvContract } from '../store/kv-contract.js';
import { connect } from 'nats';
import { randomBytes } from 'node:crypto';
import { kvKeyOf } from '../../src/nats/subjects.js';

const natsTest = testIf(haveNats() ? undefined : NATS_MISSING);

let nats: NatsFixture | undefined;
const open: JetStreamKv[] = [];

test.before(async () => {
  if (haveNats()) nats = await startNats({ jetstream: true });
});
test.after.always(async () => {
  await Promise.all(open.map((k) => k.close()));
  await nats?.stop();
});

let nextBucket = 0;
async function kv(bucket = `kv_test_${nextBucket++}`): Promise<JetStreamKv> {
  const store = await JetStreamKv.connect({ servers: nats!.urls, bucket });
  open.push(store);
  return store;
}

if (haveNats()) {
  kvContract('JetStreamKv', async () => {
    const store = await JetStreamKv.connect({ servers: nats!.urls, bucket: `kv_contract_${nextBucket++}` });
    return { kv: store, cleanup: () => store.close() };
  });
} else {
  natsTest('JetStreamKv KV contract', () => {});
}

natsTest('put and get round-trip values; revisions grow on every write', async (t) => {
  const store = await kv();
  t.is(await store.get('wf/missing'), undefined);
  const value = { id: 'wf1', versions: [1, 2], meta: { owner: 'me', flag: true, none: null } };
  const r1 = await store.put('workflow/wf1', value);
  t.deepEqual(await store.get('workflow/wf1'), { key: 'workflow/wf1', value, revision: r1 });
  const r2 = await store.put('workflow/wf1', { id: 'wf1', versions: [1, 2, 3] });
  t.true(r2 > r1);
  t.deepEqual((await store.get('workflow/wf1'))?.value, { id: 'wf1', versions: [1, 2, 3] });
});

natsTest('CAS: create only if absent, update only at the current revision', async (t) => {
  const store = await kv();
  const r1 = await store.put('counter', 1, 0);
  await t.throwsAsync(store.put('counter', 99, 0), { instanceOf: CasConflictError });
  await t.throwsAsync(store.put('counter', 99, r1 + 1000), { instanceOf: CasConflictError });
  const r2 = await store.put('counter', 2, r1);
  await t.throwsAsync(store.put('counter', 99, r1), { instanceOf: CasConflictError, message: /counter/ });
  t.deepEqual(await store.get('counter'), { key: 'counter', value: 2, revision: r2 });
});

natsTest('a deleted key is absent and can be created again with revision 0', async (t) => {
  const store = await kv();
  await store.put('req/abc', { instance: 1 }, 0);
  await store.delete('req/abc');
  t.is(await store.get('req/abc'), undefined);
  t.deepEqual(await store.list('req/'), []);
  const r = await store.put('req/abc', { instance: 2 }, 0);
  t.deepEqual(await store.get('req/abc'), { key: 'req/abc', value: { instance: 2 }, revision: r });
});

natsTest('concurrent CAS writes of one revision: exactly one wins', async (t) => {
  const store = await kv();
  const rev = await store.put('race', 0, 0);
  const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => store.put('race', i + 1, rev)));
  const won = results.filter((r) => r.status === 'fulfilled');
  t.is(won.length, 1);
  t.true(results.every((r) => r.status === 'fulfilled' || r.reason instanceof CasConflictError));
});

natsTest('updateKv increments under contention lose no update', async (t) => {
  const [a, b] = await Promise.all([kv('kv_shared'), kv('kv_shared')]);
  await Promise.all(
    Array.from({ length: 12 }, (_, i) => updateKv<number>(i % 2 ? a : b, 'ids/wf1', (n) => (n ?? 0) + 1, asCount)),
  );
  t.is((await a.get<number>('ids/wf1'))?.value, 12);
});

natsTest('keys may hold any characters; list returns a prefix in key order', async (t) => {
  const store = await kv();
  const keys = [
    'wf/a.b/v/1',
    'wf/a.b/v/2',
    'wf/a b/v/1',
    'wf/ümlaut*>/x',
    'wf//empty-part',
    'wf/a.b/',
    'wf=3D/escaped-looking',
    'other/x',
    'wf',
    '',
  ];
  for (const [i, k] of keys.entries()) await store.put(k, i);
  for (const [i, k] of keys.entries()) t.is((await store.get(k))?.value, i, `key ${JSON.stringify(k)}`);
  t.deepEqual(
    (await store.list('wf/')).map((e) => e.key),
    keys.filter((k) => k.startsWith('wf/')).sort(),
  );
  t.deepEqual((await store.list('wf/a.b/')).map((e) => e.key), ['wf/a.b/', 'wf/a.b/v/1', 'wf/a.b/v/2']);
  t.deepEqual((await store.list('wf/a')).map((e) => e.value), [2, 5, 0, 1]);
  t.deepEqual((await store.list('')).length, keys.length);
});

natsTest('a value that is not JSON-compatible is refused', async (t) => {
  const store = await kv();
  await t.throwsAsync(store.put('bad', undefined), { instanceOf: ValidationError });
  await t.throwsAsync(store.put('bad', 1, -1), { instanceOf: ValidationError, message: /expectedRevision/ });
});

natsTest('a value another NATS client wrote that is not JSON fails its read with KvCorruptError naming key and revision', async (t) => {
  const bucket = `kv_test_${nextBucket++}`;
  const store = await kv(bucket);
  const nc = await connect({ servers: nats!.urls });
  t.teardown(() => nc.close());
  const raw = await nc.jetstream().views.kv(bucket);
  const revision = await raw.put(kvKeyOf('wf/x'), randomBytes(32));
  const err = await t.throwsAsync(store.get('wf/x'), { instanceOf: KvCorruptError });
  t.is(err?.revision, revision);
  t.regex(err!.message, /KV value of wf\/x \(revision \d+\): not JSON/);
});
