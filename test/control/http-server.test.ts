import test from 'ava';
import { startHttpServer, sendJson } from '../../src/control/http-server.js';
import { recordingLogger } from '../helpers/log.js';
import { startMaestro } from '../cli/helpers.js';

test('routes: exact paths and patterns, 404 for no route, 405 for another method, 500 naming a failed handler', async (t) => {
  const log = recordingLogger();
  const server = await startHttpServer({
    port: 0,
    log,
    routes: [
      { method: 'GET', path: '/a', handle: (_q, res) => sendJson(res, 200, { a: 1 }) },
      { method: 'GET', path: /^\/items\/(\d+)$/, handle: (_q, res, m) => sendJson(res, 200, { id: Number(m![1]) }) },
      { method: 'POST', path: '/boom', handle: () => Promise.reject(new Error('it broke')) },
    ],
  });
  t.teardown(() => server.close());
  const get = (path: string, method = 'GET') => fetch(`${server.url}${path}`, { method });
  t.deepEqual(await (await get('/a')).json(), { a: 1 });
  t.deepEqual(await (await get('/items/42')).json(), { id: 42 });
  t.is((await get('/nothing')).status, 404);
  t.is((await get('/a', 'DELETE')).status, 405);
  const boom = await get('/boom', 'POST');
  t.is(boom.status, 500);
  t.is(await boom.text(), 'it broke');
});

test('maestro dev serves /healthz on its HTTP port and says where', async (t) => {
  const dev = await startMaestro(['dev', '--port', '0'], /web UI and \/metrics on (http:\S+)\)/);
  t.teardown(() => dev.kill());
  const url = dev.ready[1]!;
  const res = await fetch(`${url}/healthz`);
  t.is(res.status, 200);
  t.like(await res.json(), { status: 'SERVING', node: 'embedded' });
});
