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
