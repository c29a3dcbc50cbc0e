import type { ImplementationFn } from 'ava';
import { etcdMissingReason } from './etcd-server.js';
import { testIf } from './skip.js';

/** `test.serial` when etcd is installed; otherwise a skipped test whose title says why. */
export function etcdTest(title: string, fn: ImplementationFn<[]>): void {
  testIf(etcdMissingReason(), { serial: true })(title, fn);
}
