// The DAG of one instance (and, nested, of the iterations and children the user opened).
import { html, colour, Badge, counts } from './util.js';
import { CHIP_H, CHIP_W, LINE_H, NODE_H, rollupText } from './layout.js';

export function Dag({ lay, ctx }) {
  if (lay.loading) return html`<div class="loading" style=${{ width: lay.width, height: lay.height }}>loading…</div>`;
  return html`<div class="dag" style=${{ width: `${lay.width}px`, height: `${lay.height}px` }}>
    <svg class="edges" width=${lay.width} height=${lay.height}>
      ${lay.edges.map((e) => html`<path d=${pathOf(e.points)} class=${e.condition === 'true' ? 'edge' : 'edge cond'}><title>${e.from} → ${e.to}: ${e.condition}</title></path>`)}
    </svg>
    ${lay.nodes.map((n) => html`<${Node} key=${n.id} n=${n} ctx=${ctx} owner=${lay.key} />`)}
  </div>`;
}

function pathOf(points) {
  if (!points?.length) return '';
  const [a, ...rest] = points;
  const last = rest.at(-1) ?? a;
  return `M${a.x},${a.y} ${rest.map((p) => `L${p.x},${p.y}`).join(' ')} M${last.x - 6},${last.y - 4} L${last.x},${last.y} L${last.x - 6},${last.y + 4}`;
}

function Node({ n, ctx, owner }) {
  const selected = ctx.selected && ctx.selected.key === owner && ctx.selected.stepId === n.id;
  const select = (ev) => {
    ev.stopPropagation();
    ctx.select({ key: owner, stepId: n.id });
  };
  const toggle = (ev) => {
    ev.stopPropagation();
    ctx.toggle(n.nodeKey);
  };
  return html`<div class=${`node${selected ? ' selected' : ''}${n.composite ? ' composite' : ''}`} data-step=${n.id} data-status=${n.status}
      style=${{ left: `${n.x}px`, top: `${n.y}px`, width: `${n.w}px`, height: `${n.h}px`, borderColor: colour(n.status) }} onClick=${select}>
    <div class="node-head" style=${{ height: `${NODE_H}px` }}>
      <div class="node-title">
        ${n.composite ? html`<button class="fold" aria-label=${n.expanded ? 'collapse' : 'expand'} data-fold=${n.id} onClick=${toggle}>${n.expanded ? '▾' : '▸'}</button>` : null}
        <span class="step-id">${n.id}</span>
        <span class="kind">${n.kind === 'step' ? n.type : n.kind}</span>
      </div>
      <div class="node-status" style=${{ color: colour(n.status) }}>${n.status}${n.composite && n.step?.overview?.rollup ? html` · <span class="rollup">${rollupText(n.step)}</span>` : null}</div>
    </div>
    ${n.expanded ? html`<${Composite} n=${n} ctx=${ctx} />` : null}
  </div>`;
}

function Composite({ n, ctx }) {
  const c = n.inner;
  const o = c.overview;
  return html`<div class="composite-body" onClick=${(e) => e.stopPropagation()}>
    ${c.lines.map((l) => (typeof l === 'string' ? html`<div class="ov-line" style=${{ height: `${LINE_H}px` }}>${l}</div>` : html`<div class="ov-line" data-ov-status=${l.status} style=${{ height: `${LINE_H}px`, color: colour(l.status) }}>${l.text}</div>`))}
    ${o && o.rollup ? html`<div class="ov-rollup" style=${{ height: `${LINE_H}px` }}>leaf steps: ${counts(o.rollup.counts)}</div>` : null}
    ${c.chips.length > 0
      ? html`<div class="chips">${c.chips.map((it) => {
          const active = c.inner && c.inner[1] === it;
          return html`<button class=${`chip${active ? ' active' : ''}`} data-iteration=${it} style=${{ width: `${CHIP_W}px`, height: `${CHIP_H}px` }} onClick=${() => ctx.openIteration(n.nodeKey, active ? undefined : it)}>#${it}</button>`;
        })}</div>`
      : null}
    ${c.sub
      ? html`<div class="sub">
          <div class="sub-title" style=${{ height: `${LINE_H}px` }}>
            <a href=${`/instances/${encodeURIComponent(c.inner[0])}/${c.inner[1]}`} onClick=${ctx.link}>${o.kind === 'subworkflow' ? 'child' : 'iteration'} ${c.inner[1]}</a>
            ${ctx.cache.get(c.subKey)?.instance ? html` <${Badge} status=${ctx.cache.get(c.subKey).instance.status} />` : null}
          </div>
          <${Dag} lay=${c.sub} ctx=${ctx} />
        </div>`
      : null}
  </div>`;
}
