import http from 'node:http';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import { ExecutorConfigError } from '../../src/executor/errors.js';
import { defaultExecutorOptions } from '../../src/executor/options.js';
import { HttpAllowList } from '../../src/executor/runtimes/http-allow-list.js';
import { HttpRuntime } from '../../src/executor/runtimes/http.js';
import { makeTask, never } from './task-fixture.js';

let base = '';
let server: http.Server;
const MB = 1024 * 1024;

test.before(async () => {
  server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      switch (url.pathname) {
        case '/ok':
          res.end('hello');
          return;
        case '/echo':
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify({ method: req.method, header: req.headers['x-test'], auth: req.headers['authorization'], body }));
          return;
        case '/missing':
          res.statusCode = 404;
          res.end('no such thing');
          return;
        case '/boom':
          res.statusCode = 503;
          res.end('try later');
          return;
        case '/big': // declared length over the cap
          res.setHeader('content-length', String(MB + 10));
          res.end(Buffer.alloc(MB + 10, 97));
          return;
        case '/big-chunked': // no content-length: the cap must stop the read
          res.write(Buffer.alloc(MB / 2, 97));
          res.write(Buffer.alloc(MB / 2, 97));
          res.end(Buffer.alloc(1024, 97));
          return;
        case '/just-under':
          res.end(Buffer.alloc(MB, 98));
          return;
        case '/redirect':
          res.statusCode = 302;
          res.setHeader('location', '/echo');
          res.end();
          return;
        case '/redirect-away':
          res.statusCode = 302;
          res.setHeader('location', 'http://blocked.invalid/secret');
          res.end();
          return;
        case '/loop':
          res.statusCode = 307;
          res.setHeader('location', '/loop');
          res.end();
          return;
        case '/slow':
          setTimeout(() => res.end('late'), 2_000).unref();
          return;
        default:
          res.statusCode = 500;
          res.end('unknown route');
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

test.after.always(() => {
  server.closeAllConnections();
  server.close();
});

function runtime(over: Partial<ReturnType<typeof defaultExecutorOptions>> = {}): HttpRuntime {
  return new HttpRuntime({ ...defaultExecutorOptions(), httpAllowList: ['127.0.0.1'], ...over });
}

function httpTask(http: Record<string, unknown>) {
  return makeTask({ stepType: 'Http', params: { http } });
}

test('2xx succeeds with status_code and body outputs', async (t) => {
  const r = await runtime().run(httpTask({ url: `${base}/ok` }), never());
  t.is(r.status, 'SUCCEEDED');
  t.deepEqual(r.outputs, { status_code: 200, body: 'hello', response_body: 'hello' });
});

test('method, headers and body are sent as given', async (t) => {
  const r = await runtime().run(
    httpTask({ url: `${base}/echo`, method: 'post', headers: { 'x-test': 'yes' }, body: 'payload' }),
    never(),
  );
  t.is(r.status, 'SUCCEEDED');
  t.deepEqual(JSON.parse(String(r.outputs?.['body'])), { method: 'POST', header: 'yes', body: 'payload' });
});

test('4xx fails fatally, 5xx fails as a retryable platform failure', async (t) => {
  const missing = await runtime().run(httpTask({ url: `${base}/missing` }), never());
  t.is(missing.status, 'FATALLY_FAILED');
  t.is(missing.details?.['status_code'], 404);
  t.regex(missing.error ?? '', /404: no such thing/);
  const boom = await runtime().run(httpTask({ url: `${base}/boom` }), never());
  t.is(boom.status, 'PLATFORM_FAILED');
  t.is(boom.details?.['status_code'], 503);
});

test('network errors and timeouts are retryable platform failures', async (t) => {
  const closed = http.createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const port = (closed.address() as AddressInfo).port;
  await new Promise((r) => closed.close(r));
  const refused = await runtime().run(httpTask({ url: `http://127.0.0.1:${port}/` }), never());
  t.is(refused.status, 'PLATFORM_FAILED');
  t.regex(refused.error ?? '', /failed/);
  const slow = await runtime({ httpTimeoutMs: 100 }).run(httpTask({ url: `${base}/slow` }), never());
  t.is(slow.status, 'PLATFORM_FAILED');
  t.regex(slow.error ?? '', /timed out after 100 ms.*httpTimeoutMs/);
});

test('an aborted request ends promptly', async (t) => {
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 30);
  const before = Date.now();
  const r = await runtime().run(httpTask({ url: `${base}/slow` }), ac.signal);
  t.is(r.status, 'PLATFORM_FAILED');
  t.regex(r.error ?? '', /cancelled/);
  t.true(Date.now() - before < 1_000);
});

test('an empty allow-list blocks everything and says how to allow', async (t) => {
  const r = await runtime({ httpAllowList: [] }).run(httpTask({ url: `${base}/ok` }), never());
  t.is(r.status, 'FATALLY_FAILED');
  t.regex(r.error ?? '', /httpAllowList is empty.*add a URL prefix/);
});

test('a URL outside the allow-list is blocked, also when reached by a redirect', async (t) => {
  const other = await runtime({ httpAllowList: [`${base}/echo`] }).run(httpTask({ url: `${base}/ok` }), never());
  t.is(other.status, 'FATALLY_FAILED');
  t.regex(other.error ?? '', /not in the executor's httpAllowList/);
  const away = await runtime().run(httpTask({ url: `${base}/redirect-away` }), never());
  t.is(away.status, 'FATALLY_FAILED');
  t.regex(away.error ?? '', /blocked\.invalid/);
});

test('redirects inside the allow-list are followed, bounded', async (t) => {
  const r = await runtime().run(
    httpTask({ url: `${base}/redirect`, method: 'POST', body: 'x', headers: { authorization: 'token' } }),
    never(),
  );
  t.is(r.status, 'SUCCEEDED');
  t.like(JSON.parse(String(r.outputs?.['body'])), { method: 'GET', body: '', auth: 'token' });
  const loop = await runtime({ httpMaxRedirects: 3 }).run(httpTask({ url: `${base}/loop` }), never());
  t.is(loop.status, 'FATALLY_FAILED');
  t.regex(loop.error ?? '', /more than 3 redirects/);
});

test('a response body over 1 MB fails the step; 1 MB exactly is fine', async (t) => {
  for (const path of ['/big', '/big-chunked']) {
    const r = await runtime().run(httpTask({ url: `${base}${path}` }), never());
    t.is(r.status, 'FATALLY_FAILED', path);
    t.regex(r.error ?? '', /exceeds 1048576 bytes.*httpMaxResponseBytes/);
  }
  const ok = await runtime({ maxOutputBytes: 100 }).run(httpTask({ url: `${base}/just-under` }), never());
  t.is(ok.status, 'SUCCEEDED');
  t.is(ok.outputs?.['body'], 'b'.repeat(100), 'the body output is cut to maxOutputBytes');
});

test('a malformed http param fails fatally, naming the field', async (t) => {
  const cases: [unknown, RegExp][] = [
    [undefined, /param http/],
    ['http://x', /param http must be a map/],
    [{ method: 'GET' }, /http\.url/],
    [{ url: `${base}/ok`, headers: { a: 1 } }, /http\.headers\.a must be a string/],
    [{ url: `${base}/ok`, body: { a: 1 } }, /http\.body must be a string/],
    [{ url: `${base}/ok`, method: 'GET', body: 'x' }, /http\.body is not allowed with method GET/],
    [{ url: `${base}/ok`, method: 'G E T' }, /http\.method/],
  ];
  for (const [param, re] of cases) {
    const r = await runtime().run(makeTask({ params: param === undefined ? {} : { http: param } }), never());
    t.is(r.status, 'FATALLY_FAILED');
    t.regex(r.error ?? '', re);
  }
});

test('allow-list entries: URL prefixes match origin and path, host patterns match hosts', (t) => {
  const list = new HttpAllowList(['https://api.example.com/v1/', 'svc.local:8080', '*.corp.net', 'plain.org']);
  const ok = (u: string) => list.check(u).allowed;
  t.true(ok('https://api.example.com/v1/jobs?x=1'));
  t.false(ok('https://api.example.com/v2/jobs'));
  t.false(ok('http://api.example.com/v1/jobs'), 'scheme is part of the origin');
  t.false(ok('https://api.example.com.evil.org/v1/'), 'a prefix does not match a longer host');
  t.true(ok('http://svc.local:8080/a'));
  t.false(ok('http://svc.local:8081/a'));
  t.true(ok('https://a.b.corp.net/'));
  t.false(ok('https://corp.net/'), 'a wildcard does not match the apex');
  t.false(ok('https://evilcorp.net/'));
  t.true(ok('https://plain.org:444/x'));
  t.false(ok('file:///etc/passwd'));
  t.false(ok('not a url'));
  t.true(new HttpAllowList(['*']).check('http://anything.example/').allowed);
  t.throws(() => new HttpAllowList(['http://[bad']), { instanceOf: ExecutorConfigError });
});
