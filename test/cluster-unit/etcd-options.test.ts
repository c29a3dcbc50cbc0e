import test from 'ava';
import { ValidationError } from '../../src/core/errors.js';
import { etcdClusterDefaults } from '../../src/cluster/etcd/index.js';

test('defaults: prefix /maestro/, 2 s lease, silence limit twice the TTL, 5 s call deadline', (t) => {
  const o = etcdClusterDefaults({ endpoints: ['127.0.0.1:2379', 'https://etcd-2:2379/'] });
  t.deepEqual(o.endpoints, ['http://127.0.0.1:2379', 'https://etcd-2:2379']);
  t.is(o.prefix, '/maestro/');
  t.is(o.leaseTtlMs, 2000);
  t.is(o.leaseSilenceLimitMs, 4000);
  t.is(o.callTimeoutMs, 5000);
  t.is(etcdClusterDefaults({ endpoints: ['h:1'], leaseTtlMs: 3000 }).leaseSilenceLimitMs, 6000);
});

test('bad options are rejected naming the option', (t) => {
  const bad: Array<[Parameters<typeof etcdClusterDefaults>[0], string]> = [
    [{ endpoints: [] }, 'etcd.endpoints'],
    [{ endpoints: ['http://host-without-port'] }, 'etcd.endpoints'],
    [{ endpoints: ['h:1'], prefix: 'maestro' }, 'etcd.prefix'],
    [{ endpoints: ['h:1'], leaseTtlMs: 1500 }, 'etcd.leaseTtlMs'],
    [{ endpoints: ['h:1'], leaseTtlMs: 0 }, 'etcd.leaseTtlMs'],
    [{ endpoints: ['h:1'], leaseTtlMs: 2000, leaseSilenceLimitMs: 1000 }, 'etcd.leaseSilenceLimitMs'],
    [{ endpoints: ['h:1'], callTimeoutMs: 0 }, 'etcd.callTimeoutMs'],
  ];
  for (const [opts, path] of bad) {
    const err = t.throws(() => etcdClusterDefaults(opts), { instanceOf: ValidationError });
    t.is(err?.path, path, JSON.stringify(opts));
  }
});

test('TLS: scheme-less endpoints become https, an http:// endpoint is refused; auth needs both fields', (t) => {
  t.deepEqual(etcdClusterDefaults({ endpoints: ['10.0.0.1:2379', 'https://e2:2379'], tls: { caFile: '/ca.pem' } }).endpoints, ['https://10.0.0.1:2379', 'https://e2:2379']);
  const plain = t.throws(() => etcdClusterDefaults({ endpoints: ['http://e1:2379'], tls: {} }), { instanceOf: ValidationError });
  t.regex(plain?.message ?? '', /http:\/\/e1:2379 is plain http but etcd TLS is configured: use https:\/\//);
  t.is(t.throws(() => etcdClusterDefaults({ endpoints: ['h:1'], tls: { certFile: '/c.pem' } }), { instanceOf: ValidationError })?.path, 'etcd.tls');
  t.is(t.throws(() => etcdClusterDefaults({ endpoints: ['h:1'], auth: { username: 'maestro', password: '' } }), { instanceOf: ValidationError })?.path, 'etcd.auth');
  t.like(etcdClusterDefaults({ endpoints: ['h:1'], auth: { username: 'u', password: 'p' } }), { auth: { username: 'u', password: 'p' }, tls: undefined });
});
