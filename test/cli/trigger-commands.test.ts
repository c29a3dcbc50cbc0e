import test from 'ava';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { maestro, startDev, type DevServer } from './helpers.js';

// `maestro triggers WORKFLOW` against `maestro dev --port 0` (the real embedded node, over gRPC; real clock).

let dev: DevServer;
let dir: string;
let server: string[];
test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'maestro-trig-cli-'));
  await writeFile(
    join(dir, 'yearly.json'),
    JSON.stringify({
      properties: { owner: 'tester' },
      workflow: { id: 'cli-yearly', time_triggers: [{ type: 'PREDEFINED', expression: '@yearly', timezone: 'Asia/Tokyo' }], steps: [{ step: { id: 'job', type: 'NoOp' } }] },
    }),
  );
  dev = await startDev();
  server = ['--server', dev.address];
});
test.after.always(async () => {
  if (dev) {
    const code = await dev.stop();
    if (code !== 0) dev.kill();
  }
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('triggers shows the subscription, next fires and no signal triggers; bad input exits non-zero naming it', async (t) => {
  const push = await maestro(['push', join(dir, 'yearly.json'), ...server]);
  t.is(push.code, 0, push.stderr);
  const r = await maestro(['triggers', 'cli-yearly', '--upcoming', '2', '--sync', ...server]);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /synced: subscribed, 0 started/);
  t.regex(r.stdout, /time triggers: subscribed since /);
  t.regex(r.stdout, /"expression":"@yearly"/);
  // next New Year in Tokyo, then the one after: 15:00 UTC on 31 December
  const y = new Date().getUTCFullYear();
  const next = Date.now() < Date.UTC(y, 11, 31, 15) ? y : y + 1;
  t.regex(r.stdout, new RegExp(`${next}-12-31T15:00:00.000Z ${next + 1}-12-31T15:00:00.000Z`));
  t.regex(r.stdout, /signal triggers: none/);
  const bad = await maestro(['triggers', 'cli-yearly', '--upcoming', 'lots', ...server]);
  t.is(bad.code, 2);
  t.regex(bad.stderr, /--upcoming/);
  const gone = await maestro(['triggers', 'no-such-wf', ...server]);
  t.not(gone.code, 0);
  t.regex(gone.stderr, /no-such-wf/);
});
