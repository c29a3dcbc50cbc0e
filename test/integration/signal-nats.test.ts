/**
 * Signals over plain NATS against a cluster node: a JSON publish with plain nats.js is stored,
 * a request gets the stored instance (and the duplicate flag) back, stored signals are published
 * on maestro.signal-instances.<name>, and garbage (not JSON, bad types, too big, a bad name)
 * lands on the dead-letter subject and changes nothing.
 */
import test from 'ava';
import { connect, type NatsConnection } from 'nats';
import { startClusterNode, type ClusterNode } from '../../src/node/cluster-node.js';
import { haveNats, NATS_MISSING, startNats, type NatsFixture } from '../helpers/nats-server.js';
import { etcdMissingReason, startEtcd, type EtcdServer } from '../helpers/etcd-server.js';
import { waitUntil } from '../cluster-unit/fixture.js';
import { readmeBlock } from '../helpers/readme.js';

const missing = haveNats() ? etcdMissingReason() : NATS_MISSING;
const nodeTest = missing ? test.skip : test.serial;
if (missing) console.warn(`signal NATS tests skipped: ${missing}`);

let nats: NatsFixture | undefined;
let etcd: EtcdServer | undefined;
let nc: NatsConnection | undefined;
let node: ClusterNode | undefined;

test.before(async () => {
  if (missing) return;
  nats = await startNats({ jetstream: true });
  etcd = await startEtcd();
  nc = await connect({ servers: nats.urls, name: 'signal-publisher' });
  node = await startClusterNode({ nats: nats.urls, etcd: etcd.endpoints, grpcPort: 0, partitions: 4, logLevel: 'error' });
  await waitUntil(() => node!.manager.settled(), 'the node to own its partitions', 20_000, 20);
});
test.after.always(async () => {
  await node?.close();
  await nc?.close();
  await etcd?.stop();
  await nats?.stop();
});

const enc = new TextEncoder();
const dec = new TextDecoder();
const json = (v: unknown) => enc.encode(JSON.stringify(v));

async function ask(subject: string, body: Uint8Array): Promise<Record<string, unknown>> {
  const m = await nc!.request(subject, body, { timeout: 10_000 });
  return JSON.parse(dec.decode(m.data)) as Record<string, unknown>;
}

nodeTest('a JSON publish is stored; a request is answered with the instance and the duplicate flag; stored signals are re-published', async (t) => {
  const instances = nc!.subscribe('maestro.signal-instances.>');
  const seen: Array<Record<string, unknown>> = [];
  const subjects: string[] = [];
  void (async () => {
    for await (const m of instances) {
      subjects.push(m.subject);
      seen.push(JSON.parse(dec.decode(m.data)) as Record<string, unknown>);
    }
  })();
  await nc!.flush();

  nc!.publish('maestro.signals.db.test.table1', json({ params: { ds: 20240101, kind: 'full' }, payload: { rows: 3 } }));
  await waitUntil(async () => (await node!.api.listSignals('db/test/table1')).latestSeq === 1, 'the published signal to be stored', 10_000, 20);
  const stored = await node!.api.getSignal('db/test/table1');
  t.like(stored, { seqId: 1, params: { ds: 20240101, kind: 'full' }, payload: { rows: 3 } });

  const dup = await ask('maestro.signals.db.test.table1', json({ params: { kind: 'full', ds: 20240101 }, payload: { other: 1 } }));
  t.like(dup, { name: 'db/test/table1', seq_id: 1, instance_id: stored.instanceId, duplicate: true });
  const fresh = await ask('maestro.signals.db.test.table1', json({ params: { ds: 20240102.7 }, request_id: 'r-2', request_time: 1234, note: 'extra fields go to the payload' }));
  t.like(fresh, { seq_id: 2, instance_id: 'r-2', params: { ds: 20240102 }, payload: { note: 'extra fields go to the payload' }, request_time: 1234, duplicate: false });
  const dotted = await ask('maestro.signals.a%2Eb.c%20d', json({}));
  t.like(dotted, { name: 'a.b/c d', seq_id: 1, duplicate: false });

  await waitUntil(() => seen.length === 3, 'the stored signals to be published', 10_000, 20);
  t.deepEqual(subjects.sort(), ['maestro.signal-instances.a%2Eb.c%20d', 'maestro.signal-instances.db.test.table1', 'maestro.signal-instances.db.test.table1']);
  t.deepEqual(seen.map((s) => s.seq_id).sort(), [1, 1, 2]);
  instances.unsubscribe();
});

/** `nats pub|req|sub SUBJECT ['DATA']` as the README writes it (single-quoted words, no other quoting). */
function natsLine(line: string): { verb: string; subject: string; data?: string } {
  const m = /^nats (pub|req|sub) ('[^']*'|\S+)(?: '([^']*)')?$/.exec(line);
  if (!m) throw new Error(`not a nats line the test knows: ${line}`);
  const out: { verb: string; subject: string; data?: string } = { verb: m[1]!, subject: m[2]!.replace(/^'|'$/g, '') };
  if (m[3] !== undefined) out.data = m[3];
  return out;
}

// The README's "Over NATS" block uses the `nats` command-line tool, which Debian does not package:
// its lines are read out of README.md and done the same way with nats.js, so the two cannot drift.
nodeTest('the README block "Over NATS": nats pub stores the signal, nats req answers it as a duplicate, nats sub sees stored signals', async (t) => {
  const lines = readmeBlock('Over NATS (cluster nodes)').map(natsLine);
  t.deepEqual(lines.map((l) => l.verb), ['pub', 'req', 'sub']);
  const [pub, req, sub] = lines as unknown as [{ subject: string; data: string }, { subject: string; data: string }, { subject: string }];
  const name = pub.subject.replace(/^maestro\.signals\./, '').split('.').join('/');
  const before = (await node!.api.listSignals(name)).latestSeq ?? 0;
  const seen: Array<Record<string, unknown>> = [];
  const s = nc!.subscribe(sub.subject);
  void (async () => {
    for await (const m of s) seen.push(JSON.parse(dec.decode(m.data)) as Record<string, unknown>);
  })();
  await nc!.flush();
  // No other test announces exactly these params: the publish stores a new signal.
  nc!.publish(pub.subject, enc.encode(pub.data));
  await nc!.flush();
  const answer = await ask(req.subject, enc.encode(req.data));
  t.like(answer, { name, duplicate: true, params: JSON.parse(req.data).params }, 'the README says the request answers duplicate: true');
  t.is(answer.seq_id, before + 1, 'the publish stored it; the request found it');
  await waitUntil(() => seen.some((x) => x.name === name && x.seq_id === before + 1), 'the stored signal to be published on the subscribed subject', 10_000, 20);
  t.like(seen.find((x) => x.seq_id === before + 1), { name, params: JSON.parse(pub.data).params });
  s.unsubscribe();
});

nodeTest('garbage goes to the dead-letter subject, is answered with an error and changes nothing', async (t) => {
  const letters: Array<Record<string, unknown>> = [];
  const dl = nc!.subscribe('maestro.signals-dead-letter');
  void (async () => {
    for await (const m of dl) letters.push(JSON.parse(dec.decode(m.data)) as Record<string, unknown>);
  })();
  await nc!.flush();
  const before = node!.signalIngestStats();
  const cases: Array<[string, Uint8Array, RegExp]> = [
    ['maestro.signals.garbage', enc.encode('{not json'), /not JSON/],
    ['maestro.signals.garbage', Uint8Array.from([0xff, 0xfe, 0x00]), /not UTF-8/],
    ['maestro.signals.garbage', json([1, 2]), /must be a JSON object/],
    ['maestro.signals.garbage', json({ params: { a: true } }), /params\.a/],
    ['maestro.signals.garbage', json({ params: { a: { nested: 1 } } }), /params\.a/],
    ['maestro.signals.garbage', json({ params: { a: 2 ** 60 } }), /safe integer/],
    ['maestro.signals.garbage', json({ params: [] }), /params/],
    ['maestro.signals.garbage', json({ request_time: 'noon' }), /request_time/],
    ['maestro.signals.garbage', json({ payload: { big: 'x'.repeat(200_000) } }), /bytes, more than the limit/],
    ['maestro.signals.garbage', json({ payload: { big: 'x'.repeat(70_000) } }), /payload: must be at most/],
    ['maestro.signals.bad%ZZ', json({}), /%-escape/],
    ['maestro.signals.bad(name)!', json({}), /may only contain/],
  ];
  for (const [subject, body, reason] of cases) {
    const answer = await ask(subject, body);
    t.regex(String(answer.error), reason, subject);
  }
  nc!.publish('maestro.signals.garbage', enc.encode('fire and forget garbage'));
  await waitUntil(() => letters.length === cases.length + 1, 'every letter', 10_000, 20);
  t.is(node!.signalIngestStats().deadLettered - before.deadLettered, cases.length + 1);
  t.like(letters[0], { subject: 'maestro.signals.garbage', data: '{not json' });
  t.is(letters[1]!.data_base64, Buffer.from([0xff, 0xfe, 0x00]).toString('base64'));
  t.is((await node!.api.listSignals('garbage')).latestSeq, 0, 'nothing stored');
  t.deepEqual(node!.signalIngestStats().stored, before.stored);
  // Still consuming:
  t.like(await ask('maestro.signals.garbage', json({ params: { ok: 'yes' } })), { seq_id: 1, duplicate: false });
  dl.unsubscribe();
});
