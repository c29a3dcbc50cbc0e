/**
 * NATS secured: a nats-server requiring TLS and a user/password or an nkey, a second one
 * requiring a token. A cluster node (TLS + password) and a worker (TLS + nkey) run a workflow to
 * SUCCEEDED; wrong credentials and TLS mismatches fail with clear errors that carry no secret;
 * `maestro node` and `maestro worker` take the same settings as flags and environment.
 */
import test, { type ImplementationFn } from 'ava';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nkeys } from 'nats';
import { connectNats, type NatsConnectOptions } from '../../src/nats/connection.js';
import { NatsConfigError, NatsConnectError } from '../../src/nats/errors.js';
import { startClusterNode } from '../../src/node/cluster-node.js';
import { startWorker } from '../../src/node/worker.js';
import { createControlClient } from '../../src/control/client.js';
import { haveNats, NATS_MISSING, startNats, type NatsFixture } from '../helpers/nats-server.js';
import { etcdMissingReason, startEtcd, type EtcdServer } from '../helpers/etcd-server.js';
import { makeTestCerts, opensslMissingReason, type TestCerts } from '../helpers/certs.js';
import { maestro, startMaestro } from '../cli/helpers.js';

const missing = [haveNats() ? undefined : NATS_MISSING, etcdMissingReason(), opensslMissingReason()].filter((r) => r !== undefined);
const secTest = (title: string, fn: ImplementationFn<[]>): void => {
  if (missing.length === 0) test.serial(title, fn);
  else test.skip(`${title} [skipped: ${missing.join('; ')}]`, fn);
};

const PASS = randomBytes(12).toString('hex');
const TOKEN = randomBytes(16).toString('hex');
const GRPC_TOKEN = randomBytes(16).toString('hex');
const enc = new TextDecoder();
const user = nkeys.createUser();
const stranger = nkeys.createUser();
let certs: TestCerts;
let dir: string;
let nats: NatsFixture; // TLS + user/password or nkey, JetStream
let tokenNats: NatsFixture; // token, plaintext
let etcd: EtcdServer;
const file = (name: string): string => join(dir, name);

test.before(async () => {
  if (missing.length > 0) return;
  certs = makeTestCerts();
  dir = await mkdtemp(join(tmpdir(), 'maestro-sec-nats-'));
  await writeFile(file('user.nk'), `${enc.decode(user.getSeed())}\n`);
  await writeFile(file('stranger.nk'), enc.decode(stranger.getSeed()));
  await writeFile(file('not-a-seed.nk'), 'hello\n');
  await writeFile(file('grpc-tokens'), `${GRPC_TOKEN}\n`);
  await writeFile(
    file('wf.json'),
    JSON.stringify({
      properties: { owner: 'tester' },
      workflow: {
        id: 'sec-nats',
        steps: [
          { step: { id: 'first', type: 'NoOp', transition: { successors: { nap: 'true' } } } },
          { step: { id: 'nap', type: 'Sleep', params: { sleep_seconds: { type: 'LONG', value: 1 } } } },
        ],
      },
    }),
  );
  [nats, tokenNats, etcd] = await Promise.all([
    startNats({
      extraConfig: [
        `tls { cert_file: "${certs.serverCertFile}", key_file: "${certs.serverKeyFile}", ca_file: "${certs.caFile}", timeout: 5 }`,
        `authorization { users: [ { user: maestro, password: "${PASS}" }, { nkey: ${user.getPublicKey()} } ] }`,
      ],
    }),
    startNats({ jetstream: false, extraConfig: [`authorization { token: "${TOKEN}" }`] }),
    startEtcd(),
  ]);
});
test.after.always(async () => {
  await Promise.allSettled([nats?.stop(), tokenNats?.stop(), etcd?.stop()]);
  certs?.remove();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const tls = (): NatsConnectOptions['tls'] => ({ caFile: certs.caFile });

async function refusal(opts: Omit<NatsConnectOptions, 'servers'>, servers = nats.urls): Promise<NatsConnectError> {
  const err = await connectNats({ servers, ...opts }).then(
    async (nc) => {
      await nc.close();
      throw new Error(`connected with ${JSON.stringify(Object.keys(opts))}`);
    },
    (e: unknown) => e,
  );
  if (!(err instanceof NatsConnectError)) throw err;
  return err;
}

secTest('a node over TLS with a password and a worker over TLS with an nkey run a workflow to SUCCEEDED (gRPC over TLS with a token)', async (t) => {
  const node = await startClusterNode({
    nats: nats.urls,
    etcd: etcd.endpoints,
    etcdPrefix: '/sec-nats-a/',
    natsTls: tls(),
    natsAuth: { user: 'maestro', pass: PASS },
    grpcPort: 0,
    grpcTls: { certFile: certs.serverCertFile, keyFile: certs.serverKeyFile },
    grpcAuth: { tokenFile: file('grpc-tokens') },
    partitions: 8,
    runExecutor: false,
    logLevel: 'warn',
  });
  t.teardown(() => node.close());
  const worker = await startWorker({ nats: nats.urls, natsTls: tls(), natsAuth: { nkeySeedFile: file('user.nk') }, partitions: 8 });
  t.teardown(() => worker.close());
  const client = createControlClient(node.grpcAddress, { tls: { caFile: certs.caFile }, token: GRPC_TOKEN });
  t.teardown(() => client.close());

  await client.createWorkflow(await readFile(file('wf.json'), 'utf8'));
  const { instanceId } = await client.startWorkflow({ workflowId: 'sec-nats' });
  let status = '';
  for await (const c of client.watch('sec-nats', instanceId)) if (c.stepId === undefined) status = c.status;
  t.is(status, 'SUCCEEDED');
  const view = await client.getInstance('sec-nats', instanceId);
  t.deepEqual(view.steps.map((s) => [s.stepId, s.status]), [['first', 'SUCCEEDED'], ['nap', 'SUCCEEDED']], 'the Sleep step ran on the worker (the node runs no executor)');
});

secTest('wrong or missing credentials and TLS mismatches fail with a clear error that carries no secret', async (t) => {
  const wrong = await refusal({ tls: tls(), auth: { user: 'maestro', pass: 'not-the-password-42' } });
  t.is(wrong.kind, 'unauthenticated');
  t.false(wrong.retryable);
  t.regex(wrong.message, /^cannot connect to NATS at nats:\/\/127\.0\.0\.1:\d+: the server refused the credentials \(Authorization Violation\)/);
  t.false(wrong.message.includes('not-the-password-42'));
  t.is((await refusal({ tls: tls() })).kind, 'unauthenticated', 'no credentials at all');
  t.is((await refusal({ tls: tls(), auth: { nkeySeedFile: file('stranger.nk') } })).kind, 'unauthenticated', 'an nkey the server does not list');

  const untrusted = await refusal({ tls: { caFile: certs.otherCaFile }, auth: { user: 'maestro', pass: PASS } });
  t.regex(untrusted.message, /TLS failed: .*certificate/);
  t.false(untrusted.retryable);
  const noCa = await refusal({ auth: { user: 'maestro', pass: PASS } });
  t.regex(noCa.message, /TLS failed/, 'the server requires TLS; without our CA its certificate does not verify');

  const half = await t.throwsAsync(connectNats({ servers: nats.urls, auth: { user: 'maestro' } }), { instanceOf: NatsConfigError });
  t.regex(half?.message ?? '', /a user needs a password/);
  const both = await t.throwsAsync(connectNats({ servers: nats.urls, auth: { token: TOKEN, nkeySeedFile: file('user.nk') } }), { instanceOf: NatsConfigError });
  t.regex(both?.message ?? '', /give one of user\/password, token or nkey seed/);
  const badSeed = await t.throwsAsync(connectNats({ servers: nats.urls, auth: { nkeySeedFile: file('not-a-seed.nk') } }), { instanceOf: NatsConfigError });
  t.regex(badSeed?.message ?? '', /does not hold an nkey seed/);
  t.false(badSeed?.message.includes('hello'));

  const node = await t.throwsAsync(
    startClusterNode({ nats: nats.urls, etcd: etcd.endpoints, natsTls: tls(), natsAuth: { user: 'maestro', pass: 'nope-nope-nope' }, grpcPort: 0, partitions: 8, logLevel: 'warn' }),
    { instanceOf: NatsConnectError },
  );
  t.is(node?.kind, 'unauthenticated');
});

secTest('token authentication: the right token connects, a wrong one is refused', async (t) => {
  const nc = await connectNats({ servers: tokenNats.urls, auth: { token: TOKEN } });
  await nc.flush();
  await nc.close();
  const wrong = await refusal({ auth: { token: 'x'.repeat(32) } }, tokenNats.urls);
  t.is(wrong.kind, 'unauthenticated');
  t.false(wrong.message.includes('x'.repeat(32)));
  const tlsToPlain = await refusal({ auth: { token: TOKEN }, tls: {} }, tokenNats.urls);
  t.regex(tlsToPlain.message, /TLS failed/, 'asking for TLS from a server without it fails');
});

secTest('`maestro node` and `maestro worker` take NATS security from flags and the environment; bad credentials exit 1 naming NATS', async (t) => {
  const common = ['--nats', nats.urls.join(','), '--nats-tls-ca', certs.caFile];
  const refused = await maestro(['node', ...common, '--etcd', etcd.endpoints.join(','), '--grpc-port', '0', '--partitions', '8', '--nats-user', 'maestro'], {
    env: { MAESTRO_NATS_PASS: 'definitely-wrong-pw', MAESTRO_LOG_LEVEL: 'warn' },
    timeoutMs: 60_000,
  });
  t.is(refused.code, 1, 'the process exits (nothing left open) with 1');
  t.regex(refused.stderr, /error \(unauthenticated\): cannot connect to NATS at nats:\/\/127\.0\.0\.1:\d+: the server refused the credentials/);
  t.false(refused.stderr.includes('definitely-wrong-pw'));

  const node = await startMaestro(['node', ...common, '--etcd', etcd.endpoints.join(','), '--grpc-port', '0', '--partitions', '8', '--nats-user', 'maestro'], /serving on (\S+)/, {
    MAESTRO_NATS_PASS: PASS,
    MAESTRO_LOG_LEVEL: 'warn',
  });
  t.teardown(() => node.kill());
  const worker = await startMaestro(['worker', ...common, '--partitions', '8', '--nats-nkey-seed', file('user.nk')], /worker running (.+)/, {});
  t.teardown(() => worker.kill());
  t.regex(worker.ready[1] ?? '', /Sleep/);
  const info = await maestro(['cluster', '--server', node.ready[1] ?? '']);
  t.is(info.code, 0, info.stderr);
  t.regex(info.stdout, /cluster: mode cluster, 1 member, 8 partitions/);
  t.is(await worker.stop(), 0);
  t.is(await node.stop(), 0);
});
