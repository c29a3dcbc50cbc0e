import test from 'ava';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../../src/cli/errors.js';
import { clientSecurity, etcdSecurity, grpcServerSecurity, natsSecurity, plaintextTokenWarning } from '../../src/cli/security-options.js';

const TOKEN = '0123456789abcdef0123';

test('client: nothing given means plaintext without a token; flags win over the environment', async (t) => {
  t.deepEqual(clientSecurity({}, {}), {});
  t.deepEqual(clientSecurity({ tls: true }, {}), { tls: {} });
  t.deepEqual(clientSecurity({}, { MAESTRO_TLS: '1' }), { tls: {} });
  t.deepEqual(clientSecurity({ 'tls-ca': '/flag-ca' }, { MAESTRO_TLS_CA: '/env-ca', MAESTRO_TLS_CERT: '/c', MAESTRO_TLS_KEY: '/k' }), {
    tls: { caFile: '/flag-ca', certFile: '/c', keyFile: '/k' },
  });
  t.deepEqual(clientSecurity({ token: TOKEN }, { MAESTRO_TOKEN: 'from-the-environment' }), { token: TOKEN });
  t.deepEqual(clientSecurity({}, { MAESTRO_TOKEN: TOKEN, MAESTRO_SERVER: 'x' }), { token: TOKEN });

  const dir = await mkdtemp(join(tmpdir(), 'maestro-cli-sec-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'token'), `# mine\n${TOKEN}\n`);
  t.deepEqual(clientSecurity({ 'token-file': join(dir, 'token') }, {}), { token: TOKEN });
  t.deepEqual(clientSecurity({}, { MAESTRO_TOKEN_FILE: join(dir, 'token') }), { token: TOKEN });
  t.throws(() => clientSecurity({ token: TOKEN, 'token-file': join(dir, 'token') }, {}), { instanceOf: UsageError, message: /--token or --token-file, not both/ });
  t.throws(() => clientSecurity({}, { MAESTRO_TOKEN: TOKEN, MAESTRO_TOKEN_FILE: join(dir, 'token') }), { instanceOf: UsageError });
});

test('server: TLS needs a certificate and a key; the client CA turns on mTLS; the token file turns on auth', (t) => {
  t.deepEqual(grpcServerSecurity({}, {}), {});
  t.deepEqual(grpcServerSecurity({ 'tls-cert': '/c', 'tls-key': '/k', 'tls-client-ca': '/ca', 'auth-token-file': '/t' }, {}), {
    grpcTls: { certFile: '/c', keyFile: '/k', clientCaFile: '/ca' },
    grpcAuth: { tokenFile: '/t' },
  });
  t.deepEqual(grpcServerSecurity({}, { MAESTRO_GRPC_TLS_CERT: '/c', MAESTRO_GRPC_TLS_KEY: '/k', MAESTRO_AUTH_TOKEN_FILE: '/t' }), {
    grpcTls: { certFile: '/c', keyFile: '/k' },
    grpcAuth: { tokenFile: '/t' },
  });
  t.throws(() => grpcServerSecurity({ 'tls-cert': '/c' }, {}), { instanceOf: UsageError, message: /both --tls-cert and --tls-key/ });
  t.throws(() => grpcServerSecurity({ 'tls-client-ca': '/ca' }, {}), { instanceOf: UsageError });
});

test('a token over plaintext on a non-loopback interface draws a warning', (t) => {
  const auth = { grpcAuth: { tokenFile: '/t' } };
  t.regex(plaintextTokenWarning('0.0.0.0', auth) ?? '', /clients on 0\.0\.0\.0 send them in clear text/);
  for (const host of ['localhost', '127.0.0.1', '::1', undefined]) t.is(plaintextTokenWarning(host, auth), undefined, String(host));
  t.is(plaintextTokenWarning('0.0.0.0', { ...auth, grpcTls: { certFile: '/c', keyFile: '/k' } }), undefined);
  t.is(plaintextTokenWarning('0.0.0.0', {}), undefined);
});

test('NATS and etcd: flags and MAESTRO_NATS_* / MAESTRO_ETCD_* map to the config fields', (t) => {
  t.deepEqual(natsSecurity({}, {}), {});
  t.deepEqual(natsSecurity({ 'nats-user': 'u' }, { MAESTRO_NATS_PASS: 'p', MAESTRO_NATS_TLS_CA: '/ca' }), { natsAuth: { user: 'u', pass: 'p' }, natsTls: { caFile: '/ca' } });
  t.deepEqual(natsSecurity({ 'nats-tls': true, 'nats-nkey-seed': '/seed' }, {}), { natsAuth: { nkeySeedFile: '/seed' }, natsTls: {} });
  t.deepEqual(natsSecurity({}, { MAESTRO_NATS_TOKEN: 't', MAESTRO_NATS_TLS: 'true', MAESTRO_NATS_TLS_CERT: '/c', MAESTRO_NATS_TLS_KEY: '/k' }), {
    natsAuth: { token: 't' },
    natsTls: { certFile: '/c', keyFile: '/k' },
  });
  t.deepEqual(etcdSecurity({}, {}), {});
  t.deepEqual(etcdSecurity({ 'etcd-user': 'maestro', 'etcd-tls-ca': '/ca' }, { MAESTRO_ETCD_PASS: 'p' }), { etcdAuth: { username: 'maestro', password: 'p' }, etcdTls: { caFile: '/ca' } });
  t.throws(() => etcdSecurity({ 'etcd-user': 'maestro' }, {}), { instanceOf: UsageError, message: /both --etcd-user and --etcd-pass/ });
});
