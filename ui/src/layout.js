// Lays out an instance's DAG with dagre, nesting expanded foreach/while/subworkflow nodes: an
// expanded node's size is that of its content (overview lines, iteration chips, the nested DAG of
// the iteration or child instance shown), computed before its parent's layout, so nesting works
// at any depth. Nothing here renders more than the iterations the user opened: a 25,000-iteration
// foreach is its overview ranges and a few chips.
import dagre from '@dagrejs/dagre';

export const NODE_H = 46;
export const LINE_H = 18;
export const CHIP_W = 56;
export const CHIP_H = 24;
export const MAX_RANGES = 8;
export const MAX_CHIPS = 24;
const PAD = 10;

const textWidth = (s) => Math.ceil(s.length * 7.2) + 28;

/** Iteration chips to offer: running first, then failed, then the first and last ones. */
export function iterationChips(o) {
  const ids = [];
  const add = (n) => {
    if (ids.length < MAX_CHIPS && n >= 1 && !ids.includes(n)) ids.push(n);
  };
  if (o.kind === 'foreach') {
    for (const n of o.running ?? []) add(n);
    for (const s of ['FAILED', 'TIMED_OUT', 'STOPPED']) for (const [a, b] of o.details?.[s] ?? []) for (let n = a; n <= b && ids.length < MAX_CHIPS; n++) add(n);
    for (const [a, b] of Object.values(o.details ?? {}).flat()) for (let n = a; n <= Math.min(b, a + 5); n++) add(n);
  } else if (o.kind === 'while') {
    if (o.running) add(o.running);
    for (let n = o.iterations; n >= 1 && ids.length < MAX_CHIPS; n--) add(n);
  }
  return ids.sort((a, b) => a - b);
}

/** The overview's text lines (rollup, ranges per status) for a composite node. */
export function overviewLines(o) {
  const lines = [];
  if (o.kind === 'foreach') {
    lines.push(`${o.total} iterations · concurrency ${o.concurrency} · launched ${o.launched} · run ${o.runId}`);
    for (const [status, ranges] of Object.entries(o.details ?? {})) {
      const shown = ranges.slice(0, MAX_RANGES).map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`));
      const more = ranges.length > MAX_RANGES ? ` (+${ranges.length - MAX_RANGES} ranges)` : '';
      lines.push({ status, text: `${o.stats?.[status] ?? ''} ${status}: ${shown.join(', ')}${more}` });
    }
  } else if (o.kind === 'while') {
    lines.push(`${o.iterations} iterations${o.running ? ` · running ${o.running}` : ''}${o.lastStatus ? ` · last ${o.lastStatus}` : ''}`);
  } else if (o.kind === 'subworkflow') {
    lines.push(`${o.workflowId}${o.instanceId ? ` #${o.instanceId}` : ''}${o.version ? ` v${o.version}` : ''} · ${o.sync ? 'sync' : 'async'}${o.status ? ` · ${o.status}` : ''}`);
  }
  return lines;
}

/** The instance shown inside an expanded composite node, if any: [workflowId, instanceId]. */
export function innerInstance(ctx, key, step) {
  const o = step?.overview;
  if (!o) return undefined;
  if (o.kind === 'subworkflow') return o.instanceId ? [o.workflowId, o.instanceId] : undefined;
  const it = ctx.iteration.get(`${key}#${step.stepId}`);
  return it ? [o.inlineWorkflowId, it] : undefined;
}

/**
 * Lays out the instance `key` ("wf/id") from ctx.cache: {width, height, nodes, edges}; each node
 * has x, y (top-left), w, h, status, step, and when expanded `inner` (its content's layout).
 */
export function layoutInstance(ctx, key, graphOverride) {
  const entry = ctx.cache.get(key);
  const graph = graphOverride ?? entry?.graph;
  if (!graph) return { width: 220, height: 40, nodes: [], edges: [], loading: true };
  const view = entry?.instance;
  const steps = new Map((view?.steps ?? []).map((s) => [s.stepId, s]));
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: 'LR', nodesep: 16, ranksep: 36, marginx: 6, marginy: 6 });
  g.setDefaultEdgeLabel(() => ({}));
  const nodes = [];
  for (const n of graph.nodes) {
    const step = steps.get(n.id);
    const status = step?.status ?? 'NOT_CREATED';
    const composite = n.kind === 'foreach' || n.kind === 'while' || n.kind === 'subworkflow';
    const nodeKey = `${key}#${n.id}`;
    const expanded = composite && ctx.expanded.has(nodeKey);
    let w = Math.max(150, textWidth(n.id), textWidth(rollupText(step)));
    let h = NODE_H;
    let inner;
    if (expanded) {
      inner = layoutComposite(ctx, key, n, step);
      w = Math.max(w, inner.width + 2 * PAD);
      h += inner.height + PAD;
    }
    const node = { id: n.id, kind: n.kind, type: n.type, status, step, composite, expanded, nodeKey, inner, w, h };
    nodes.push(node);
    g.setNode(n.id, { width: w, height: h });
  }
  for (const e of graph.edges) if (g.hasNode(e.to)) g.setEdge(e.from, e.to, { condition: e.condition });
  dagre.layout(g);
  for (const node of nodes) {
    const p = g.node(node.id);
    node.x = p.x - node.w / 2;
    node.y = p.y - node.h / 2;
  }
  const edges = g.edges().map((e) => ({ from: e.v, to: e.w, points: g.edge(e).points, condition: g.edge(e).condition }));
  const gg = g.graph();
  return { width: Math.max(gg.width ?? 0, 60), height: Math.max(gg.height ?? 0, 30), nodes, edges, key };
}

export function rollupText(step) {
  const r = step?.overview?.rollup;
  if (!r) return '';
  const done = (r.counts?.SUCCEEDED ?? 0) + (r.counts?.SKIPPED ?? 0);
  return `${done}/${r.total} steps done`;
}

function layoutComposite(ctx, key, n, step) {
  const o = step?.overview;
  if (!o) return { width: 260, height: LINE_H, lines: ['not started'], chips: [], sub: undefined };
  const lines = overviewLines(o);
  const chips = o.kind === 'subworkflow' ? [] : iterationChips(o);
  const perRow = 8;
  const chipRows = Math.ceil(chips.length / perRow);
  const inner = innerInstance(ctx, key, step);
  let sub;
  let subKey;
  if (inner) {
    subKey = `${inner[0]}/${inner[1]}`;
    // An iteration's DAG is the loop body from the parent's graph (no fetch needed for its shape).
    sub = layoutInstance(ctx, subKey, n.children);
  }
  const textW = Math.max(...lines.map((l) => textWidth(typeof l === 'string' ? l : l.text)));
  const width = Math.max(300, textW, chipRows > 0 ? perRow * (CHIP_W + 4) : 0, sub ? sub.width : 0);
  const subTitle = sub ? LINE_H + 4 : 0;
  const height = lines.length * LINE_H + (o.rollup ? LINE_H : 0) + chipRows * (CHIP_H + 4) + (sub ? sub.height + subTitle + 6 : 0) + 4;
  return { width, height, lines, chips, perRow, sub, subKey, overview: o, inner };
}
