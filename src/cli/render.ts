/** Text the CLI prints: progress lines, the step table, instance and list tables. */
import type { InstanceChange, InstanceSummary, InstanceView, StepView } from '../core/instance/view.js';
import type { WorkflowSummary } from '../workflow/engine-api.js';
import { compositeLines } from './render-loops.js';
import { signalLines } from './render-signals.js';

export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) return '-';
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)}s`;
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : `${m}m${String(s % 60).padStart(2, '0')}s`;
}

/** Elapsed seconds since `originMs`, fixed width so lines align. */
export function elapsed(atMs: number, originMs: number): string {
  return `${(Math.max(0, atMs - originMs) / 1000).toFixed(2).padStart(7)}s`;
}

export function progressLine(c: InstanceChange, originMs: number): string {
  const what = c.stepId === undefined ? 'workflow' : `step ${c.stepId}`;
  const attempt = c.stepId !== undefined && c.attempt !== undefined && c.attempt > 1 ? ` (attempt ${c.attempt})` : '';
  const message = c.message && c.message !== 'snapshot' ? `: ${c.message}` : '';
  return `[${elapsed(c.atMs, originMs)}] ${what} ${c.status}${attempt}${message}`;
}

export function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

function stepDuration(s: StepView, nowMs: number): number | undefined {
  if (s.startedAtMs === undefined) return undefined;
  return (s.endedAtMs ?? nowMs) - s.startedAtMs;
}

export function stepTable(view: InstanceView, nowMs = Date.now()): string[] {
  return table(
    ['STEP', 'TYPE', 'STATUS', 'ATTEMPTS', 'DURATION'],
    view.steps.map((s) => [s.stepId, s.stepType, s.status, String(s.attempts.length), formatDuration(stepDuration(s, nowMs))]),
  );
}

/** Why the run failed: the run's error, then each failed step's last attempt error. */
export function failureLines(view: InstanceView): string[] {
  const lines: string[] = [];
  if (view.replayError) lines.push(`held read-only: ${view.replayError}`);
  if (view.error) lines.push(`error: ${view.error}`);
  for (const s of view.steps) {
    const last = s.attempts.at(-1);
    if (last?.error) lines.push(`  step ${s.stepId} (attempt ${last.attempt}): ${last.error}`);
  }
  return lines;
}

export function statusLine(view: InstanceView, nowMs = Date.now()): string {
  const start = view.startedAtMs ?? view.createdAtMs;
  const took = view.endedAtMs === undefined ? `running for ${formatDuration(nowMs - start)}` : `in ${formatDuration(view.endedAtMs - start)}`;
  const raw = view.rawStatus !== undefined && view.rawStatus !== view.status ? ` (raw ${view.rawStatus}${view.rawStatus === 'FAILED_1' ? ': unblocked' : ''})` : '';
  return `workflow ${view.workflowId} instance ${view.instanceId} run ${view.runId}: ${view.status}${raw} ${took}`;
}

export function instanceReport(view: InstanceView, nowMs = Date.now()): string[] {
  const composite = compositeLines(view);
  return [...stepTable(view, nowMs), ...composite, ...signalLines(view), '', statusLine(view, nowMs), ...failureLines(view), ...aggregatedLines(view)];
}

/** After a restart: every step as its latest run left it, and the status over all runs. */
function aggregatedLines(view: InstanceView): string[] {
  const agg = view.aggregatedInfo;
  if (!agg || view.runId <= 1) return [];
  const runStatus = view.runStatus === undefined ? '' : ` (run ${view.runId} itself: ${view.runStatus})`;
  return [
    '',
    `aggregated over runs: ${agg.workflowInstanceStatus}${runStatus}`,
    ...table(['STEP', 'RUN', 'STATUS'], agg.steps.map((s) => [s.stepId, s.runId === undefined ? '-' : String(s.runId), s.status])),
    ...runLines(view),
  ];
}

/** Every run with its raw status (FAILED_1: unblocked, FAILED_2: restarted; both show FAILED). */
function runLines(view: InstanceView): string[] {
  if (!view.runs || view.runs.length <= 1) return [];
  return ['', 'runs:', ...table(['RUN', 'STATUS', 'RAW', 'STARTED', 'ENDED'], view.runs.map((r) => [String(r.runId), r.status, r.rawStatus, iso(r.startedAtMs), iso(r.endedAtMs)]))];
}

const iso = (ms: number | undefined): string => (ms === undefined ? '-' : new Date(ms).toISOString());

export function instanceListTable(rows: InstanceSummary[]): string[] {
  return table(
    ['WORKFLOW', 'INSTANCE', 'RUN', 'VERSION', 'STATUS', 'CREATED', 'ENDED'],
    rows.map((r) => [r.workflowId, String(r.instanceId), String(r.runId), String(r.version), r.rawStatus ? `${r.status} (raw ${r.rawStatus})` : r.status, iso(r.createdAtMs), iso(r.endedAtMs)]),
  );
}

export function workflowListTable(rows: WorkflowSummary[]): string[] {
  return table(
    ['WORKFLOW', 'LATEST', 'ACTIVE', 'CREATED'],
    rows.map((r) => [r.workflowId, String(r.latestVersion), r.activeVersion ? String(r.activeVersion) : '-', iso(r.createdAtMs)]),
  );
}
