import test from 'ava';
import { NatsConnectError, redactServer } from '../../src/nats/errors.js';

test('server URLs lose their credentials in messages', (t) => {
  t.is(redactServer('nats://alice:s3cret@10.0.0.1:4222'), 'nats://10.0.0.1:4222');
  t.is(redactServer('tls://tok3n@nats.example:4222'), 'tls://nats.example:4222');
  t.is(redactServer('alice:s3cret@10.0.0.1:4222'), '10.0.0.1:4222');
  t.is(redactServer('nats://10.0.0.1:4222'), 'nats://10.0.0.1:4222');
  const err = new NatsConnectError(['nats://alice:s3cret@h:4222'], Object.assign(new Error("'Authorization Violation'"), { code: 'AUTHORIZATION_VIOLATION' }));
  t.is(err.message, 'cannot connect to NATS at nats://h:4222: the server refused the credentials (Authorization Violation): check the NATS user/password, token or nkey seed');
  t.like(err, { kind: 'unauthenticated', retryable: false, servers: ['nats://h:4222'] });
});

test('a server that is down is retryable; a TLS failure is not', (t) => {
  const down = new NatsConnectError(['nats://h:4222'], Object.assign(new Error('CONNECTION_REFUSED'), { code: 'CONNECTION_REFUSED' }));
  t.like(down, { kind: 'unavailable', retryable: true, message: 'cannot connect to NATS at nats://h:4222: CONNECTION_REFUSED' });
  const tls = new NatsConnectError(['nats://h:4222'], Object.assign(new Error('unable to verify the first certificate'), { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }));
  t.like(tls, { kind: 'unavailable', retryable: false });
  t.regex(tls.message, /TLS failed: unable to verify the first certificate \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\)/);
});
