import { createEmbeddedNode } from '/work/main/dist/src/node/embedded.js';
import { chainDef } from '/work/main/dist/scripts/bench-probe.js';
import v8 from 'node:v8';
function agg() {
  gc();
  const snap = JSON.parse(require_snapshot());
  const f = snap.snapshot.meta.node_fields; const types = snap.snapshot.meta.node_types[0];
  const n = f.length; const nodes = snap.nodes; const strings = snap.strings;
  const m = new Map();
  for (let i = 0; i < nodes.length; i += n) {
    const type = types[nodes[i]]; let name = strings[nodes[i + 1]];
    if (type === 'string' || type === 'concatenated string' || type === 'sliced string') name = '(string)';
    if (type === 'number') name = '(heap number)';
    const k = type + ':' + name.slice(0, 40);
    const e = m.get(k) ?? [0, 0]; e[0]++; e[1] += nodes[i + 3]; m.set(k, e);
  }
  return m;
}
function require_snapshot() { const chunks = []; const s = v8.getHeapSnapshot(); let c; while ((c = s.read()) !== null) chunks.push(c); return Buffer.concat(chunks).toString(); }
const node = await createEmbeddedNode({ logLevel: 'warn', dataDir: '/tmp/prof/memdata' });
await node.api.createWorkflow(chainDef('x', 10, 'NoOp'));
await node.api.startWorkflow({ workflowId: 'x' });
const a = agg();
const N = 3000;
for (let i = 0; i < N; i += 500) await Promise.all(Array.from({ length: 500 }, () => node.api.startWorkflow({ workflowId: 'x' })));
const b = agg();
const rows = [];
for (const [k, [c, s]] of b) { const [c0, s0] = a.get(k) ?? [0, 0]; if (s - s0 > 0) rows.push([k, (c - c0) / N, (s - s0) / N]); }
rows.sort((x, y) => y[2] - x[2]);
let tot = 0; for (const r of rows) tot += r[2];
console.log('total per instance', Math.round(tot));
for (const r of rows.slice(0, 30)) console.log(r[2].toFixed(0).padStart(7), 'B', r[1].toFixed(1).padStart(6), 'objs', r[0]);
await node.close();
