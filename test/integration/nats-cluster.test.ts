/**
 * A 3-server nats cluster with R3 streams: the fence holds under racing writers (nats-server
 * 2.9 checks the expected subject sequence of a replicated stream only before proposing, so
 * the journal and KV add a position-derived msg id), and appends continue when the server that
 * leads the journal stream is killed.
 */
import test from 'ava';
import { connect, type NatsConnection } from 'nats';
import { StaleEpochError } from '../../src/core/errors.js';
import type { JournalRecord } from '../../src/journal/port.js';
import { JetStreamJournal } from '../../src/journal/jetstream/jetstream-journal.js';
import { CasConflictError } from '../../src/store/port.js';
import { JetStreamKv } from '../../src/store/jetstream/jetstream-kv.js';
import { haveNats, NATS_MISSING, startNats, type NatsFixture } from '../helpers/nats-server.js';
import { testIf } from '../helpers/skip.js';

const natsTest = testIf(haveNats() ? undefined : NATS_MISSING, { serial: true });

const STREAM = 'MAESTRO_JOURNAL';
let nats: NatsFixture | undefined;
let admin: NatsConnection | undefined;
const closers: { close(): Promise<void> }[] = [];

test.before(async () => {
  if (!haveNats()) return;
  nats = await startNats({ cluster: 3, jetstream: true });
  admin = await connect({ servers: nats.urls, maxReconnectAttempts: -1, reconnectTimeWait: 250 });
});
test.after.always(async () => {
  await Promise.allSettled(closers.map((c) => c.close()));
  await admin?.close();
  await nats?.stop();
});

async function journal(servers = nats!.urls): Promise<JetStreamJournal> {
  // A raft leader election on nats-server 2.9 takes 4-9 s; leave room beyond it.
  const j = await JetStreamJournal.connect({ servers, replicas: 3, appendTimeoutMs: 25_000 });
  closers.push(j);
  return j;
}

/** Busy-waits `us` microseconds (timers are too coarse to line two publishes up). */
async function spin(us: number): Promise<void> {
  const until = performance.now() + us / 1000;
  while (performance.now() < until) await Promise.resolve();
}

function rec(instanceKey: string, seq: number, tag: string): JournalRecord {
  return { instanceKey, seq, event: { tag } };
}

natsTest('R3 KV: concurrent CAS writes of one revision, exactly one wins every time', async (t) => {
  const kv = await JetStreamKv.connect({ servers: nats!.urls, bucket: 'cluster_meta', replicas: 3 });
  closers.push(kv);
  for (let round = 0; round < 20; round++) {
    const key = `race/${round}`;
    const rev = await kv.put(key, 'start', 0);
    const results = await Promise.allSettled([kv.put(key, 'a', rev), kv.put(key, 'b', rev), kv.put(key, 'c', rev)]);
    const won = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    t.is(won.length, 1, `round ${round}`);
    t.true(results.every((r) => r.status === 'fulfilled' || r.reason instanceof CasConflictError));
    t.is((await kv.get(key))?.revision, won[0]);
  }
});

natsTest('R3 journal: an old owner racing a new claim never gets an append acked that the new owner cannot see', async (t) => {
  const [oldOwner, newOwner] = await Promise.all([journal(), journal()]);
  let raced = 0;
  const ROUNDS = 60;
  for (let p = 0; p < ROUNDS; p++) {
    await oldOwner.claim(p, 1);
    await oldOwner.append(p, 1, [rec('wf/x', 1, 'before')]);
    // The claim reads the last message before it publishes; starting the append up to ~1 ms
    // later makes both publishes reach the stream leader at about the same time.
    const claiming = newOwner.claim(p, 2);
    await spin((p % 8) * 150);
    const [append, claim] = await Promise.allSettled([oldOwner.append(p, 1, [rec('wf/x', 2, 'racing')]), claiming]);
    t.is(claim.status, 'fulfilled', `partition ${p}: the new claim always succeeds`);
    if (append.status === 'rejected') t.true(append.reason instanceof StaleEpochError, String(append.reason));
    else raced++;
    await newOwner.append(p, 2, [rec('wf/x', append.status === 'fulfilled' ? 3 : 2, 'after')]);
    await t.throwsAsync(oldOwner.append(p, 1, [rec('wf/x', 9, 'late')]), { instanceOf: StaleEpochError });

    const tags = ((await newOwner.load(p)).instances.get('wf/x')?.records ?? []).map((r) => (r.event as { tag: string }).tag);
    const expected = append.status === 'fulfilled' ? ['before', 'racing', 'after'] : ['before', 'after'];
    t.deepEqual(tags, expected, `partition ${p}`);
  }
  t.log(`${raced} of ${ROUNDS} racing appends landed before the claim`);
});

natsTest('R3 journal: appends continue when the server leading the stream is killed', async (t) => {
  const j = await journal();
  const p = 100;
  await j.claim(p, 1);
  const acked: JournalRecord[] = [];
  let seq = 0;
  const appendOne = async (): Promise<void> => {
    const r = rec('wf/k', ++seq, `r${seq}`);
    await j.append(p, 1, [r]);
    acked.push(r);
  };
  for (let i = 0; i < 20; i++) await appendOne();

  const jsm = await admin!.jetstreamManager();
  const leader = (await jsm.streams.info(STREAM)).cluster?.leader;
  const index = Number(leader?.replace(/^n/, ''));
  t.true(Number.isInteger(index), `stream leader ${leader}`);
  const killed = nats!.kill(index);
  const started = Date.now();
  // Keep appending through the failover: every append must resolve, none may be lost.
  for (let i = 0; i < 20; i++) await appendOne();
  await killed;
  t.log(`20 appends across the failover took ${Date.now() - started} ms`);

  const survivors = nats!.urls.filter((_, i) => i !== index);
  const reader = await journal(survivors);
  const image = await reader.load(p);
  t.deepEqual(image.instances.get('wf/k')?.records, acked);
  t.is(acked.length, 40);
  await j.append(p, 1, [rec('wf/k', ++seq, 'after reload')]);
  t.is((await reader.load(p)).instances.get('wf/k')?.records.length, 41);

});
