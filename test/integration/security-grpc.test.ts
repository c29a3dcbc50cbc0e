/**
 * The gRPC API secured: bearer tokens (unary, streaming, reflection; health stays open), TLS and
 * mTLS, with the library client and with the `maestro` CLI against `maestro dev` serving TLS and
 * tokens. Certificates are made per run with /usr/bin/openssl.
 */
import test, { type ImplementationFn } from 'ava';
import * as grpc from '@grpc/grpc-js';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createControlClient, type ControlClient, type ControlClientOptions } from '../../src/control/client.js';
import { ControlError } from '../../src/control/errors.js';
import { startGrpcServer, type GrpcServerOptions } from '../../src/control/server.js';
import { createEmbeddedNode, type EmbeddedNode } from '../../src/node/embedded.js';
import { makeTestCerts, opensslMissingReason, type TestCerts } from '../helpers/certs.js';
import { maestro, startDev } from '../cli/helpers.js';

const missing = opensslMissingReason();
const secTest = (title: string, fn: ImplementationFn<[]>): void => {
  if (missing === undefined) test(title, fn);
  else test.skip(`${title} [skipped: ${missing}]`, fn);
};

const TOKEN_A = randomBytes(24).toString('hex');
const TOKEN_B = randomBytes(24).toString('hex');
let certs: TestCerts;
let node: EmbeddedNode;
let dir: string;
const file = (name: string): string => join(dir, name);
const definition = (id: string): string =>
  JSON.stringify({ properties: { owner: 'tester' }, workflow: { id, steps: [{ step: { id: 'a', type: 'NoOp', transition: { successors: { b: 'true' } } } }, { step: { id: 'b', type: 'NoOp' } }] } });

test.before(async () => {
  if (missing !== undefined) return;
  certs = makeTestCerts();
  node = await createEmbeddedNode();
  dir = await mkdtemp(join(tmpdir(), 'maestro-sec-grpc-'));
  await writeFile(file('tokens'), `# accepted tokens, one per line\n\n  ${TOKEN_A}  \n${TOKEN_B}\n`);
  await writeFile(file('client-token'), `${TOKEN_B}\n`);
  await writeFile(file('wf.json'), definition('sec-cli'));
});
test.after.always(async () => {
  await node?.close();
  certs?.remove();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function serve(t: { teardown(fn: () => Promise<void> | void): void }, opts: Partial<GrpcServerOptions>): Promise<string> {
  const server = await startGrpcServer(node.api, { host: '127.0.0.1', port: 0, shutdownGraceMs: 200, ...opts });
  t.teardown(() => server.close());
  return `127.0.0.1:${server.port}`;
}

function client(t: { teardown(fn: () => void): void }, address: string, opts: ControlClientOptions = {}): ControlClient {
  const c = createControlClient(address, { callTimeoutMs: 5_000, ...opts });
  t.teardown(() => c.close());
  return c;
}

/** A reflection ListServices request, sent raw (field 7 `list_services` = "*"); resolves with the response bytes. */
function listServicesRaw(address: string, metadata: grpc.Metadata): Promise<string> {
  const raw = new grpc.Client(address, grpc.credentials.createInsecure());
  return new Promise<string>((resolve, reject) => {
    const call = raw.makeBidiStreamRequest('/grpc.reflection.v1.ServerReflection/ServerReflectionInfo', (b: Buffer) => b, (b: Buffer) => b, metadata);
    call.on('data', (b: Buffer) => {
      resolve(b.toString('latin1'));
      call.end();
    });
    call.on('error', reject);
    call.write(Buffer.from([0x3a, 0x01, 0x2a]));
  }).finally(() => raw.close());
}

secTest('bearer tokens: without one or with a wrong one every call but health is UNAUTHENTICATED; either listed token works', async (t) => {
  const address = await serve(t, { auth: { tokenFile: file('tokens') } });

  const anonymous = client(t, address);
  const refused = await t.throwsAsync(anonymous.listWorkflows(), { instanceOf: ControlError });
  t.is(refused?.code, grpc.status.UNAUTHENTICATED);
  t.is(refused?.kind, 'unauthenticated');
  t.regex(refused?.message ?? '', /authentication required: send the metadata `authorization: Bearer <token>`/);
  const stream = await t.throwsAsync(async () => {
    for await (const _ of anonymous.watch('sec-any', 1));
  });
  t.is((stream as ControlError | undefined)?.code, grpc.status.UNAUTHENTICATED, 'a server stream is refused too');
  t.is(await anonymous.checkHealth(), 'SERVING', 'health checks need no token');

  const wrong = client(t, address, { token: randomBytes(24).toString('hex') });
  const rejected = await t.throwsAsync(wrong.listWorkflows(), { instanceOf: ControlError });
  t.is(rejected?.code, grpc.status.UNAUTHENTICATED);
  t.regex(rejected?.message ?? '', /authentication failed: the bearer token is not one this server accepts/);
  t.false(rejected?.message.includes(TOKEN_A) || rejected?.message.includes(TOKEN_B));

  const good = client(t, address, { token: TOKEN_B });
  await good.createWorkflow(definition('sec-token'));
  const { instanceId } = await good.startWorkflow({ workflowId: 'sec-token' });
  let last = '';
  for await (const c of good.watch('sec-token', instanceId)) if (c.stepId === undefined) last = c.status;
  t.is(last, 'SUCCEEDED', 'the watch stream works with the token');
  t.true((await client(t, address, { token: TOKEN_A }).listWorkflows()).some((w) => w.workflowId === 'sec-token'), 'the first token of the file works too');
});

secTest('reflection needs the token; a non-Bearer authorization is refused', async (t) => {
  const address = await serve(t, { auth: { tokens: [TOKEN_A] } });
  const none = await t.throwsAsync(listServicesRaw(address, new grpc.Metadata()));
  t.is((none as grpc.ServiceError | undefined)?.code, grpc.status.UNAUTHENTICATED);
  const basic = new grpc.Metadata();
  basic.set('authorization', `Basic ${Buffer.from(`x:${TOKEN_A}`).toString('base64')}`);
  const notBearer = await t.throwsAsync(listServicesRaw(address, basic));
  t.is((notBearer as grpc.ServiceError | undefined)?.code, grpc.status.UNAUTHENTICATED);
  t.regex((notBearer as grpc.ServiceError | undefined)?.details ?? '', /must be `Bearer <token>`/);
  const bearer = new grpc.Metadata();
  bearer.set('authorization', `bearer ${TOKEN_A}`);
  t.regex(await listServicesRaw(address, bearer), /maestro\.v1\.WorkflowService/, 'the scheme is case-insensitive');
});

secTest('TLS: a client trusting the CA works; a plaintext client and one trusting another CA cannot connect', async (t) => {
  const address = await serve(t, { tls: { certFile: certs.serverCertFile, keyFile: certs.serverKeyFile } });
  t.true(Array.isArray(await client(t, address, { tls: { caFile: certs.caFile } }).listWorkflows()));
  const localhost = address.replace('127.0.0.1', 'localhost');
  t.is(await client(t, localhost, { tls: { caFile: certs.caFile } }).checkHealth(), 'SERVING', 'the DNS name in the SAN verifies too');
  const plain = await t.throwsAsync(client(t, address, { callTimeoutMs: 3_000 }).listWorkflows(), { instanceOf: ControlError });
  t.is(plain?.kind, 'unavailable');
  const untrusted = await t.throwsAsync(client(t, address, { callTimeoutMs: 3_000, tls: { caFile: certs.otherCaFile } }).listWorkflows(), { instanceOf: ControlError });
  t.is(untrusted?.kind, 'unavailable');
});

secTest('mTLS: a client without a certificate is refused in the handshake; one with a certificate the CA signed works', async (t) => {
  const address = await serve(t, { tls: { certFile: certs.serverCertFile, keyFile: certs.serverKeyFile, clientCaFile: certs.caFile } });
  const noCert = await t.throwsAsync(client(t, address, { callTimeoutMs: 3_000, tls: { caFile: certs.caFile } }).listWorkflows(), { instanceOf: ControlError });
  t.is(noCert?.kind, 'unavailable');
  t.is(noCert?.code, grpc.status.UNAVAILABLE);
  const withCert = client(t, address, { tls: { caFile: certs.caFile, certFile: certs.clientCertFile, keyFile: certs.clientKeyFile } });
  t.true(Array.isArray(await withCert.listWorkflows()));
});

secTest('the CLI against `maestro dev` with TLS and a token file: --token-file and the environment work; no token exits 1 saying authentication is required', async (t) => {
  const dev = await startDev(['--tls-cert', certs.serverCertFile, '--tls-key', certs.serverKeyFile, '--auth-token-file', file('tokens')]);
  t.teardown(async () => {
    if ((await dev.stop()) !== 0) dev.kill();
  });
  const server = ['--server', dev.address];

  const pushed = await maestro(['push', file('wf.json'), ...server, '--tls-ca', certs.caFile, '--token-file', file('client-token')]);
  t.is(pushed.code, 0, pushed.stderr);
  t.regex(pushed.stdout, /pushed workflow sec-cli version 1/);

  const viaEnv = await maestro(['start', 'sec-cli', '--wait', ...server], { env: { MAESTRO_TLS_CA: certs.caFile, MAESTRO_TOKEN: TOKEN_A } });
  t.is(viaEnv.code, 0, viaEnv.stderr);
  t.regex(viaEnv.stdout, /SUCCEEDED/);

  const noToken = await maestro(['workflows', ...server, '--tls-ca', certs.caFile]);
  t.is(noToken.code, 1);
  t.regex(noToken.stderr, /requires authentication \(authentication required: .*\); pass --token-file FILE or --token/);

  const plaintext = await maestro(['workflows', ...server, '--token-file', file('client-token')], { timeoutMs: 60_000 });
  t.not(plaintext.code, 0, 'a plaintext client cannot talk to the TLS server');
  t.regex(plaintext.stderr, /cannot reach the maestro server/);

  const noFile = await maestro(['workflows', ...server, '--tls-ca', certs.caFile, '--token-file', file('nope')]);
  t.is(noFile.code, 2);
  t.regex(noFile.stderr, /cannot read the token file .*nope: ENOENT/);
});
