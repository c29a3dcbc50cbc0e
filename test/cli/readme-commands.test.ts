/**
 * "Every command in the README works as written": the Quickstart block and the `maestro dev`
 * block of README.md, line by line, each exiting 0. The dev server is the block's first line with
 * the test's own port (--port 0) and a temp data dir; the other lines reach it through
 * MAESTRO_SERVER (their default server), exactly as written. (The cluster block is run by
 * test/integration/readme-cluster.test.ts.)
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { readmeBlock } from '../helpers/readme.js';
import { ROOT, startMaestro } from './helpers.js';

const run = promisify(execFile);

async function sh(line: string, env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run('bash', ['-c', `set -o pipefail\n${line}`], { cwd: ROOT, env: { ...process.env, MAESTRO_SERVER: '', ...env }, timeout: 90_000, maxBuffer: 16 << 20 });
    return { code: 0, ...r };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? String(err) };
  }
}

// Each block runs a dozen CLI processes (a tsx start each): under the full suite on 2 cores one
// block took 2 minutes, ava's default limit, while each command was well within its own timeout.
test.serial('README Quickstart: every command exits 0', async (t) => {
  t.timeout(5 * 60_000);
  const lines = readmeBlock('Quickstart', 0);
  t.true(lines.length >= 5, lines.join('\n'));
  for (const line of lines) {
    const r = await sh(line, {});
    t.is(r.code, 0, `${line}\n${r.stderr}`);
  }
});

test.serial('README dev block: `maestro dev`, then every client command as written exits 0', async (t) => {
  t.timeout(5 * 60_000);
  const lines = readmeBlock('Quickstart', 1);
  const [dev, ...rest] = lines;
  t.regex(dev!, /^npx maestro dev --port 50051 --data-dir \.data\/dev --shell$/);
  const dir = await mkdtemp(join(tmpdir(), 'maestro-readme-dev-'));
  const args = dev!.replace(/^npx maestro /, '').replace('--port 50051', '--port 0 --host 127.0.0.1').replace('.data/dev', join(dir, 'dev')).split(' ');
  const server = await startMaestro(args, /listening on (\S+)/);
  try {
    const env = { MAESTRO_SERVER: server.ready[1]! };
    for (const line of rest) {
      const r = await sh(line, env);
      t.is(r.code, 0, `${line}\n${r.stdout}\n${r.stderr}`);
      if (line.includes('diff daily-etl 1 2')) t.regex(r.stdout, /have the same definition/);
      if (line.includes('--version 2 --watch')) t.regex(r.stdout, /SUCCEEDED/);
    }
    t.true(rest.some((l) => l.startsWith('npx maestro delete ')), 'the block cleans up after itself');
  } finally {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
