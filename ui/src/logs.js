// An attempt's stdout/stderr in the step panel. An ended attempt shows what was kept with it; a
// running one streams (SSE /api/instances/WF/ID/steps/STEP/logs?attempt=N): what the node holds
// first, then lines as the attempt writes them, wherever it runs, until the `end` event.
import { useEffect, useState } from 'preact/hooks';
import { html, enc, isStepTerminal } from './util.js';

export function AttemptLogs({ instKey, stepId, attempt }) {
  const [endedAtMount] = useState(() => isStepTerminal(attempt.status)); // decided once: a stream runs to its own end
  const [live, setLive] = useState({ stdout: '', stderr: '', state: endedAtMount ? 'kept' : 'connecting', truncated: false });
  useEffect(() => {
    if (endedAtMount) return undefined;
    const i = instKey.lastIndexOf('/');
    const es = new EventSource(`/api/instances/${enc(instKey.slice(0, i))}/${instKey.slice(i + 1)}/steps/${enc(stepId)}/logs?attempt=${attempt.attempt}`);
    // every (re)connection starts again from what the node holds: `attempt` resets the text
    es.addEventListener('attempt', () => setLive({ stdout: '', stderr: '', state: 'live', truncated: false }));
    es.addEventListener('log', (ev) => {
      const c = JSON.parse(ev.data);
      setLive((l) => ({ ...l, [c.stream]: l[c.stream] + c.text, truncated: l.truncated || c.truncated }));
    });
    es.addEventListener('end', () => {
      es.close();
      setLive((l) => ({ ...l, state: 'ended' }));
    });
    es.addEventListener('failure', (ev) => {
      es.close();
      setLive((l) => ({ ...l, state: `failed: ${JSON.parse(ev.data).message}` }));
    });
    es.onerror = () => setLive((l) => (l.state === 'ended' || l.state.startsWith('failed') ? l : { ...l, state: 'reconnecting' }));
    return () => es.close();
  }, []);
  const stdout = endedAtMount ? attempt.stdout : live.stdout;
  const stderr = endedAtMount ? attempt.stderr : live.stderr;
  return html`<div class="logs" data-log-state=${live.state}>
    <h4>Logs of attempt ${attempt.attempt} <span class="muted">${live.state === 'kept' ? '' : live.state}${live.truncated ? ' · earlier output cut' : ''}</span></h4>
    <div class="muted">stdout</div><pre class="log" data-stream="stdout">${stdout || '(none)'}</pre>
    <div class="muted">stderr</div><pre class="log" data-stream="stderr">${stderr || '(none)'}</pre>
  </div>`;
}
