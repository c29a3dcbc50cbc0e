/**
 * Imports flow one way (README, "Architecture"): core <- actor <- transport/journal/store/cluster
 * <- workflow/executor <- control <- node <- cli. This reads every import in src/ and fails on
 * one that points the wrong way, or on a concrete adapter imported outside src/node.
 */
import test from 'ava';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, dirname, resolve } from 'node:path';

const SRC = resolve('src');
const LAYER: Record<string, number> = {
  core: 0,
  expr: 1,
  actor: 1,
  protocol: 1,
  storage: 1,
  nats: 1,
  log: 1,
  retry: 1,
  transport: 2,
  journal: 2,
  store: 2,
  cluster: 2,
  workflow: 3,
  executor: 3,
  control: 4,
  node: 5,
  cli: 6,
  gen: 3,
};
// Modules that may import each other within one layer (the workflow/executor message contract).
// log and retry sit on layer 1 so that everything above core may use them, nats (NATS connection plumbing) included.
const SAME_LAYER_OK = new Set(['workflow>executor', 'executor>workflow', 'journal>transport', 'store>transport', 'store>journal', 'nats>log', 'nats>retry']);
const ADAPTERS = /\/(memory|file|nats|jetstream|etcd)\//;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const moduleOf = (file: string) => relative(SRC, file).split('/')[0]!;

test('imports in src/ flow one way and only src/node wires concrete adapters', (t) => {
  const bad: string[] = [];
  for (const file of files(SRC)) {
    const from = moduleOf(file);
    if (from === 'gen') continue;
    for (const m of readFileSync(file, 'utf8').matchAll(/^import[^'"]*['"](\.[^'"]+)['"]/gm)) {
      const target = resolve(dirname(file), m[1]!);
      const to = moduleOf(target);
      if (to === from) continue;
      const rel = relative(SRC, file);
      if (LAYER[to]! > LAYER[from]!) bad.push(`${rel} imports ${to} (higher layer)`);
      else if (LAYER[to] === LAYER[from] && !SAME_LAYER_OK.has(`${from}>${to}`)) bad.push(`${rel} imports ${to} (same layer)`);
      if (from !== 'node' && from !== 'cli' && ADAPTERS.test(relative(SRC, target) + '/') && to !== from && !ADAPTERS.test(rel)) {
        bad.push(`${rel} imports the adapter ${relative(SRC, target)}`);
      }
    }
  }
  t.deepEqual(bad, []);
});

test('core imports nothing outside core', (t) => {
  const bad: string[] = [];
  for (const file of files(join(SRC, 'core'))) {
    for (const m of readFileSync(file, 'utf8').matchAll(/^import[^'"]*['"](\.[^'"]+)['"]/gm)) {
      const to = moduleOf(resolve(dirname(file), m[1]!));
      if (to !== 'core') bad.push(`${relative(SRC, file)} imports ${m[1]}`);
    }
  }
  t.deepEqual(bad, []);
});
