import test from 'ava';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ValidationError } from '../../src/core/errors.js';
import { isUnauthenticatedPath, loadTokens, parseTokens, readClientToken, TokenVerifier } from '../../src/control/auth.js';
import { CredentialFileError } from '../../src/storage/errors.js';

const A = 'a'.repeat(16);
const B = '0123456789abcdef0123456789abcdef';

test('token files: one token per line, comments and blank lines skipped, whitespace trimmed', (t) => {
  t.deepEqual(parseTokens(`# ops tokens\n\n  ${A}  \r\n${B}\n# ${'c'.repeat(20)}\n`, 'tokens'), [A, B]);
  t.deepEqual(parseTokens('', 'tokens'), []);
});

test('a short token or one with inner whitespace is refused naming the line, never echoing it', (t) => {
  const short = t.throws(() => parseTokens(`${A}\nshort-secret\n`, 'f'), { instanceOf: ValidationError });
  t.is(short?.path, 'f line 2');
  t.regex(short?.message ?? '', /at least 16 characters \(got 12\); make one with `openssl rand -hex 32`/);
  t.false(short?.message.includes('short-secret'));
  t.throws(() => loadTokens({ tokens: [`${A} ${B}`] }), { message: /grpcAuth\.tokens\[0\]: a token must not contain whitespace/ });
});

test('loadTokens joins the list and the file; nothing at all, an unreadable file or an empty one is an error', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'maestro-auth-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'tokens'), `${B}\n`);
  await writeFile(join(dir, 'comments'), '# nothing here\n');
  t.deepEqual(loadTokens({ tokens: [A], tokenFile: join(dir, 'tokens') }), [A, B]);
  t.throws(() => loadTokens({}), { instanceOf: ValidationError, message: /no tokens given/ });
  t.throws(() => loadTokens({ tokenFile: join(dir, 'comments') }), { instanceOf: ValidationError, message: /no tokens given/ });
  t.throws(() => loadTokens({ tokenFile: join(dir, 'missing') }), { instanceOf: CredentialFileError, message: /cannot read the gRPC token file .*missing: ENOENT/ });
  t.is(readClientToken(join(dir, 'tokens')), B);
  t.throws(() => readClientToken(join(dir, 'comments')), { message: /holds no token/ });
});

test('the verifier accepts exactly the listed tokens after a case-insensitive Bearer', (t) => {
  const v = new TokenVerifier([A, B]);
  t.is(v.check(`Bearer ${A}`), 'ok');
  t.is(v.check(`bearer ${B}`), 'ok');
  t.is(v.check(`BEARER  ${B} `), 'ok');
  t.is(v.check(undefined), 'missing');
  t.is(v.check('  '), 'missing');
  t.is(v.check(A), 'not_bearer');
  t.is(v.check(`Basic ${A}`), 'not_bearer');
  t.is(v.check(`Bearer ${A}x`), 'rejected');
  t.is(v.check(`Bearer ${A.slice(1)}`), 'rejected');
  t.is(v.check(`Bearer ${B.toUpperCase()}`), 'rejected', 'tokens are case-sensitive');
  t.throws(() => new TokenVerifier([]), { instanceOf: ValidationError });
});

test('only the health service is served without a token', (t) => {
  t.true(isUnauthenticatedPath('/grpc.health.v1.Health/Check'));
  t.true(isUnauthenticatedPath('/grpc.health.v1.Health/Watch'));
  t.false(isUnauthenticatedPath('/grpc.reflection.v1.ServerReflection/ServerReflectionInfo'));
  t.false(isUnauthenticatedPath('/maestro.v1.WorkflowService/ListWorkflows'));
  t.false(isUnauthenticatedPath('/grpc.health.v1.HealthX/Check'));
});
