import test from 'ava';
import { ValidationError } from '../../src/core/errors.js';
import { EtcdCluster } from '../../src/cluster/etcd/index.js';
import { LeaseLostError } from '../../src/cluster/errors.js';
import type { MemberInfo } from '../../src/cluster/port.js';
import { haveEtcd, startEtcd, type EtcdServer } from '../helpers/etcd-server.js';
import { etcdTest } from '../helpers/etcd-test.js';
import { waitUntil } from '../cluster-unit/fixture.js';

let etcd: EtcdServer | undefined;
const open: EtcdCluster[] = [];

test.before(async () => {
  if (haveEtcd()) etcd = await startEtcd();
});
test.afterEach.always(async () => {
  await Promise.all(open.splice(0).map((c) => c.close().catch(() => undefined)));
});
test.after.always(async () => {
  await etcd?.stop();
});

const member = (nodeId: string): MemberInfo => ({ nodeId, grpcAddress: '127.0.0.1:1', startedAtMs: 1 });
let prefixes = 0;
async function joined(prefix: string, nodeId: string): Promise<EtcdCluster> {
  const c = new EtcdCluster({ endpoints: etcd!.endpoints, prefix });
  open.push(c);
  await c.membership.join(member(nodeId));
  return c;
}
const freshPrefix = () => `/test-claims-${process.pid}-${++prefixes}/`;

etcdTest('a held partition cannot be claimed again; release compares the epoch', async (t) => {
  const prefix = freshPrefix();
  const a = await joined(prefix, 'a');
  const b = await joined(prefix, 'b');
  const e1 = await a.claims.claim(5);
  t.true(typeof e1 === 'number' && e1 > 0);
  t.is(await b.claims.claim(5), undefined);
  t.is(await a.claims.claim(5), e1, 'a retried claim under the same lease returns its epoch');
  t.deepEqual(await b.claims.owner(5), { nodeId: 'a', epoch: e1! });
  t.false(await b.claims.release(5, e1! - 1), 'a wrong epoch deletes nothing');
  t.deepEqual(await b.claims.owner(5), { nodeId: 'a', epoch: e1! });
  t.true(await a.claims.release(5, e1!));
  t.is(await a.claims.owner(5), undefined);
  t.false(await a.claims.release(5, e1!), 'releasing twice is a no-op');
  const e2 = await b.claims.claim(5);
  t.true(e2! > e1!, 'the next owner gets a higher epoch');
  t.is(await a.claims.claim(6) !== undefined, true, 'other partitions are independent');
});

etcdTest('after the holder\'s lease expires, a new claim gets a strictly higher epoch', async (t) => {
  const prefix = freshPrefix();
  const a = await joined(prefix, 'a');
  const b = await joined(prefix, 'b');
  const e1 = (await a.claims.claim(0))!;
  await a.abandon(); // crash: no release, no revoke
  t.is(await b.claims.claim(0), undefined, 'still held until the lease expires');
  const waited = await waitUntil(async () => (await b.claims.owner(0)) === undefined, 'the claim to expire', 6000, 50);
  t.true(waited < 4000, `claim expired after ${waited} ms`);
  const e2 = await b.claims.claim(0);
  t.true(e2 !== undefined && e2 > e1, `epoch ${e2} > ${e1}`);
});

etcdTest('claims need a live lease; after a loss and re-join the partition is claimed with a new epoch', async (t) => {
  const prefix = freshPrefix();
  const a = await joined(prefix, 'a');
  const e1 = (await a.claims.claim(1))!;
  // The node decides its lease is lost (e.g. keepalives unanswered for a TTL) while etcd still has it.
  a.membership.activeLease('test').session.invalidate(new Error('test: keepalives unanswered'));
  await t.throwsAsync(a.claims.claim(1), { instanceOf: LeaseLostError, message: /needs a live lease/ });
  await a.membership.join(member('a')); // revokes the old lease first, freeing its claims
  const e2 = await a.claims.claim(1);
  t.true(e2 !== undefined && e2 > e1, `epoch ${e2} > ${e1}`);
  await a.membership.leave();
  await t.throwsAsync(a.claims.claim(1), { message: /has not joined/ });
  await t.throwsAsync(a.claims.claim(-1), { instanceOf: ValidationError, message: /partition/ });
});

etcdTest('releasedBefore: a claim after a release names the releasing node; after a lease revocation, none', async (t) => {
  const prefix = freshPrefix();
  const a = await joined(prefix, 'a');
  const b = await joined(prefix, 'b');
  const e1 = (await a.claims.claim(2))!;
  t.is(a.claims.releasedBefore(2, e1), undefined, 'the first claim follows nobody');
  t.true(await a.claims.release(2, e1));
  const e2 = (await b.claims.claim(2))!;
  t.is(b.claims.releasedBefore(2, e2), 'a', 'a released it: a handoff');
  t.is(b.claims.releasedBefore(2, e1), undefined, 'only for the epoch of that claim');
  await b.membership.leave(); // revokes b's lease: its claim goes without a release
  const e3 = (await a.claims.claim(2))!;
  t.true(e3 > e2);
  t.is(a.claims.releasedBefore(2, e3), undefined, 'the marker was taken by the claim after it; a dropped claim leaves none');
});
