// The instance page: header with the actions allowed now, the live DAG (SSE), the step panel.
// The root and every opened iteration / subworkflow child each have their own SSE stream
// (/events): a change patches the status at once and reloads that instance's full view shortly
// after (debounced), and, for an opened child, its ancestors' views too (their foreach/while/
// subworkflow rollups include it). A child's stream closes when it is folded away.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api, html, Badge, ErrorLine, counts, duration, enc, isTerminal, json, time } from './util.js';
import { innerInstance, layoutInstance } from './layout.js';
import { Dag } from './dag.js';
import { AttemptLogs } from './logs.js';
import { StepBreakpoint } from './breakpoints.js';

/** After a change, the full view (attempts, rollups) is fetched this much later (changes coalesce). */
const RELOAD_DEBOUNCE_MS = 250;

export function InstancePage({ wf, id, link }) {
  const rootKey = `${wf}/${id}`;
  // cache: "wf/id" -> {instance, graph, actions}; bumped `version` re-renders.
  const cache = useRef(new Map()).current;
  const [version, setVersion] = useState(0);
  const bump = () => setVersion((v) => v + 1);
  const [expanded, setExpanded] = useState(new Set());
  const [iteration, setIteration] = useState(new Map());
  const [selected, setSelected] = useState(undefined);
  const [error, setError] = useState(undefined);
  const [live, setLive] = useState('connecting');

  const load = async (key) => {
    const [w, i] = splitKey(key);
    try {
      const r = await api(`/api/instances/${enc(w)}/${i}`);
      cache.set(key, r);
      bump();
    } catch (e) {
      setError(e);
    }
  };

  // The root: graph once, statuses from the SSE stream.
  useEffect(() => {
    cache.clear();
    setExpanded(new Set());
    setIteration(new Map());
    setSelected(undefined);
    setError(undefined);
    let refresh;
    load(rootKey);
    const es = new EventSource(`/api/instances/${enc(wf)}/${id}/events`);
    es.addEventListener('snapshot', (ev) => {
      const d = JSON.parse(ev.data);
      const prev = cache.get(rootKey) ?? {};
      cache.set(rootKey, { ...prev, instance: d.instance, actions: d.actions });
      setLive('live');
      bump();
    });
    es.addEventListener('change', (ev) => {
      patchStatus(rootKey, JSON.parse(ev.data));
      clearTimeout(refresh);
      refresh = setTimeout(() => load(rootKey), RELOAD_DEBOUNCE_MS);
    });
    es.addEventListener('end', () => {
      es.close();
      setLive('ended');
      load(rootKey);
    });
    es.onerror = () => setLive((l) => (l === 'ended' ? l : 'reconnecting'));
    return () => {
      clearTimeout(refresh);
      es.close();
    };
  }, [rootKey]);

  const root = cache.get(rootKey);

  // Opened iterations and children (key -> the key of the instance they were opened from).
  const opened = useMemo(() => {
    const parents = new Map();
    const walk = (key) => {
      const e = cache.get(key);
      for (const s of e?.instance?.steps ?? []) {
        if (!expanded.has(`${key}#${s.stepId}`)) continue;
        const inner = innerInstance({ iteration }, key, s);
        if (inner) {
          const k = `${inner[0]}/${inner[1]}`;
          if (parents.has(k) || k === rootKey) continue;
          parents.set(k, key);
          walk(k);
        }
      }
    };
    walk(rootKey);
    return parents;
  }, [version, expanded, iteration]);
  const openKeys = [...opened.keys()].join(',');
  const openedRef = useRef(opened);
  openedRef.current = opened;
  // One SSE stream per opened child, closed when it is folded (or the page left).
  const streams = useRef(new Map()).current;
  useEffect(() => {
    const want = new Set(opened.keys());
    for (const [k, st] of streams) {
      if (want.has(k)) continue;
      st.close();
      streams.delete(k);
    }
    for (const k of want) if (!streams.has(k)) streams.set(k, childStream(k));
  }, [openKeys]);
  useEffect(
    () => () => {
      for (const st of streams.values()) st.close();
      streams.clear();
    },
    [],
  );

  /** A debounced reload of `key` and the instances it was opened from, up to the root. */
  function childStream(key) {
    const [w, i] = splitKey(key);
    let timer;
    const reloadUp = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        for (let k = key; k !== undefined; k = openedRef.current.get(k)) load(k);
      }, RELOAD_DEBOUNCE_MS);
    };
    if (!cache.get(key)?.graph) load(key); // the graph (snapshots carry none), and the view meanwhile
    const es = new EventSource(`/api/instances/${enc(w)}/${i}/events`);
    es.addEventListener('snapshot', (ev) => {
      const d = JSON.parse(ev.data);
      const prev = cache.get(key) ?? {};
      cache.set(key, { ...prev, instance: d.instance, actions: d.actions });
      bump();
    });
    es.addEventListener('change', (ev) => {
      patchStatus(key, JSON.parse(ev.data));
      reloadUp();
    });
    es.addEventListener('end', () => {
      es.close();
      reloadUp();
    });
    es.onerror = () => undefined; // EventSource reconnects by itself; its snapshot repairs what was missed
    return {
      close: () => {
        clearTimeout(timer);
        es.close();
      },
    };
  }

  /** Applies a change's status to the cached view at once (the reload brings the rest). */
  function patchStatus(key, c) {
    const entry = cache.get(key);
    if (!entry?.instance) return;
    const inst = entry.instance;
    const steps = c.stepId === undefined ? inst.steps : inst.steps.map((s) => (s.stepId === c.stepId ? { ...s, status: c.status } : s));
    cache.set(key, { ...entry, instance: { ...inst, steps, status: c.stepId === undefined ? c.status : inst.status } });
    bump();
  }

  const ctx = {
    cache,
    expanded,
    iteration,
    selected,
    link,
    select: setSelected,
    toggle: (nodeKey) => {
      const next = new Set(expanded);
      if (next.has(nodeKey)) next.delete(nodeKey);
      else next.add(nodeKey);
      setExpanded(next);
    },
    openIteration: (nodeKey, it) => {
      const next = new Map(iteration);
      if (it === undefined) next.delete(nodeKey);
      else next.set(nodeKey, it);
      setIteration(next);
    },
  };

  const act = async (key, path, body) => {
    const [w, i] = splitKey(key);
    setError(undefined);
    try {
      const r = await api(`/api/instances/${enc(w)}/${i}/${path}`, body ?? {});
      const prev = cache.get(key) ?? {};
      cache.set(key, { ...prev, instance: r.instance, actions: r.actions });
      bump();
    } catch (e) {
      setError(e);
    }
  };

  if (!root?.instance) return html`<div><h2>${wf} #${id}</h2><${ErrorLine} error=${error} />${error ? null : html`<p>loading…</p>`}</div>`;
  const v = root.instance;
  const lay = layoutInstance(ctx, rootKey);
  return html`<div class="instance-page">
    <div class="inst-head">
      <h2>${wf} <span class="muted">#${id} · run ${v.runId} · v${v.version}</span> <${Badge} status=${v.status} />${v.rawStatus && v.rawStatus !== v.status ? html` <span class="muted raw-status">raw ${v.rawStatus}</span>` : null}</h2>
      <div class="inst-meta">
        <span>created ${time(v.createdAtMs)}</span>${v.endedAtMs ? html` <span>· took ${duration(v.startedAtMs ?? v.createdAtMs, v.endedAtMs)}</span>` : null}
        <span> · initiator ${v.initiator}</span>
        ${v.parent ? html` · parent <a href=${`/instances/${enc(v.parent.workflowId)}/${v.parent.instanceId}`} onClick=${link}>${v.parent.workflowId} #${v.parent.instanceId}</a> step ${v.parent.stepId}` : null}
        <span class=${`live ${live}`}> · ${live}</span>
      </div>
      <div class="inst-meta">leaf steps: ${counts(v.rollup?.counts)}</div>
      ${(v.runs?.length ?? 0) > 1 ? html`<div class="inst-meta runs">runs: ${v.runs.map((r) => html`<span class="run">${r.runId} <${Badge} status=${r.status} />${r.rawStatus !== r.status ? html` <span class="muted">raw ${r.rawStatus}</span>` : null} </span>`)}</div>` : null}
      ${v.error ? html`<div class="error">${v.error}</div>` : null}
      <div class="actions">
        ${(root.actions?.instance ?? []).map((a) => html`<button class=${`act act-${a}`} data-action=${a} onClick=${() => act(rootKey, a)}>${a}</button>`)}
      </div>
      <${ErrorLine} error=${error} />
    </div>
    <div class="inst-body">
      <div class="dag-wrap"><${Dag} lay=${lay} ctx=${ctx} /></div>
      ${selected ? html`<${StepPanel} key=${`${selected.key}#${selected.stepId}`} sel=${selected} entry=${cache.get(selected.key)} act=${act} link=${link} close=${() => setSelected(undefined)} />` : null}
    </div>
  </div>`;
}

function splitKey(key) {
  const i = key.lastIndexOf('/');
  return [key.slice(0, i), Number(key.slice(i + 1))];
}

function StepPanel({ sel, entry, act, link, close }) {
  const [attemptNo, setAttemptNo] = useState(undefined);
  const step = entry?.instance?.steps.find((s) => s.stepId === sel.stepId);
  if (!step)
    return html`<aside class="panel" data-panel=${sel.stepId}><button class="close" aria-label="close" onClick=${close}>×</button><h3>${sel.stepId}</h3><p>not created in this run</p>
      <${StepBreakpoint} instKey=${sel.key} stepId=${sel.stepId} refreshKey="" link=${link} /></aside>`;
  const attempt = step.attempts.find((a) => a.attempt === attemptNo) ?? step.attempts.at(-1);
  const terminal = isTerminal(entry.instance.status);
  const actions = entry.actions?.steps?.[step.stepId] ?? [];
  const run = (a) => {
    if (a === 'restart' && terminal) return act(sel.key, 'restart', { stepId: step.stepId });
    return act(sel.key, `steps/${enc(step.stepId)}/${a}`, a === 'resume' && attempt ? { attempt: attempt.attempt } : {});
  };
  return html`<aside class="panel" data-panel=${step.stepId}>
    <button class="close" aria-label="close" onClick=${close}>×</button>
    <h3>${step.stepId} <${Badge} status=${step.status} /></h3>
    <div class="muted">${step.stepType} · ${sel.key}</div>
    <div class="actions">${actions.map((a) => html`<button class=${`act act-${a}`} data-step-action=${a} onClick=${() => run(a)}>${a === 'restart' && terminal ? 'restart from here' : a}</button>`)}</div>
    <h4>Attempts</h4>
    <table class="attempts"><thead><tr><th>#</th><th>status</th><th>started</th><th>took</th><th>error</th></tr></thead><tbody>
      ${step.attempts.map((a) => html`<tr class=${a === attempt ? 'current' : ''} onClick=${() => setAttemptNo(a.attempt)}>
        <td>${a.attempt}</td><td><${Badge} status=${a.status} /></td><td>${time(a.startedAtMs)}</td><td>${duration(a.startedAtMs, a.endedAtMs)}</td><td class="err">${a.error ?? ''}</td></tr>`)}
    </tbody></table>
    ${step.signalDependencies
      ? html`<h4>Signal dependencies</h4>${step.signalDependencies.info ? html`<div class="muted">${step.signalDependencies.info}</div>` : null}
          <table><tbody>${step.signalDependencies.dependencies.map((d) => html`<tr><td>${d.name}</td><td><${Badge} status=${d.status} /></td><td>${d.signalId ? `signal #${d.signalId}` : ''}</td><td><code>${d.matchParams ? Object.entries(d.matchParams).map(([k, m]) => `${k} ${m.operator} ${m.value}`).join(', ') : ''}</code></td></tr>`)}</tbody></table>`
      : null}
    ${step.signalOutputs ? html`<h4>Signal outputs</h4><pre>${json(step.signalOutputs.outputs)}</pre>` : null}
    <h4>Params</h4><pre>${json(step.params)}</pre>
    <h4>Outputs</h4><pre>${json(step.outputs)}</pre>
    ${attempt ? html`<${AttemptLogs} key=${`${sel.key}#${step.stepId}#${attempt.attempt}`} instKey=${sel.key} stepId=${step.stepId} attempt=${attempt} />` : null}
    <${StepBreakpoint} instKey=${sel.key} stepId=${step.stepId} refreshKey=${`${step.status}/${step.attempts.length}`} link=${link} />
    ${step.overview ? html`<h4>Overview</h4><pre>${json({ ...step.overview, rollup: { ...step.overview.rollup, refs: undefined } })}</pre>` : null}
  </aside>`;
}
