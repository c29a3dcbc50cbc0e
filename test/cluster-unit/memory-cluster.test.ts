import test from 'ava';
import { ValidationError } from '../../src/core/errors.js';
import { ClusterUnavailableError, LeaseLostError, NotJoinedError } from '../../src/cluster/errors.js';
import { MemoryCluster } from '../../src/cluster/memory/index.js';
import type { MemberInfo, MembershipView } from '../../src/cluster/port.js';

const member = (nodeId: string): MemberInfo => ({ nodeId, grpcAddress: `${nodeId}:50051`, startedAtMs: 1 });

function nextView(node: { onChange(cb: (v: MembershipView) => void): () => void }, pred: (v: MembershipView) => boolean) {
  return new Promise<MembershipView>((resolve) => {
    const off = node.onChange((v) => {
      if (pred(v)) {
        off();
        resolve(v);
      }
    });
  });
}

test('members see each other join and leave, in order, with increasing versions', async (t) => {
  const cluster = new MemoryCluster();
  const a = cluster.connect();
  const b = cluster.connect();
  const seen: string[][] = [];
  a.onChange((v) => seen.push(v.members.map((m) => m.nodeId)));
  const bothSeen = nextView(a, (v) => v.members.length === 2);
  await a.join(member('a'));
  await b.join(member('b'));
  const both = await bothSeen;
  t.deepEqual(both.members.map((m) => m.nodeId), ['a', 'b']);
  t.is(both.members[1]?.grpcAddress, 'b:50051');
  const left = nextView(a, (v) => v.members.length === 1);
  await b.leave();
  const after = await left;
  t.true(after.version > both.version);
  t.deepEqual(seen, [['a'], ['a', 'b'], ['a']]);
});

test('claims are fenced: one holder, compare-and-delete, epochs grow across owners', async (t) => {
  const cluster = new MemoryCluster();
  const a = cluster.connect();
  const b = cluster.connect();
  await a.join(member('a'));
  await b.join(member('b'));
  const e1 = await a.claim(7);
  t.is(typeof e1, 'number');
  t.is(await b.claim(7), undefined, 'a held partition cannot be claimed by another node');
  t.is(await a.claim(7), e1, 'a retried claim under the same lease returns the same epoch');
  t.deepEqual(await b.owner(7), { nodeId: 'a', epoch: e1! });
  t.false(await b.release(7, e1! + 1), 'release with another epoch deletes nothing');
  t.true(await a.release(7, e1!));
  t.is(await b.owner(7), undefined);
  const e2 = await b.claim(7);
  t.true(e2! > e1!);
  cluster.expireLease('b');
  t.is(await a.owner(7), undefined, 'an expired lease drops its claims');
  const e3 = await a.claim(7);
  t.true(e3! > e2!);
});

test('expireLease tells the node, drops its record, and the node can join again', async (t) => {
  const cluster = new MemoryCluster();
  const a = cluster.connect();
  await a.join(member('a'));
  const lost = new Promise<LeaseLostError>((resolve) => a.onLeaseLost(resolve));
  cluster.expireLease('a');
  const err = await lost;
  t.is(err.nodeId, 'a');
  t.true(err.retryable);
  t.deepEqual(cluster.view().members, []);
  await t.throwsAsync(a.claim(1), { instanceOf: LeaseLostError });
  await a.join(member('a'));
  t.deepEqual(cluster.view().members.map((m) => m.nodeId), ['a']);
  t.is(typeof (await a.claim(1)), 'number');
});

test('kill is a crash: the node hears nothing more and its calls fail; its keys are gone', async (t) => {
  const cluster = new MemoryCluster();
  const a = cluster.connect();
  const b = cluster.connect();
  await a.join(member('a'));
  await b.join(member('b'));
  await b.claim(3);
  let lostCalls = 0;
  b.onLeaseLost(() => lostCalls++);
  const gone = nextView(a, (v) => v.members.length === 1);
  cluster.kill('b');
  t.deepEqual((await gone).members.map((m) => m.nodeId), ['a']);
  t.is(await a.owner(3), undefined);
  await t.throwsAsync(b.claim(3), { instanceOf: ClusterUnavailableError, message: /node killed/ });
  t.is(lostCalls, 0);
  t.throws(() => cluster.kill('b'), { instanceOf: ValidationError, message: /no live node b/ });
});

test('misuse is rejected with a clear error', async (t) => {
  const cluster = new MemoryCluster();
  const a = cluster.connect();
  await t.throwsAsync(a.claim(0), { instanceOf: NotJoinedError, message: /claim: this node has not joined/ });
  await t.throwsAsync(a.join({ nodeId: 'bad/id', grpcAddress: 'x:1', startedAtMs: 0 }), {
    instanceOf: ValidationError,
    message: /member\.nodeId/,
  });
  await a.join(member('a'));
  await t.throwsAsync(a.join(member('other')), { instanceOf: ValidationError, message: /already joined as a/ });
  const twin = cluster.connect();
  await t.throwsAsync(twin.join(member('a')), { instanceOf: ValidationError, message: /already in use/ });
  t.throws(() => cluster.expireLease('nobody'), { instanceOf: ValidationError });
});
