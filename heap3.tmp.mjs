import { createEmbeddedNode } from '/work/main/dist/src/node/embedded.js';
import { chainDef } from '/work/main/dist/scripts/bench-probe.js';
import v8 from 'node:v8';
const node = await createEmbeddedNode({ logLevel: 'warn', dataDir: '/tmp/prof/memdata' });
await node.api.createWorkflow(chainDef('x', 10, 'NoOp'));
for (let i = 0; i < 2000; i += 500) await Promise.all(Array.from({ length: 500 }, () => node.api.startWorkflow({ workflowId: 'x' })));
gc();
const chunks = []; const s = v8.getHeapSnapshot(); let c; while ((c = s.read()) !== null) chunks.push(c);
const snap = JSON.parse(Buffer.concat(chunks).toString());
const nf = snap.snapshot.meta.node_fields.length, ef = snap.snapshot.meta.edge_fields.length;
const ntypes = snap.snapshot.meta.node_types[0], etypes = snap.snapshot.meta.edge_types[0];
const { nodes, edges, strings } = snap;
// retainers for big '(object properties)' arrays and PropertyArrays
const firstEdge = new Uint32Array(nodes.length / nf + 1);
for (let i = 0, e = 0; i < nodes.length / nf; i++) { firstEdge[i] = e; e += nodes[i * nf + 4] * ef; }
const parentsOf = new Map();
for (let i = 0; i < nodes.length / nf; i++) {
  const cnt = nodes[i * nf + 4];
  for (let k = 0; k < cnt; k++) { const e = firstEdge[i] + k * ef; const to = edges[e + 2] / nf; const tn = strings[nodes[to*nf+1]]; const tt = ntypes[nodes[to*nf]];
    if ((tt === 'array' && tn === '(object properties)') || tn === 'system / PropertyArray') { const nm = strings[nodes[i*nf+1]]; const en = etypes[edges[e]]==='element'||etypes[edges[e]]==='hidden' ? edges[e+1] : strings[edges[e+1]];
      const key = `${tn} <- ${ntypes[nodes[i*nf]]}:${nm} .${en}`; const v = parentsOf.get(key) ?? [0,0]; v[0]++; v[1]+= nodes[to*nf+3]; parentsOf.set(key, v); } }
}
for (const [k, v] of [...parentsOf].sort((a, b) => b[1][1] - a[1][1]).slice(0, 10)) console.log(v[0], v[1], k);
await node.close();
