import test from 'ava';
import { maestro, startDev, type DevServer } from './helpers.js';
import { parseSignalParams } from '../../src/cli/signal-commands.js';

// `maestro signal` / `maestro signals` against `maestro dev --port 0` (the real embedded node, over gRPC).

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

test('k=v is a long for an integer literal, else a string; --param-json keeps a quoted number a string', (t) => {
  t.deepEqual(parseSignalParams(['ds=20240101', 'neg=-3', 'kind=full', 'f=1.5', 'big=99999999999999999999'], ['id="123"', 'n=2.7']), {
    ds: 20240101,
    neg: -3,
    kind: 'full',
    f: '1.5',
    big: '99999999999999999999',
    id: '123',
    n: 2.7,
  });
  t.throws(() => parseSignalParams(['a=1', 'a=2']), { message: /given twice/ });
  t.throws(() => parseSignalParams(['noequals']), { message: /NAME=VALUE/ });
  t.throws(() => parseSignalParams([], ['x=[1]']), { message: /number or string/ });
});

test('announce, duplicate (exit 1 with Maestro\'s message), new request id, list, show one; bad input names the field', async (t) => {
  const sent = await maestro(['signal', 'db/cli/t1', 'ds=20240101', 'kind=full', '--payload', '{"rows":3}', ...server]);
  t.is(sent.code, 0, sent.stderr);
  t.regex(sent.stdout, /announced signal db\/cli\/t1 seq 1 \(instance [0-9a-f-]{36}\)/);
  const dup = await maestro(['signal', 'db/cli/t1', 'kind=full', 'ds=20240101', ...server]);
  t.is(dup.code, 1);
  t.regex(dup.stderr, /Signal instance \[.*"seq_id":1.*\] already exists\. If needed, please set a different request_id to announce it again/);
  const again = await maestro(['signal', 'db/cli/t1', 'ds=20240101', 'kind=full', '--request-id', 'second', '--json', ...server]);
  t.is(again.code, 0, again.stderr);
  t.like(JSON.parse(again.stdout), { name: 'db/cli/t1', seq_id: 2, instance_id: 'second', params: { ds: 20240101, kind: 'full' } });
  await maestro(['signal', 'db/cli/t1', '--param-json', 'ds="20240101"', ...server]);

  const list = await maestro(['signals', 'db/cli/t1', ...server]);
  t.is(list.code, 0, list.stderr);
  t.regex(list.stdout, /SEQ\s+INSTANCE_ID\s+PARAMS\s+CREATED/);
  t.regex(list.stdout, /\n3\s+\S+\s+\{"ds":"20240101"\}/);
  const after = await maestro(['signals', 'db/cli/t1', '--after', '1', '--limit', '1', '--json', ...server]);
  t.deepEqual((JSON.parse(after.stdout) as Array<{ seq_id: number }>).map((s) => s.seq_id), [2]);
  const one = await maestro(['signals', 'db/cli/t1', '--seq', '1', ...server]);
  t.regex(one.stdout, /payload: \{"rows":3\}/);
  const latest = await maestro(['signals', 'db/cli/t1', '--seq', 'latest', '--json', ...server]);
  t.is(JSON.parse(latest.stdout).seq_id, 3);
  const missing = await maestro(['signals', 'db/cli/none', '--seq', 'latest', ...server]);
  t.not(missing.code, 0);
  t.regex(missing.stderr, /has no instance/);

  const badName = await maestro(['signal', 'bad>name', ...server]);
  t.is(badName.code, 2, 'INVALID_ARGUMENT is a usage error');
  t.regex(badName.stderr, /name: signal name 'bad>name' may only contain/);
  const help = await maestro(['--help']);
  t.regex(help.stdout, /^  signal /m);
  t.regex(help.stdout, /^  signals /m);
  const badPayload = await maestro(['signal', 'ok', '--payload', '[1]', ...server]);
  t.is(badPayload.code, 2);
  t.regex(badPayload.stderr, /--payload/);
});
