/**
 * SEL micro-benchmark: ns/op of cached evaluation for a few representative expressions, plus the
 * cost of a cold parse. Run with `npx tsx scripts/bench-sel.ts [iterations]`.
 */
import { pathToFileURL } from 'node:url';
import type { EvalScope, TypedValue } from '../src/core/expr-port.js';
import { createSelEngine } from '../src/expr/index.js';
const values: Record<string, TypedValue> = {
  x: { type: 'LONG', value: 41 },
  TARGET_RUN_DATE: { type: 'STRING', value: '20200101' },
};
const scope: EvalScope = {
  lookup: (name) => values[name],
  params: {
    get: (name: string) => values[name]?.value,
    getFromStep: () => 1,
    getFromInstance: () => 'START_FRESH_NEW_RUN',
    getFromSignal: () => null,
    getFromSignalOrDefault: (_s: string, _p: string, d: unknown) => d,
    getFromSignalDependency: () => null,
    getFromForeach: () => [],
    getFromSubworkflow: () => null,
    nextUniqueId: () => 1,
  },
  nowMs: 1_700_000_000_000,
  random: () => 0.5,
};

const CASES: Record<string, string> = {
  'params.get': "params.get('x') + 1",
  'bare name': 'x > 10',
  'literal': 'true',
  'loop 100': 'long s = 0; for (int i = 0; i < 100; i++) { s += i; } return s;',
  'joda parse': 'DateTimeFormat.forPattern("yyyyMMddHH").withZone(DateTimeZone.forID("UTC")).parseDateTime(TARGET_RUN_DATE + "00").toString("yyyyMMdd");',
};

function measure(n: number, fn: () => unknown): number {
  for (let i = 0; i < Math.min(n, 10_000); i++) fn();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn();
  return Number(process.hrtime.bigint() - t0) / n;
}

/** Runs every case and returns ns/op by label (printing each line as it goes). */
export function benchSel(iterations = 200_000, print = true): Record<string, number> {
  const engine = createSelEngine();
  const out: Record<string, number> = {};
  const record = (label: string, ns: number): void => {
    out[label] = ns;
    if (print) console.log(`${label.padEnd(28)} ${ns.toFixed(0).padStart(9)} ns/op`);
  };
  for (const [label, src] of Object.entries(CASES)) {
    const n = label.startsWith('loop') || label.startsWith('joda') ? Math.max(1, Math.floor(iterations / 20)) : iterations;
    record(`cached ${label}`, measure(n, () => engine.evaluate(src, scope)));
  }
  const cold = createSelEngine({ cacheEntries: 1 });
  let k = 0;
  record('cold parse (cache miss)', measure(Math.max(1, Math.floor(iterations / 50)), () => cold.compile(`params.get('x') + ${k++}`)));
  return out;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const iterations = Number(process.argv[2] ?? 200_000);
  console.log(`SEL bench, ${iterations} iterations per case, Node ${process.version}`);
  benchSel(iterations);
}
