/**
 * etcd secured: one etcd serving client TLS and requiring client certificates
 * (--cert-file/--key-file/--trusted-ca-file/--client-cert-auth, https URLs), one with password
 * authentication enabled through the etcd3 client (root user and role, a `maestro` user whose
 * role may read and write the cluster prefix, an `outsider` who may not). Membership and claims
 * work over both; refused access is a clear ClusterAccessError; a cluster node runs a workflow
 * over TLS; `maestro node` with a wrong etcd password exits 1 with nothing left running.
 */
import test, { type ImplementationFn } from 'ava';
import { randomBytes } from 'node:crypto';
import { Etcd3 } from 'etcd3';
import { EtcdCluster, type EtcdClusterOptions } from '../../src/cluster/etcd/index.js';
import { ClusterAccessError, ClusterUnavailableError } from '../../src/cluster/errors.js';
import type { MemberInfo, Membership } from '../../src/cluster/port.js';
import { createControlClient } from '../../src/control/client.js';
import { startClusterNode } from '../../src/node/cluster-node.js';
import { etcdMissingReason, startEtcd, type EtcdServer } from '../helpers/etcd-server.js';
import { haveNats, NATS_MISSING, startNats, type NatsFixture } from '../helpers/nats-server.js';
import { makeTestCerts, opensslMissingReason, type TestCerts } from '../helpers/certs.js';
import { maestro, startMaestro } from '../cli/helpers.js';

const missing = [etcdMissingReason(), opensslMissingReason()].filter((r) => r !== undefined);
const natsMissing = haveNats() ? undefined : NATS_MISSING;
/** Runs serially when etcd and openssl (and, with `needsNats`, nats-server) are here; else skips naming what is missing. */
const secTest = (title: string, fn: ImplementationFn<[]>, needsNats = false): void => {
  const reasons = [...missing, ...(needsNats && natsMissing !== undefined ? [natsMissing] : [])];
  if (reasons.length === 0) test.serial(title, fn);
  else test.skip(`${title} [skipped: ${reasons.join('; ')}]`, fn);
};

const ROOT_PW = randomBytes(12).toString('hex');
const MAESTRO_PW = randomBytes(12).toString('hex');
const OUTSIDER_PW = randomBytes(12).toString('hex');
const PREFIX = '/sec/';
let certs: TestCerts;
let tlsEtcd: EtcdServer;
let authEtcd: EtcdServer;
let nats: NatsFixture | undefined;
const open: EtcdCluster[] = [];

/** Enables auth: root (role root), maestro (read-write on PREFIX and /maestro/), outsider (read-write elsewhere only). */
async function enableAuth(endpoints: string[]): Promise<void> {
  const admin = new Etcd3({ hosts: endpoints });
  try {
    await admin.role('root').create();
    await admin.user('root').create(ROOT_PW);
    await admin.user('root').addRole('root');
    await admin.role('maestro').create();
    await admin.role('maestro').grant({ permission: 'Readwrite', range: admin.range({ prefix: PREFIX }) });
    await admin.role('maestro').grant({ permission: 'Readwrite', range: admin.range({ prefix: '/maestro/' }) }); // `maestro node`'s default prefix
    await admin.user('maestro').create(MAESTRO_PW);
    await admin.user('maestro').addRole('maestro');
    await admin.role('outsider').create();
    await admin.role('outsider').grant({ permission: 'Readwrite', range: admin.range({ prefix: '/elsewhere/' }) });
    await admin.user('outsider').create(OUTSIDER_PW);
    await admin.user('outsider').addRole('outsider');
    await admin.auth.authEnable();
  } finally {
    admin.close();
  }
}

test.before(async () => {
  if (missing.length > 0) return;
  certs = makeTestCerts();
  [tlsEtcd, authEtcd, nats] = await Promise.all([
    startEtcd({ tls: { certFile: certs.serverCertFile, keyFile: certs.serverKeyFile, caFile: certs.caFile } }),
    startEtcd(),
    natsMissing === undefined ? startNats() : undefined,
  ]);
  await enableAuth(authEtcd.endpoints);
});
test.afterEach.always(async () => {
  await Promise.all(open.splice(0).map((c) => c.close().catch(() => undefined)));
});
test.after.always(async () => {
  await Promise.allSettled([tlsEtcd?.stop(), authEtcd?.stop(), nats?.stop()]);
  certs?.remove();
});

function cluster(opts: Partial<EtcdClusterOptions> & Pick<EtcdClusterOptions, 'endpoints'>): EtcdCluster {
  const c = new EtcdCluster({ prefix: PREFIX, callTimeoutMs: 3_000, dialTimeoutMs: 2_000, ...opts });
  open.push(c);
  return c;
}
const member = (nodeId: string): MemberInfo => ({ nodeId, grpcAddress: '127.0.0.1:1', startedAtMs: 1 });

/** Resolves once the view has `n` members (checked on every change, and now). */
function members(m: Membership, n: number): Promise<string[]> {
  return new Promise((resolve) => {
    const check = (): boolean => {
      const ids = m.current().members.map((x) => x.nodeId);
      if (ids.length !== n) return false;
      off();
      resolve(ids);
      return true;
    };
    const off = m.onChange(() => void check());
    check();
  });
}

secTest('TLS with client certificates: members join, see each other and claim; no client certificate or an untrusted CA is refused', async (t) => {
  t.true(tlsEtcd.endpoints.every((e) => e.startsWith('https://')));
  const tls = { caFile: certs.caFile, certFile: certs.clientCertFile, keyFile: certs.clientKeyFile };
  const a = cluster({ endpoints: tlsEtcd.endpoints, tls });
  const b = cluster({ endpoints: tlsEtcd.endpoints, tls });
  await a.membership.join(member('tls-a'));
  await b.membership.join(member('tls-b'));
  t.deepEqual(await members(a.membership, 2), ['tls-a', 'tls-b']);
  t.true(Number(await a.claims.claim(3)) > 0);
  t.is((await b.claims.owner(3))?.nodeId, 'tls-a');

  const noCert = await t.throwsAsync(cluster({ endpoints: tlsEtcd.endpoints, tls: { caFile: certs.caFile } }).membership.join(member('tls-x')), {
    instanceOf: ClusterUnavailableError,
  });
  t.regex(noCert?.message ?? '', /bad certificate|certificate required|handshake/i);
  const untrusted = await t.throwsAsync(cluster({ endpoints: tlsEtcd.endpoints, tls: { ...tls, caFile: certs.otherCaFile } }).membership.join(member('tls-y')), {
    instanceOf: ClusterUnavailableError,
  });
  t.regex(untrusted?.message ?? '', /unable to verify|certificate/i);
  const plain = await t.throwsAsync(cluster({ endpoints: tlsEtcd.endpoints.map((e) => e.replace('https://', 'http://')) }).membership.join(member('tls-z')), {
    instanceOf: ClusterUnavailableError,
  });
  t.truthy(plain, 'a plaintext client cannot talk to the TLS endpoint');
});

secTest('password authentication: the right password works; a wrong one, none, or a user without rights on the prefix is refused clearly', async (t) => {
  const good = cluster({ endpoints: authEtcd.endpoints, auth: { username: 'maestro', password: MAESTRO_PW } });
  await good.membership.join(member('auth-a'));
  t.deepEqual(await members(good.membership, 1), ['auth-a']);
  t.true(Number(await good.claims.claim(0)) > 0);

  const wrong = await t.throwsAsync(cluster({ endpoints: authEtcd.endpoints, auth: { username: 'maestro', password: 'wrong-password-7' } }).membership.join(member('auth-b')), {
    instanceOf: ClusterAccessError,
  });
  t.regex(wrong?.message ?? '', /^etcd refused access during reading members: authentication failed \(wrong etcd user or password\)$/);
  t.is(wrong?.kind, 'unauthenticated');
  t.false(wrong?.retryable);
  const none = await t.throwsAsync(cluster({ endpoints: authEtcd.endpoints }).membership.join(member('auth-c')), { instanceOf: ClusterAccessError });
  t.regex(none?.message ?? '', /etcd requires authentication and no etcd user was given/);
  const outsider = await t.throwsAsync(cluster({ endpoints: authEtcd.endpoints, auth: { username: 'outsider', password: OUTSIDER_PW } }).membership.join(member('auth-d')), {
    instanceOf: ClusterAccessError,
  });
  t.regex(outsider?.message ?? '', /permission denied \(the etcd user's roles must allow reading and writing the cluster prefix\)/);
});

secTest('a cluster node with etcd over TLS runs a workflow to SUCCEEDED', async (t) => {
  const node = await startClusterNode({
    nats: nats!.urls,
    etcd: tlsEtcd.endpoints,
    etcdPrefix: '/sec-node/',
    etcdTls: { caFile: certs.caFile, certFile: certs.clientCertFile, keyFile: certs.clientKeyFile },
    grpcPort: 0,
    partitions: 8,
    logLevel: 'warn',
  });
  t.teardown(() => node.close());
  const client = createControlClient(node.grpcAddress);
  t.teardown(() => client.close());
  await client.createWorkflow(JSON.stringify({ properties: { owner: 'tester' }, workflow: { id: 'sec-etcd', steps: [{ step: { id: 'only', type: 'Sleep', params: { sleep_seconds: { type: 'LONG', value: 1 } } } }] } }));
  const { instanceId } = await client.startWorkflow({ workflowId: 'sec-etcd' });
  let status = '';
  for await (const c of client.watch('sec-etcd', instanceId)) if (c.stepId === undefined) status = c.status;
  t.is(status, 'SUCCEEDED');
  t.is((await client.clusterInfo()).members.length, 1);
}, true);

secTest('`maestro node` with etcd credentials: a wrong password exits 1 with nothing left running; the right one (from the environment) joins', async (t) => {
  const args = ['node', '--nats', nats!.urls.join(','), '--etcd', authEtcd.endpoints.join(','), '--grpc-port', '0', '--partitions', '8', '--etcd-user', 'maestro'];
  const refused = await maestro([...args, '--etcd-pass', 'not-it-at-all'], { env: { MAESTRO_LOG_LEVEL: 'warn' }, timeoutMs: 60_000 });
  t.is(refused.code, 1, `exits once the start failed (connections and the gRPC server closed): ${refused.stderr}`);
  t.regex(refused.stderr, /error \(unauthenticated\): etcd refused access during reading members: authentication failed/);
  t.false(refused.stderr.includes('not-it-at-all'));

  const node = await startMaestro(args, /serving on (\S+)/, { MAESTRO_ETCD_PASS: MAESTRO_PW, MAESTRO_LOG_LEVEL: 'warn' });
  t.teardown(() => node.kill());
  const info = await maestro(['cluster', '--server', node.ready[1] ?? '']);
  t.is(info.code, 0, info.stderr);
  t.regex(info.stdout, /cluster: mode cluster, 1 member, 8 partitions/);
  t.is(await node.stop(), 0);
}, true);
