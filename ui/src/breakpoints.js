// Breakpoints: the step panel's box (break here, remove, the attempts paused at it) and the
// workflow page's list. Breakpoints are per workflow and step (an iteration's belong to its root
// workflow: the server says which, /api/instances/WF/ID/steps/STEP/breakpoint).
import { useEffect, useState } from 'preact/hooks';
import { api, html, ErrorLine, enc, instancePath, time } from './util.js';

/** The step panel's box; `refreshKey` changes (the step's status) reload it. */
export function StepBreakpoint({ instKey, stepId, refreshKey, link }) {
  const [info, setInfo] = useState(undefined);
  const [error, setError] = useState(undefined);
  const [busy, setBusy] = useState(false);
  const i = instKey.lastIndexOf('/');
  const base = `/api/instances/${enc(instKey.slice(0, i))}/${instKey.slice(i + 1)}/steps/${enc(stepId)}`;
  const load = () =>
    api(`${base}/breakpoint`).then(
      (d) => setInfo(d),
      (e) => setError(e),
    );
  useEffect(() => {
    load();
  }, [base, refreshKey]);
  const run = async (fn) => {
    setBusy(true);
    setError(undefined);
    try {
      await fn();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
      load();
    }
  };
  if (!info) return html`<div class="bp"><${ErrorLine} error=${error} /></div>`;
  const bpPath = `/api/breakpoints/${enc(info.workflowId)}/${enc(info.stepId)}`;
  return html`<div class="bp" data-breakpoint=${info.breakpoint ? 'set' : 'none'}>
    <h4>Breakpoint</h4>
    ${info.breakpoint
      ? html`<div>on <code>${info.workflowId}</code> step <code>${info.stepId}</code> since ${time(info.breakpoint.createdAtMs)}: every new attempt of this step pauses</div>
          <div class="actions">
            <button class="bp-rm" disabled=${busy} onClick=${() => run(() => api(bpPath, undefined, 'DELETE'))}>remove breakpoint</button>
            <button class="bp-rm-resume" disabled=${busy} onClick=${() => run(() => api(`${bpPath}?resume=true`, undefined, 'DELETE'))}>remove and resume paused</button>
          </div>
          <${Paused} paused=${info.paused} link=${link} run=${run} busy=${busy} />`
      : html`<div class="actions"><button class="bp-add" disabled=${busy} onClick=${() => run(() => api('/api/breakpoints', { workflowId: info.workflowId, stepId: info.stepId }))}>break here</button>
          <span class="muted">pause every new attempt of ${info.stepId} in ${info.workflowId}</span></div>`}
    <${ErrorLine} error=${error} />
  </div>`;
}

function Paused({ paused, link, run, busy }) {
  if (paused.length === 0) return html`<div class="muted">no attempt is paused at it</div>`;
  return html`<table class="list paused"><thead><tr><th>paused attempt</th><th>since</th><th></th></tr></thead><tbody>
    ${paused.map(
      (p) => html`<tr data-paused=${`${p.workflowId}/${p.instanceId}`}>
        <td><a href=${instancePath(p.workflowId, p.instanceId)} onClick=${link}>${p.workflowId} #${p.instanceId}</a> run ${p.runId} attempt ${p.attempt}</td>
        <td>${time(p.pausedAtMs)}</td>
        <td><button class="act act-resume" disabled=${busy} onClick=${() => run(() => api(`/api/instances/${enc(p.workflowId)}/${p.instanceId}/steps/${enc(p.stepId)}/resume`, { attempt: p.attempt }))}>resume</button></td>
      </tr>`,
    )}
  </tbody></table>`;
}

/** The workflow page's list: every breakpoint of `wf`, its paused attempts, remove. */
export function WorkflowBreakpoints({ wf, link }) {
  const [list, setList] = useState(undefined);
  const [error, setError] = useState(undefined);
  const load = async () => {
    try {
      const { breakpoints } = await api(`/api/breakpoints?workflow=${enc(wf)}`);
      const withPaused = [];
      for (const b of breakpoints) withPaused.push({ ...b, paused: (await api(`/api/breakpoints/${enc(wf)}/${enc(b.stepId)}/paused`)).paused });
      setList(withPaused);
    } catch (e) {
      setError(e);
    }
  };
  useEffect(() => {
    load();
  }, [wf]);
  const run = async (fn) => {
    setError(undefined);
    try {
      await fn();
    } catch (e) {
      setError(e);
    }
    load();
  };
  return html`<div class="wf-breakpoints"><h3>Breakpoints</h3><${ErrorLine} error=${error} />
    ${list === undefined
      ? null
      : list.length === 0
        ? html`<p class="muted">none (set one from a step's panel on an instance page: "break here")</p>`
        : html`<table class="list"><thead><tr><th>step</th><th>since</th><th>paused attempts</th><th></th></tr></thead><tbody>
          ${list.map(
            (b) => html`<tr data-bp-step=${b.stepId}><td>${b.stepId}</td><td>${time(b.createdAtMs)}</td>
              <td>${b.paused.length === 0 ? html`<span class="muted">none</span>` : b.paused.map((p) => html`<div><a href=${instancePath(p.workflowId, p.instanceId)} onClick=${link}>${p.workflowId} #${p.instanceId}</a> attempt ${p.attempt}</div>`)}</td>
              <td><button class="bp-rm" onClick=${() => run(() => api(`/api/breakpoints/${enc(wf)}/${enc(b.stepId)}`, undefined, 'DELETE'))}>remove</button>
                <button class="bp-rm-resume" onClick=${() => run(() => api(`/api/breakpoints/${enc(wf)}/${enc(b.stepId)}?resume=true`, undefined, 'DELETE'))}>remove and resume</button></td></tr>`,
          )}</tbody></table>`}
  </div>`;
}
