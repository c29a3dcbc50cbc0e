import test from 'ava';
import { Etcd3 } from 'etcd3';
import { ValidationError } from '../../src/core/errors.js';
import { EtcdCluster } from '../../src/cluster/etcd/index.js';
import { LeaseLostError, MemberIdInUseError, NotJoinedError } from '../../src/cluster/errors.js';
import type { MemberInfo, MembershipView } from '../../src/cluster/port.js';
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

const member = (nodeId: string): MemberInfo => ({ nodeId, grpcAddress: `127.0.0.1:${nodeId.length + 5000}`, startedAtMs: 1 });
let prefixes = 0;
function freshPrefix(): string {
  return `/test-membership-${process.pid}-${++prefixes}/`;
}
function connect(prefix: string): EtcdCluster {
  const c = new EtcdCluster({ endpoints: etcd!.endpoints, prefix });
  open.push(c);
  return c;
}
const ids = (v: MembershipView) => v.members.map((m) => m.nodeId);

etcdTest('members see each other join and leave through the watch', async (t) => {
  const prefix = freshPrefix();
  const a = connect(prefix);
  const b = connect(prefix);
  const seenByA: string[][] = [];
  a.membership.onChange((v) => seenByA.push(ids(v)));
  await a.membership.join(member('node-a'));
  await b.membership.join(member('node-b'));
  await waitUntil(() => ids(a.membership.current()).length === 2, 'a to see b');
  t.deepEqual(ids(b.membership.current()), ['node-a', 'node-b']);
  t.is(a.membership.current().members[1]?.grpcAddress, '127.0.0.1:5006');
  const v2 = a.membership.current().version;
  await b.membership.leave();
  await waitUntil(() => ids(a.membership.current()).length === 1, 'a to see b leave');
  t.true(a.membership.current().version > v2);
  t.deepEqual(seenByA, [['node-a'], ['node-a', 'node-b'], ['node-a']]);
  await t.throwsAsync(b.claims.claim(0), { instanceOf: NotJoinedError });
});

etcdTest('a crashed member (no leave, lease not revoked) disappears when its lease expires', async (t) => {
  const prefix = freshPrefix();
  const a = connect(prefix);
  const b = connect(prefix);
  await a.membership.join(member('node-a'));
  await b.membership.join(member('node-b'));
  await waitUntil(() => ids(a.membership.current()).length === 2, 'a to see b');
  const start = Date.now();
  await b.abandon();
  await waitUntil(() => ids(a.membership.current()).length === 1, 'b to expire', 6000);
  const took = Date.now() - start;
  t.log(`expired after ${took} ms (TTL 2000 ms)`);
  t.true(took >= 1000 && took < 4000, `took ${took} ms`);
});

etcdTest('a second process with the same node id is refused; the same process may re-join', async (t) => {
  const prefix = freshPrefix();
  const a = connect(prefix);
  const twin = connect(prefix);
  await a.membership.join(member('node-a'));
  await a.membership.join({ ...member('node-a'), grpcAddress: '127.0.0.1:7777' });
  await waitUntil(() => a.membership.current().members[0]?.grpcAddress === '127.0.0.1:7777', 'the updated record');
  const err = await t.throwsAsync(twin.membership.join(member('node-a')), { instanceOf: MemberIdInUseError });
  t.true(err?.retryable);
  t.regex(err?.message ?? '', /node-a/);
  await t.throwsAsync(a.membership.join(member('other')), { instanceOf: ValidationError, message: /already joined as node-a/ });
});

etcdTest('a lease revoked behind our back is reported once, and join grants a new one', async (t) => {
  const prefix = freshPrefix();
  const a = connect(prefix);
  await a.membership.join(member('node-a'));
  const lost: LeaseLostError[] = [];
  a.membership.onLeaseLost((e) => lost.push(e));
  const { leaseId } = a.membership.activeLease('test');
  const admin = new Etcd3({ hosts: etcd!.endpoints });
  try {
    await admin.leaseClient.leaseRevoke({ ID: leaseId });
  } finally {
    admin.close();
  }
  await waitUntil(() => lost.length > 0, 'the loss to be reported', 4000);
  t.is(lost[0]?.nodeId, 'node-a');
  t.true(lost[0]?.retryable);
  t.throws(() => a.membership.activeLease('claim'), { instanceOf: LeaseLostError });
  await waitUntil(() => ids(a.membership.current()).length === 0, 'the record to vanish');
  await a.membership.join(member('node-a'));
  t.not(a.membership.activeLease('test').leaseId, leaseId);
  await waitUntil(() => ids(a.membership.current()).length === 1, 'the record to return');
  t.is(lost.length, 1);
});

etcdTest('a member record deleted by hand while the lease lives is written again', async (t) => {
  const prefix = freshPrefix();
  const a = connect(prefix);
  await a.membership.join(member('node-a'));
  await waitUntil(() => ids(a.membership.current()).length === 1, 'a to see itself');
  const admin = new Etcd3({ hosts: etcd!.endpoints });
  try {
    await admin.delete().key(`${prefix}members/node-a`);
    await waitUntil(async () => (await admin.get(`${prefix}members/node-a`).string()) !== null, 'the record to be written again');
    await waitUntil(() => ids(a.membership.current()).length === 1, 'the view to show a again');
    t.notThrows(() => a.membership.activeLease('claim'), 'the lease was kept');
  } finally {
    admin.close();
  }
});
