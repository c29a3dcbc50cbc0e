/**
 * Step actions and breakpoints through the real CLI against `maestro dev`: breakpoint add/list,
 * a paused step in `get`, paused, resume, stop --step, restart --from-step (a new run, with the
 * aggregated view in `get`), breakpoint rm --resume, and a refused action's message.
 */
import test from 'ava';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { maestro, startDev } from './helpers.js';

const flow = {
  properties: { owner: 'tester', run_strategy: 'parallel' },
  workflow: {
    id: 'cli-steps',
    steps: [
      { step: { id: 'gate', type: 'NoOp', transition: { successors: { nap: 'true' } } } },
      { step: { id: 'nap', type: 'Sleep', params: { sleep_seconds: { value: 600, type: 'LONG' } }, transition: { successors: {} } } },
    ],
  },
};

test('breakpoint, paused, resume, stop --step, restart --from-step and breakpoint rm --resume through the CLI', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'maestro-cli-steps-'));
  const dev = await startDev();
  t.teardown(async () => {
    dev.kill();
    await rm(dir, { recursive: true, force: true });
  });
  const env = { MAESTRO_SERVER: dev.address };
  const file = join(dir, 'flow.json');
  await writeFile(file, JSON.stringify(flow));
  const ok = async (args: string[]) => {
    const r = await maestro(args, { env });
    t.is(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  await ok(['push', file]);
  t.regex(await ok(['breakpoint', 'add', 'cli-steps', 'gate']), /breakpoint added on step gate/);
  t.regex(await ok(['breakpoint', 'list', 'cli-steps', 'gate']), /cli-steps\s+gate/);
  await ok(['start', 'cli-steps']);
  t.regex(await ok(['get', 'cli-steps', '1']), /gate\s+.*PAUSED/);
  t.regex(await ok(['paused', 'cli-steps', 'gate']), /cli-steps\s+1\s+1\s+gate\s+1/);
  const refused = await maestro(['bypass', 'cli-steps', '1', 'gate'], { env });
  t.not(refused.code, 0);
  t.regex(refused.stderr, /it is PAUSED; allowed there: RESUME, STOP, KILL, SKIP/);
  t.regex(await ok(['resume', 'cli-steps', '1', 'gate', '--attempt', '1']), /step gate: (SUCCEEDED|RUNNING|WAITING_FOR_PERMITS|STARTING)/);
  await ok(['start', 'cli-steps']); // instance 2 pauses too
  t.regex(await ok(['stop', 'cli-steps', '1', '--step', 'nap']), /step nap: STOPPED/);
  t.regex(await ok(['get', 'cli-steps', '1']), /STOPPED/);
  t.regex(await ok(['restart', 'cli-steps', '1', '--from-step', 'nap']), /restarted step nap .*: run 2, step (RUNNING|WAITING_FOR_PERMITS|STARTING)/);
  const got = await ok(['get', 'cli-steps', '1']);
  t.regex(got, /aggregated over runs: IN_PROGRESS/);
  t.regex(got, /gate\s+1\s+SUCCEEDED/);
  t.regex(got, /nap\s+2\s+(RUNNING|WAITING_FOR_PERMITS)/);
  t.regex(await ok(['breakpoint', 'rm', 'cli-steps', 'gate', '--resume']), /resumed 1 paused attempt/);
  t.regex(await ok(['paused', 'cli-steps', 'gate']), /no paused attempts/);
  t.regex(await ok(['breakpoint', 'list', 'cli-steps', 'gate']), /no breakpoints/);
});
