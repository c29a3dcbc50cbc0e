import test, { type ImplementationFn } from 'ava';
import { etcdMissingReason } from './etcd-server.js';

/** `test.serial` when etcd is installed; otherwise a skipped test whose title says why. */
export function etcdTest(title: string, fn: ImplementationFn<[]>): void {
  const reason = etcdMissingReason();
  if (reason === undefined) test.serial(title, fn);
  else test.skip(`${title} [skipped: ${reason}]`, fn);
}
