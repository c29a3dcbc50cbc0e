/**
 * The newcomer's friction list (issue 13): the `maestro` executable against a real embedded node's
 * gRPC server in this process. --version, "did you mean", EPIPE, the hint after the error, no
 * dangling "Resolution note", size limits named, delete / diff / offline validate, Shell named.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startHarness, startNode, closeNode, type Harness } from '../control/harness.js';
import { startGrpcServer } from '../../src/control/server.js';
import { maestro, ROOT } from './helpers.js';

const run = promisify(execFile);
/** The real executable, with room for a loaded machine (each call starts node + tsx). */
const cli = (args: string[], opts: { env?: Record<string, string> } = {}) => maestro(args, { timeoutMs: 120_000, ...opts });
let h: Harness;
let dir: string;
let server: string[];
const file = (name: string): string => join(dir, name);
const wf = (id: string, steps: unknown[], params?: Record<string, unknown>) =>
  JSON.stringify({ properties: { owner: 'tester' }, workflow: { id, ...(params ? { params } : {}), steps } });

test.before(async () => {
  h = await startHarness();
  server = ['--server', h.address];
  dir = await mkdtemp(join(tmpdir(), 'maestro-friction-'));
});
test.after.always(async () => {
  await h?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test.serial('--version and -V print the version in package.json', async (t) => {
  const { version } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  for (const flag of ['--version', '-V']) {
    const r = await cli([flag]);
    t.is(r.code, 0, r.stderr);
    t.is(r.stdout, `maestro ${version}\n`);
  }
});

test.serial('a mistyped command gets "did you mean"', async (t) => {
  const r = await cli(['pussh', 'x.json']);
  t.is(r.code, 2);
  t.regex(r.stderr, /unknown command "pussh"; did you mean push\?/);
});

test.serial('a mistyped workflow id gets "did you mean" with the closest stored ids', async (t) => {
  await writeFile(file('typo.json'), wf('friction-typo-target', [{ step: { id: 'a', type: 'NoOp' } }]));
  t.is((await cli(['push', file('typo.json'), ...server])).code, 0);
  const def = await cli(['definition', 'friction-typo-targte', ...server]);
  t.is(def.code, 1);
  t.regex(def.stderr, /workflow friction-typo-targte not found; did you mean friction-typo-target\?/);
  const start = await cli(['start', 'frictoin-typo-target', ...server]);
  t.regex(start.stderr, /did you mean friction-typo-target\?/);
  const far = await cli(['definition', 'zzzzzzzzzzzzzzzzzz', ...server]);
  t.notRegex(far.stderr, /did you mean/, 'nothing close: no suggestion');
});

test.serial('the unreachable-server message has no dangling "Resolution note"', async (t) => {
  const r = await cli(['workflows', '--server', '127.0.0.1:1']);
  t.is(r.code, 1);
  t.regex(r.stderr, /cannot reach the maestro server at 127\.0\.0\.1:1/);
  t.notRegex(r.stderr, /Resolution note/);
});

test.serial('`maestro … | true` (the reader gone before the output) exits 0 without an EPIPE stack trace', async (t) => {
  // `true` exits at once without reading: every line `run` prints while the run goes on meets a
  // closed pipe (without the fix: an uncaught EPIPE, a stack trace, exit 1).
  const r = await run('bash', ['-c', 'set -o pipefail; node bin/maestro.js run examples/conditional-branch.json | true; echo "exit $?" >&2'], {
    cwd: ROOT,
    env: { ...process.env, MAESTRO_SERVER: '' },
    timeout: 120_000,
  });
  t.regex(r.stderr, /exit 0/);
  t.notRegex(r.stderr, /EPIPE|Error/);
});

test.serial('run without --shell: the error naming --shell first, then the hint', async (t) => {
  const r = await cli(['run', 'examples/etl-pipeline.json']);
  t.is(r.code, 2);
  const lines = r.stderr.trim().split('\n');
  t.regex(lines[0]!, /^error \(invalid\): workflow\.steps\[0\]\.step\.type: no runtime for step type Shell .*--shell/);
  t.is(lines[1], 'hint: Shell steps run only with --shell');
});

test.serial('push of a Shell workflow to a node without Shell names --shell', async (t) => {
  const r = await cli(['push', 'examples/etl-pipeline.json', ...server]);
  t.is(r.code, 2);
  t.regex(r.stderr, /no runtime for step type Shell in this deployment; Shell steps run only on nodes started with --shell/);
});

test.serial('a 5 MB push to a server with a 4 MiB limit is refused naming the sizes and the limit; above the client limit it is not sent', async (t) => {
  const { node, holds } = await startNode();
  const small = await startGrpcServer(node.api, { host: '127.0.0.1', port: 0, maxMessageBytes: 4 * 1024 * 1024 });
  try {
    const big = wf('friction-big', [{ step: { id: 'a', type: 'NoOp', description: 'x'.repeat(5_243_000) } }]);
    await writeFile(file('big.json'), big);
    const r = await cli(['push', file('big.json'), '--server', `127.0.0.1:${small.port}`]);
    t.is(r.code, 2, r.stderr);
    t.regex(r.stderr, /^error \(invalid\): the message is 5\.2 MB; the limit is 4 MiB per gRPC message \(grpcMaxMessageBytes on the server/);
    t.notRegex(r.stderr, /internal/);
    // The default limits (16 MiB) take it: the server's own checks answer (here: a description too long, naming the field).
    const atDefault = await cli(['push', file('big.json'), ...server]);
    t.notRegex(atDefault.stderr, /gRPC message/, atDefault.stderr);
    t.regex(atDefault.stderr, /workflow\.steps\[0\]\.step\.description/, atDefault.stderr);
    // Over the client's own limit: refused before sending.
    await writeFile(file('huge.json'), wf('friction-huge', [{ step: { id: 'a', type: 'NoOp', description: 'x'.repeat(17 * 1024 * 1024) } }]));
    const huge = await cli(['push', file('huge.json'), ...server]);
    t.is(huge.code, 2);
    t.regex(huge.stderr, /definition: is 17\.8 MB; the limit is 16 MiB per gRPC message/);
  } finally {
    await small.close();
    await closeNode(node, holds);
  }
});

test.serial('delete, and diff of two versions', async (t) => {
  await writeFile(file('d1.json'), wf('friction-diff', [{ step: { id: 'a', type: 'NoOp' } }]));
  await writeFile(file('d2.json'), wf('friction-diff', [{ step: { id: 'a', type: 'NoOp', transition: { successors: { b: 'true' } } } }, { step: { id: 'b', type: 'Sleep' } }]));
  t.is((await cli(['push', file('d1.json'), ...server])).code, 0);
  t.is((await cli(['push', file('d2.json'), ...server])).code, 0);
  const diff = await cli(['diff', 'friction-diff', '1', '2', ...server]);
  t.is(diff.code, 0, diff.stderr);
  const out = diff.stdout.split('\n');
  t.is(out[0], '--- friction-diff version 1');
  t.is(out[1], '+++ friction-diff version 2');
  t.regex(out[2]!, /^@@ -\d+,\d+ \+\d+,\d+ @@$/);
  t.true(out.some((l) => /^\+\s+"id": "b",?$/.test(l)), diff.stdout);
  t.true(out.some((l) => /^\+\s+"type": "Sleep",?$/.test(l)), diff.stdout);
  t.false(out.some((l) => l.startsWith('-') && !l.startsWith('---') && /"id": "a"/.test(l)), 'unchanged lines are context');
  const same = await cli(['diff', 'friction-diff', '2', '2', ...server]);
  t.regex(same.stdout, /versions 2 and 2 of workflow friction-diff have the same definition/);
  const missing = await cli(['diff', 'friction-diff', '1', '9', ...server]);
  t.is(missing.code, 1);
  t.regex(missing.stderr, /workflow friction-diff has no version 9/);

  const del = await cli(['delete', 'friction-diff', ...server]);
  t.is(del.code, 0, del.stderr);
  t.regex(del.stdout, /deleted workflow friction-diff/);
  const gone = await cli(['definition', 'friction-diff', ...server]);
  t.is(gone.code, 1);
  t.regex(gone.stderr, /not found/);
});

test.serial('validate works offline: no server needed; bad fields and bad SEL named; --server also asks the server', async (t) => {
  const offline = { env: { MAESTRO_SERVER: '127.0.0.1:1' } };
  await writeFile(file('v-ok.json'), wf('friction-v', [{ step: { id: 'a', type: 'MadeUpType', params: { n: { expression: '1 + 2', type: 'LONG' } } } }]));
  const ok = await cli(['validate', file('v-ok.json')], offline);
  t.is(ok.code, 0, ok.stderr);
  t.regex(ok.stdout, /valid: workflow friction-v, 1 top-level step \(a\); checked offline \(step types MadeUpType not checked: pass --server/);
  await writeFile(file('v-sel.json'), wf('friction-v', [{ step: { id: 'a', type: 'NoOp', params: { n: { expression: '1 +* 2', type: 'LONG' } } } }]));
  const sel = await cli(['validate', file('v-sel.json')], offline);
  t.is(sel.code, 2);
  t.regex(sel.stderr, /workflow\.steps\[0\]\.step\.params\.n.*invalid SEL expression/);
  await writeFile(file('v-bad.json'), wf('friction-v', [{ step: { id: 'a' } }]));
  const bad = await cli(['validate', file('v-bad.json')], offline);
  t.is(bad.code, 2);
  t.regex(bad.stderr, /workflow\.steps\[0\]\.step\.type: is required/);
  const remote = await cli(['validate', file('v-ok.json'), ...server]);
  t.is(remote.code, 2, 'the server knows no MadeUpType');
  t.regex(remote.stderr, /no runtime for step type MadeUpType/);
});

test.serial('start warns about undeclared params, and about a reused --request-id with other params (naming both)', async (t) => {
  await writeFile(
    file('p.json'),
    wf('friction-params', [{ step: { id: 'a', type: 'NoOp' } }], { region: { value: 'us', type: 'STRING' }, n: { value: 1, type: 'LONG' } }),
  );
  t.is((await cli(['push', file('p.json'), ...server])).code, 0);
  const first = await cli(['start', 'friction-params', '--param', 'region=eu', '--param', 'n=5', '--request-id', 'rq-1', ...server]);
  t.is(first.code, 0, first.stderr);
  t.is(first.stderr, '', 'declared params, a new request id: nothing to warn about');
  const id = /instance (\d+)/.exec(first.stdout)![1]!;

  const again = await cli(['start', 'friction-params', '--param', 'region=ap', '--param', 'n=5', '--request-id', 'rq-1', ...server]);
  t.is(again.code, 0, again.stderr);
  t.regex(again.stdout, new RegExp(`instance ${id} `), 'the dedup returned the first instance');
  t.regex(again.stderr, new RegExp(`warning: request id rq-1 is instance ${id}, which runs with other params: region \\(given "ap", instance has "eu"\\);`));
  t.notRegex(again.stderr, /\bn \(given/, 'n is the same');

  const typo = await cli(['start', 'friction-params', '--param', 'regoin=eu', '--param-json', 'extra=[1]', ...server]);
  t.is(typo.code, 0, typo.stderr);
  t.regex(typo.stderr, /warning: workflow friction-params version 1 declares no params regoin, extra; given anyway/);
});

test.serial('run warns about undeclared params', async (t) => {
  const r = await cli(['run', 'examples/conditional-branch.json', '--param', 'no_such_param=1']);
  t.regex(r.stderr, /warning: workflow \S+ version 1 declares no param no_such_param; given anyway/);
});

test.serial('deactivate: no version active, a start must name one; activate undoes it', async (t) => {
  await writeFile(file('de.json'), wf('friction-deact', [{ step: { id: 'a', type: 'NoOp' } }]));
  t.is((await cli(['push', file('de.json'), ...server])).code, 0);
  const off = await cli(['deactivate', 'friction-deact', ...server]);
  t.is(off.code, 0, off.stderr);
  t.regex(off.stdout, /deactivated workflow friction-deact \(version 1 was active\)/);
  t.is((await h.client.getWorkflow('friction-deact')).activeVersion, 0);
  const start = await cli(['start', 'friction-deact', ...server]);
  t.is(start.code, 1);
  t.regex(start.stderr, /failed precondition.*has no active version/);
  const named = await cli(['start', 'friction-deact', '--version', '1', ...server]);
  t.is(named.code, 0, named.stderr);
  const again = await cli(['deactivate', 'friction-deact', ...server]);
  t.regex(again.stdout, /had no active version; nothing changed/);
  t.is((await cli(['activate', 'friction-deact', '1', ...server])).code, 0);
  t.is((await cli(['start', 'friction-deact', ...server])).code, 0);
});
