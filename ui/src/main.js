// The web UI: a small client-side router over the pages; data from the node's /api/.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, html, Badge, ErrorLine, WORKFLOW_STATUSES, enc, instancePath, json, time } from './util.js';
import { layoutInstance } from './layout.js';
import { Dag } from './dag.js';
import { InstancePage } from './instance.js';
import { WorkflowBreakpoints } from './breakpoints.js';

function useRoute() {
  const [loc, setLoc] = useState(location.pathname + location.search);
  useEffect(() => {
    const on = () => setLoc(location.pathname + location.search);
    addEventListener('popstate', on);
    return () => removeEventListener('popstate', on);
  }, []);
  const go = (to) => {
    history.pushState(null, '', to);
    setLoc(to);
    scrollTo(0, 0);
  };
  /** onClick for <a>: navigates in the page unless a modifier asks for a new tab. */
  const link = (ev) => {
    if (ev.ctrlKey || ev.metaKey || ev.shiftKey || ev.button !== 0) return;
    ev.preventDefault();
    go(ev.currentTarget.getAttribute('href'));
  };
  return { url: new URL(loc, location.origin), go, link };
}

/** Loads `path` (again when `deps` change); {data, error, reload}. */
function useApi(path, deps = []) {
  const [state, setState] = useState({});
  const reload = () =>
    api(path).then(
      (data) => setState({ data }),
      (error) => setState({ error }),
    );
  useEffect(() => {
    setState({});
    reload();
  }, [path, ...deps]);
  return { ...state, reload };
}

function App() {
  const { url, go, link } = useRoute();
  const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  let page;
  if (parts[0] === 'instances' && parts.length === 3) page = html`<${InstancePage} key=${`${parts[1]}/${parts[2]}`} wf=${parts[1]} id=${Number(parts[2])} link=${link} />`;
  else if (parts[0] === 'instances') page = html`<${Instances} url=${url} go=${go} link=${link} />`;
  else if (parts[0] === 'workflows' && parts[1]) page = html`<${Workflow} wf=${parts[1]} link=${link} />`;
  else if (parts[0] === 'signals') page = html`<${Signals} />`;
  else if (parts[0] === 'cluster') page = html`<${Cluster} />`;
  else page = html`<${Workflows} link=${link} />`;
  const nav = (href, label) => html`<a class=${url.pathname === href || (href !== '/' && url.pathname.startsWith(href)) ? 'on' : ''} href=${href} onClick=${link}>${label}</a>`;
  return html`<div>
    <header><span class="brand">maestro</span>${nav('/', 'Workflows')}${nav('/instances', 'Instances')}${nav('/signals', 'Signals')}${nav('/cluster', 'Cluster')}</header>
    <main>${page}</main>
  </div>`;
}

function Workflows({ link }) {
  const { data, error } = useApi('/api/workflows');
  return html`<div><h2>Workflows</h2><${ErrorLine} error=${error} />
    ${data
      ? data.workflows.length === 0
        ? html`<p class="muted">No workflows yet: <code>maestro push FILE.json</code>.</p>`
        : html`<table class="list"><thead><tr><th>workflow</th><th>latest</th><th>active</th><th>created</th><th></th></tr></thead><tbody>
          ${data.workflows.map((w) => html`<tr><td><a href=${`/workflows/${enc(w.workflowId)}`} onClick=${link}>${w.workflowId}</a></td><td>v${w.latestVersion}</td><td>${w.activeVersion ? `v${w.activeVersion}` : 'inactive'}</td><td>${time(w.createdAtMs)}</td>
            <td><a href=${`/instances?workflow=${enc(w.workflowId)}`} onClick=${link}>instances</a></td></tr>`)}
        </tbody></table>`
      : null}</div>`;
}

function Workflow({ wf, link }) {
  const { data: d, error } = useApi(`/api/workflows/${enc(wf)}`);
  if (!d) return html`<div><h2>${wf}</h2><${ErrorLine} error=${error} /></div>`;
  const lay = layoutInstance({ cache: new Map(), expanded: new Set(), iteration: new Map() }, wf, d.graph);
  const tt = d.timeTriggers;
  return html`<div><h2>${d.workflowId} <span class="muted">${d.name ?? ''}</span></h2>
    <p>${d.description ?? ''}</p>
    <div class="kv">
      <div>owner</div><div>${d.owner}</div>
      <div>active version</div><div>${d.activeVersion ? `v${d.activeVersion}` : 'inactive'} (latest v${d.latestVersion})</div>
      <div>run strategy</div><div>${d.runStrategy.rule}${d.runStrategy.rule === 'PARALLEL' ? `, ${d.runStrategy.workflowConcurrency} at once` : ''}</div>
      ${d.stepConcurrency ? html`<div>step concurrency</div><div>${d.stepConcurrency}</div>` : null}
    </div>
    <p><a href=${`/instances?workflow=${enc(wf)}`} onClick=${link}>instances of ${wf}</a></p>
    <h3>Steps (active version)</h3><div class="dag-wrap"><${Dag} lay=${lay} ctx=${{ selected: undefined, select() {}, toggle() {}, link }} /></div>
    <h3>Time triggers</h3>
    ${tt
      ? html`<div class="muted">${tt.subscribed ? 'subscribed' : `not subscribed${tt.reason ? `: ${tt.reason}` : ''}`}</div>
        <table class="list"><thead><tr><th>trigger</th><th>timezone</th><th>next fires</th></tr></thead><tbody>
        ${tt.triggers.map((t) => html`<tr><td><code>${t.text}</code></td><td>${t.timezone}</td><td>${t.nextFiresMs.map((ms) => html`<div>${time(ms)}</div>`)}</td></tr>`)}</tbody></table>`
      : html`<p class="muted">none</p>`}
    <h3>Signal triggers</h3>
    ${d.signalTriggers ? html`<pre>${json(d.signalTriggers)}</pre>` : html`<p class="muted">none</p>`}
    <${WorkflowBreakpoints} wf=${wf} link=${link} />
    <h3>Versions</h3>
    <table class="list"><thead><tr><th>version</th><th>active</th><th>created</th><th>name</th></tr></thead><tbody>
      ${d.versions.map((v) => html`<tr><td>v${v.version}</td><td>${v.isActive ? 'active' : ''}</td><td>${time(v.createdAtMs)}</td><td>${v.name ?? ''}</td></tr>`)}
    </tbody></table></div>`;
}

const PAGE_SIZE = 25;

function Instances({ url, go, link }) {
  const wf = url.searchParams.get('workflow') ?? '';
  const status = url.searchParams.get('status') ?? '';
  const token = url.searchParams.get('pageToken') ?? '';
  const q = (o) => {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries({ workflow: wf, status, ...o })) if (v) p.set(k, v);
    return `/instances?${p}`;
  };
  const { data, error } = useApi(`/api/instances?${new URLSearchParams({ workflow: wf, status, pageSize: String(PAGE_SIZE), pageToken: token })}`);
  const [wfInput, setWfInput] = useState(wf);
  return html`<div><h2>Instances</h2>
    <form class="filters" onSubmit=${(e) => {
      e.preventDefault();
      go(q({ workflow: wfInput, pageToken: '' }));
    }}>
      <input name="workflow" placeholder="workflow id" value=${wfInput} onInput=${(e) => setWfInput(e.currentTarget.value)} />
      <select name="status" value=${status} onChange=${(e) => go(q({ status: e.currentTarget.value, pageToken: '' }))}>
        <option value="">any status</option>${WORKFLOW_STATUSES.map((s) => html`<option value=${s}>${s}</option>`)}
      </select>
      <button type="submit">filter</button>
    </form>
    <${ErrorLine} error=${error} />
    ${data
      ? html`<table class="list"><thead><tr><th>instance</th><th>run</th><th>version</th><th>status</th><th>created</th><th>ended</th></tr></thead><tbody>
        ${data.instances.map((i) => html`<tr><td><a href=${instancePath(i.workflowId, i.instanceId)} onClick=${link}>${i.workflowId} #${i.instanceId}</a></td><td>${i.runId}</td><td>v${i.version}</td><td><${Badge} status=${i.status} />${i.rawStatus ? html` <span class="muted">raw ${i.rawStatus}</span>` : null}</td><td>${time(i.createdAtMs)}</td><td>${time(i.endedAtMs)}</td></tr>`)}
        </tbody></table>
        ${data.instances.length === 0 ? html`<p class="muted">none</p>` : null}
        <div class="pager">${token ? html`<a href=${q({ pageToken: '' })} onClick=${link}>first page</a>` : null} ${data.nextPageToken ? html`<a href=${q({ pageToken: data.nextPageToken })} onClick=${link}>next page →</a>` : null}</div>`
      : null}</div>`;
}

function Signals() {
  const [names, setNames] = useState('');
  const { data, error, reload } = useApi(`/api/signals${names ? `?names=${enc(names)}` : ''}`, []);
  const [form, setForm] = useState({ name: '', params: '{}', requestId: '' });
  const [sent, setSent] = useState(undefined);
  const send = async (e) => {
    e.preventDefault();
    setSent(undefined);
    try {
      let params;
      try {
        params = JSON.parse(form.params || '{}');
      } catch (err) {
        throw new Error(`params: not JSON: ${err.message}`);
      }
      if (!form.name) throw new Error('name: is required');
      const r = await api(`/api/signals/${enc(form.name)}`, { params, requestId: form.requestId || undefined });
      setSent({ ok: `signal ${form.name} #${r.instance?.seqId ?? '?'}${r.duplicate ? ' (duplicate)' : ''}` });
      reload();
    } catch (err) {
      setSent({ error: err });
    }
  };
  const set = (k) => (e) => setForm({ ...form, [k]: e.currentTarget.value });
  return html`<div><h2>Signals</h2>
    <form class="filters" onSubmit=${(e) => e.preventDefault()}>
      <input placeholder="names (comma-separated; empty: those the workflows use)" size="50" value=${names} onChange=${(e) => setNames(e.currentTarget.value)} />
    </form>
    <${ErrorLine} error=${error} />
    ${data?.signals.length === 0 ? html`<p class="muted">No signal names in the stored workflows; name one above.</p>` : null}
    ${data?.signals.map((s) => html`<div class="signal" data-signal=${s.name}><h3>${s.name} <span class="muted">latest #${s.latestSeq}</span></h3>
      ${s.recent.length === 0 ? html`<p class="muted">none yet</p>` : html`<table class="list"><thead><tr><th>#</th><th>params</th><th>payload</th><th>created</th></tr></thead><tbody>
        ${s.recent.map((i) => html`<tr><td>${i.seqId}</td><td><code>${JSON.stringify(i.params)}</code></td><td><code>${JSON.stringify(i.payload)}</code></td><td>${time(i.createTimeMs)}</td></tr>`)}</tbody></table>`}</div>`)}
    <h3>Send a signal</h3>
    <form class="send" onSubmit=${send}>
      <label>name <input name="name" value=${form.name} onInput=${set('name')} /></label>
      <label>params (JSON: numbers and strings) <input name="params" size="40" value=${form.params} onInput=${set('params')} /></label>
      <label>request id (optional) <input name="requestId" value=${form.requestId} onInput=${set('requestId')} /></label>
      <button type="submit">send</button>
    </form>
    ${sent?.ok ? html`<div class="ok">${sent.ok}</div>` : null}<${ErrorLine} error=${sent?.error} /></div>`;
}

function Cluster() {
  const { data: c, error, reload } = useApi('/api/cluster');
  useEffect(() => {
    const t = setInterval(reload, 5000);
    return () => clearInterval(t);
  }, []);
  if (!c) return html`<div><h2>Cluster</h2><${ErrorLine} error=${error} /></div>`;
  const nodes = [...new Set(c.partitions.map((p) => p.nodeId))];
  const hue = (n) => (n ? (nodes.indexOf(n) * 137) % 360 : 0);
  return html`<div><h2>Cluster <span class="muted">${c.mode} · this node ${c.selfNodeId}</span></h2>
    <h3>Health</h3>
    <div class="kv"><div>partitions owned</div><div>${c.health.ownedPartitions}</div><div>instances in memory</div><div>${c.health.instancesInMemory}</div>
      <div>uptime</div><div>${(c.health.uptimeMs / 1000).toFixed(0)} s</div><div>membership version</div><div>${c.health.membershipVersion}</div></div>
    <h3>Members</h3>
    <table class="list"><thead><tr><th>node</th><th>gRPC</th><th>started</th><th>partitions</th></tr></thead><tbody>
      ${c.members.map((m) => html`<tr><td><span class="swatch" style=${{ background: `hsl(${hue(m.nodeId)} 60% 55%)` }}></span>${m.nodeId}</td><td>${m.grpcAddress}</td><td>${time(m.startedAtMs)}</td><td>${c.partitions.filter((p) => p.nodeId === m.nodeId).length}</td></tr>`)}
    </tbody></table>
    <h3>Partition map</h3>
    <div class="partitions">${c.partitions.map((p) => html`<div class="part" title=${`partition ${p.partition}: ${p.nodeId || 'unclaimed'} epoch ${p.epoch}`} style=${{ background: p.nodeId ? `hsl(${hue(p.nodeId)} 60% 55%)` : '#ddd' }}>${p.partition}</div>`)}</div>
  </div>`;
}

render(html`<${App} />`, document.getElementById('app'));
