import test from 'ava';
import { maestro, startDev, type DevServer } from './helpers.js';

// `maestro tag-permit set|get|rm|list` against `maestro dev --port 0` (the real embedded node, over gRPC).

let dev: DevServer;
let server: string[];
test.before(async () => {
  dev = await startDev();
  server = ['--server', dev.address];
});
test.after.always(async () => {
  if (dev) {
    const code = await dev.stop();
    if (code !== 0) dev.kill();
  }
});

test('set, get, list and rm a tag permit; bad input exits non-zero naming it', async (t) => {
  const set = await maestro(['tag-permit', 'set', 'cli-team', '3', ...server]);
  t.is(set.code, 0, set.stderr);
  t.regex(set.stdout, /tag cli-team: max_allowed 3/);
  const get = await maestro(['tag-permit', 'get', 'cli-team', ...server]);
  t.is(get.code, 0, get.stderr);
  t.regex(get.stdout, /TAG\s+MAX_ALLOWED\s+HOLDERS\s+WAITING/);
  t.regex(get.stdout, /cli-team\s+3\s+0\s+0/);
  t.regex((await maestro(['tag-permit', 'list', ...server])).stdout, /cli-team\s+3/);
  const rm = await maestro(['tag-permit', 'rm', 'cli-team', ...server]);
  t.is(rm.code, 0, rm.stderr);
  t.regex(rm.stdout, /limit removed/);
  const again = await maestro(['tag-permit', 'rm', 'cli-team', ...server]);
  t.not(again.code, 0);
  t.regex(again.stderr, /no limit is set/);
  const bad = await maestro(['tag-permit', 'set', 'cli-team', 'lots', ...server]);
  t.is(bad.code, 2);
  t.regex(bad.stderr, /MAX_ALLOWED/);
  const sub = await maestro(['tag-permit', 'frob', ...server]);
  t.is(sub.code, 2);
});
