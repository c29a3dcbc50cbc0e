import test from 'ava';
import { MaestroError } from '../../src/core/errors.js';
import { readAtStartup } from '../../src/workflow/startup-read.js';
import { recordingLogger } from '../helpers/log.js';

test('a retryable failure (the store still starting) is retried and logged; then the read goes through', async (t) => {
  const log = recordingLogger();
  let calls = 0;
  const got = await readAtStartup(
    'reading the things',
    async () => {
      if (++calls < 3) throw new MaestroError('unavailable', 'KV list things/: TIMEOUT', { retryable: true });
      return 'ok';
    },
    log,
  );
  t.is(got, 'ok');
  t.is(calls, 3);
  t.is(log.records.filter((r) => r.level === 'warn' && /reading the things failed; retrying/.test(r.message)).length, 2);
});

test('any other failure, or the deadline, fails the startup', async (t) => {
  const log = recordingLogger();
  await t.throwsAsync(readAtStartup('reading', () => Promise.reject(new MaestroError('invalid_argument', 'bad record')), log), { message: /bad record/ });
  const slow = () => Promise.reject(new MaestroError('unavailable', 'TIMEOUT', { retryable: true }));
  await t.throwsAsync(readAtStartup('reading', slow, log, 250));
});
