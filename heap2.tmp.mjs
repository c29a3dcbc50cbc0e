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
// For each DescriptorArray, collect property names (edges of type 'internal'/'property' ... names)
let ei = 0; const counts = new Map();
for (let i = 0; i < nodes.length; i += nf) {
  const ec = nodes[i + 4]; const name = strings[nodes[i + 1]]; const type = ntypes[nodes[i]];
  if (type === 'object shape' && name === 'system / DescriptorArray') {
    const names = [];
    for (let k = 0; k < ec; k++) { const e = ei + k * ef; const en = edges[e + 1]; const et = etypes[edges[e]]; if (et !== 'element' && et !== 'hidden') names.push(strings[en]); else { const to = edges[e+2]; const tn = strings[nodes[to+1]]; if (ntypes[nodes[to]]==='string') names.push(tn);} }
    const key = names.filter(x => typeof x === 'string').slice(0, 12).join(',');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  ei += ec * ef;
}
for (const [k, v] of [...counts].sort((a, b) => b[1] - a[1]).slice(0, 12)) console.log(v, k.slice(0, 200));
await node.close();
