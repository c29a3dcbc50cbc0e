// Shared helpers of the web UI: the HTTP client, statuses and their colours, formatting.
import { h } from 'preact';
import htm from 'htm';

export const html = htm.bind(h);

/**
 * GET (no body), POST (a body) or `method` JSON; an error answer throws an Error whose message
 * names the field when there is one.
 */
export async function api(path, body, method) {
  const init = body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
  if (method) init.method = method;
  const res = await fetch(path, init);
  const text = await res.text();
  let data;
  try {
    data = text ? JSON.parse(text) : {};
  } catch {
    throw new Error(`${res.status}: ${text}`);
  }
  if (!res.ok) {
    const e = data.error ?? { message: text };
    throw new Error(`${res.status} ${e.kind ?? ''}: ${e.message}`);
  }
  return data;
}

export const enc = encodeURIComponent;
export const instancePath = (wf, id) => `/instances/${enc(wf)}/${id}`;

const COLOURS = {
  SUCCEEDED: '#2e7d32',
  COMPLETED_WITH_ERROR: '#689f38',
  RUNNING: '#1565c0',
  IN_PROGRESS: '#1565c0',
  STARTING: '#1e88e5',
  FINISHING: '#1e88e5',
  CREATED: '#78909c',
  INITIALIZED: '#78909c',
  EVALUATING_PARAMS: '#78909c',
  WAITING_FOR_SIGNALS: '#8e24aa',
  WAITING_FOR_PERMITS: '#8e24aa',
  PAUSED: '#f9a825',
  NOT_CREATED: '#b0bec5',
  DISABLED: '#b0bec5',
  UNSATISFIED: '#b0bec5',
  SKIPPED: '#90a4ae',
  STOPPED: '#ef6c00',
  USER_FAILED: '#c62828',
  PLATFORM_FAILED: '#c62828',
  FATALLY_FAILED: '#b71c1c',
  INTERNALLY_FAILED: '#b71c1c',
  TIMEOUT_FAILED: '#b71c1c',
  TIMED_OUT: '#b71c1c',
  FAILED: '#c62828',
};
export const colour = (s) => COLOURS[s] ?? '#607d8b';

export const WORKFLOW_STATUSES = ['CREATED', 'IN_PROGRESS', 'PAUSED', 'SUCCEEDED', 'FAILED', 'STOPPED', 'TIMED_OUT'];
const STEP_TERMINAL = new Set(['DISABLED', 'UNSATISFIED', 'SKIPPED', 'SUCCEEDED', 'COMPLETED_WITH_ERROR', 'USER_FAILED', 'PLATFORM_FAILED', 'FATALLY_FAILED', 'INTERNALLY_FAILED', 'STOPPED', 'TIMEOUT_FAILED', 'TIMED_OUT']);
/** An attempt in this status has ended (core/status.ts isStepTerminal). */
export const isStepTerminal = (s) => STEP_TERMINAL.has(s);
export const isTerminal = (s) => s === 'SUCCEEDED' || s === 'FAILED' || s === 'STOPPED' || s === 'TIMED_OUT';

export function Badge({ status }) {
  return html`<span class="badge" data-status=${status} style=${{ background: colour(status) }}>${status}</span>`;
}

export const time = (ms) => (ms ? new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '');
export const duration = (a, b) => (a && b ? `${((b - a) / 1000).toFixed(1)} s` : '');
export const json = (v) => JSON.stringify(v, null, 2);

/** "3 SUCCEEDED · 1 RUNNING" from a rollup's counts. */
export function counts(c) {
  return Object.entries(c ?? {})
    .filter(([, n]) => n > 0)
    .map(([s, n]) => html`<span class="count" style=${{ color: colour(s) }}>${n} ${s}</span>`);
}

export function ErrorLine({ error }) {
  return error ? html`<div class="error" role="alert">${String(error.message ?? error)}</div>` : null;
}
