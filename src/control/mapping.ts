/**
 * Core views <-> proto messages, both directions: the server sends views as messages, the
 * client turns messages back into the same views. Empty proto strings mean "absent" (undefined).
 * Dynamic values (params, outputs, details, payloads) travel as maps of the typed maestro.v1.Value
 * (value-mapping.ts): a view's declared param types pick the case (DOUBLE 3.0 stays a double),
 * other values are inferred (an integer is a long). Back on the client they are plain JS again.
 */
import type { TriggerInfo } from '../core/signals/model.js';
import { MaestroError } from '../core/errors.js';
import type { AggregatedInfo, AttemptView, InstanceChange, InstanceSummary, InstanceView, StepAggregatedView, StepView } from '../core/instance/view.js';
import type { WorkflowSummary, WorkflowVersionInfo } from '../workflow/engine-api.js';
import type * as pb from '../gen/maestro/v1/instance.js';
import { WorkflowStatus as PbWorkflowStatusEnum } from '../gen/maestro/v1/instance.js';
import type * as wpb from '../gen/maestro/v1/workflow.js';
import { runPolicies, stepStatuses, workflowStatuses } from './enums.js';
import { signalDependenciesFromProto, signalDependenciesToProto, signalOutputsFromProto, signalOutputsToProto } from './signal-mapping.js';
import { fromValueMap, toValueMap } from './value-mapping.js';
import { overviewFromProto, overviewToProto, parentFromProto, parentToProto, rollupFromProto, rollupToProto } from './overview-mapping.js';
import { rawStatusFromProto, runsFromProto, runsToProto } from './raw-status-mapping.js';

export type JsonObject = { [key: string]: unknown };

export function toPlainJson(value: unknown): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map((v) => (v === undefined ? null : toPlainJson(v)));
  if (value instanceof Map) return toPlainObject(Object.fromEntries(value));
  if (typeof value === 'object') return toPlainObject(value as Record<string, unknown>);
  return undefined; // functions, symbols, undefined
}

export function toPlainObject(record: Record<string, unknown> | undefined): JsonObject {
  const out: JsonObject = {};
  if (!record) return out;
  for (const [k, v] of Object.entries(record)) {
    const plain = toPlainJson(v);
    if (plain !== undefined) out[k] = plain;
  }
  return out;
}

const dateOf = (ms: number | undefined): Date | undefined => (ms === undefined ? undefined : new Date(ms));
const msOf = (d: Date | undefined): number | undefined => (d === undefined ? undefined : d.getTime());
const orEmpty = (s: string | undefined): string => s ?? '';
const orUndefined = (s: string): string | undefined => (s === '' ? undefined : s);

function fromEnum<N>(name: N | undefined, what: string, value: number): N {
  if (name === undefined) throw new MaestroError('internal', `server sent an unknown ${what} (${value})`);
  return name;
}

export function attemptToProto(a: AttemptView): pb.Attempt {
  return {
    attempt: a.attempt,
    attemptId: a.attemptId,
    status: stepStatuses.toProto(a.status),
    createdAt: dateOf(a.createdAtMs),
    startedAt: dateOf(a.startedAtMs),
    endedAt: dateOf(a.endedAtMs),
    error: orEmpty(a.error),
    outputs: a.outputs ? toValueMap(a.outputs, 'outputs') : {},
    stdout: orEmpty(a.stdout),
    stderr: orEmpty(a.stderr),
    details: a.details ? toValueMap(a.details, 'details') : {},
  };
}

export function attemptFromProto(a: pb.Attempt): AttemptView {
  const view: AttemptView = {
    attempt: a.attempt,
    attemptId: a.attemptId,
    status: fromEnum(stepStatuses.fromProto(a.status), 'step status', a.status),
    createdAtMs: msOf(a.createdAt) ?? 0,
  };
  if (a.startedAt) view.startedAtMs = a.startedAt.getTime();
  if (a.endedAt) view.endedAtMs = a.endedAt.getTime();
  if (a.error) view.error = a.error;
  if (Object.keys(a.outputs).length > 0) view.outputs = fromValueMap(a.outputs);
  if (a.stdout) view.stdout = a.stdout;
  if (a.stderr) view.stderr = a.stderr;
  if (Object.keys(a.details).length > 0) view.details = fromValueMap(a.details);
  return view;
}

export function stepToProto(s: StepView): pb.Step {
  return {
    stepId: s.stepId,
    stepType: s.stepType,
    status: stepStatuses.toProto(s.status),
    attempts: s.attempts.map(attemptToProto),
    params: toValueMap(s.params, 'params', s.paramTypes),
    outputs: toValueMap(s.outputs, 'outputs', s.paramTypes),
    startedAt: dateOf(s.startedAtMs),
    endedAt: dateOf(s.endedAtMs),
    overview: overviewToProto(s.overview),
    signalDependencies: signalDependenciesToProto(s.signalDependencies, toValueMap),
    signalOutputs: signalOutputsToProto(s.signalOutputs, toValueMap),
  };
}

export function stepFromProto(s: pb.Step): StepView {
  const view: StepView = {
    stepId: s.stepId,
    stepType: s.stepType,
    status: fromEnum(stepStatuses.fromProto(s.status), 'step status', s.status),
    attempts: s.attempts.map(attemptFromProto),
    params: fromValueMap(s.params),
    outputs: fromValueMap(s.outputs),
  };
  if (s.startedAt) view.startedAtMs = s.startedAt.getTime();
  if (s.endedAt) view.endedAtMs = s.endedAt.getTime();
  const overview = overviewFromProto(s.overview);
  if (overview) view.overview = overview;
  const deps = signalDependenciesFromProto(s.signalDependencies);
  if (deps) view.signalDependencies = deps;
  const outs = signalOutputsFromProto(s.signalOutputs);
  if (outs) view.signalOutputs = outs;
  return view;
}

function aggregatedToProto(a: AggregatedInfo | undefined): pb.AggregatedInfo | undefined {
  if (!a) return undefined;
  return {
    steps: a.steps.map((s) => ({ stepId: s.stepId, runId: s.runId ?? 0, status: stepStatuses.toProto(s.status), startedAt: dateOf(s.startedAtMs), endedAt: dateOf(s.endedAtMs) })),
    workflowInstanceStatus: workflowStatuses.toProto(a.workflowInstanceStatus),
  };
}

function aggregatedFromProto(a: pb.AggregatedInfo): AggregatedInfo {
  return {
    steps: a.steps.map((s) => {
      const v: StepAggregatedView = { stepId: s.stepId, status: fromEnum(stepStatuses.fromProto(s.status), 'step status', s.status) };
      if (s.runId > 0) v.runId = s.runId;
      if (s.startedAt) v.startedAtMs = s.startedAt.getTime();
      if (s.endedAt) v.endedAtMs = s.endedAt.getTime();
      return v;
    }),
    workflowInstanceStatus: fromEnum(workflowStatuses.fromProto(a.workflowInstanceStatus), 'workflow status', a.workflowInstanceStatus),
  };
}

function triggerToProto(t: TriggerInfo | undefined): pb.TriggerInfo | undefined {
  if (!t) return undefined;
  if (t.kind === 'TIME') {
    return { kind: t.kind, triggerUuid: t.triggerUuid, triggerTime: dateOf(t.triggerTimeMs), timezone: t.timezone, signalIds: {}, signalParams: {}, params: {} };
  }
  return { kind: t.kind, triggerUuid: t.triggerUuid, triggerTime: undefined, timezone: '', signalIds: t.signalIds, signalParams: toValueMap(t.signalParams, 'signal_params'), params: toValueMap(t.params, 'params') };
}

function triggerFromProto(p: pb.TriggerInfo | undefined): TriggerInfo | undefined {
  if (!p) return undefined;
  if (p.kind === 'TIME') return { kind: 'TIME', triggerUuid: p.triggerUuid, triggerTimeMs: msOf(p.triggerTime) ?? 0, timezone: p.timezone };
  if (p.kind === 'SIGNAL') {
    return { kind: 'SIGNAL', triggerUuid: p.triggerUuid, signalIds: p.signalIds, signalParams: fromValueMap(p.signalParams) as Record<string, Record<string, number | string>>, params: fromValueMap(p.params) };
  }
  return undefined;
}

export function instanceToProto(v: InstanceView): pb.Instance {
  return {
    workflowId: v.workflowId,
    instanceId: v.instanceId,
    runId: v.runId,
    version: v.version,
    status: workflowStatuses.toProto(v.status),
    runPolicy: runPolicies.toProto(v.runPolicy),
    requestId: orEmpty(v.requestId),
    params: toValueMap(v.params, 'params', v.paramTypes),
    steps: v.steps.map(stepToProto),
    createdAt: dateOf(v.createdAtMs),
    startedAt: dateOf(v.startedAtMs),
    endedAt: dateOf(v.endedAtMs),
    error: orEmpty(v.error),
    replayError: orEmpty(v.replayError),
    rollup: rollupToProto(v.rollup),
    initiator: v.initiator,
    trigger: triggerToProto(v.trigger),
    parent: parentToProto(v.parent),
    depth: v.depth,
    correlationId: v.correlationId,
    runStatus: v.runStatus === undefined ? PbWorkflowStatusEnum.WORKFLOW_STATUS_UNSPECIFIED : workflowStatuses.toProto(v.runStatus),
    aggregatedInfo: aggregatedToProto(v.aggregatedInfo),
    rawStatus: orEmpty(v.rawStatus),
    runs: runsToProto(v.runs),
  };
}

export function instanceFromProto(p: pb.Instance): InstanceView {
  const view: InstanceView = {
    workflowId: p.workflowId,
    instanceId: p.instanceId,
    runId: p.runId,
    version: p.version,
    status: fromEnum(workflowStatuses.fromProto(p.status), 'workflow status', p.status),
    runPolicy: fromEnum(runPolicies.fromProto(p.runPolicy), 'run policy', p.runPolicy),
    params: fromValueMap(p.params),
    steps: p.steps.map(stepFromProto),
    createdAtMs: msOf(p.createdAt) ?? 0,
    rollup: rollupFromProto(p.rollup),
    initiator: p.initiator || 'MANUAL',
    depth: p.depth,
    correlationId: p.correlationId,
  };
  const parent = parentFromProto(p.parent);
  if (parent) view.parent = parent;
  const trigger = triggerFromProto(p.trigger);
  if (trigger) view.trigger = trigger;
  if (p.requestId) view.requestId = p.requestId;
  if (p.startedAt) view.startedAtMs = p.startedAt.getTime();
  if (p.endedAt) view.endedAtMs = p.endedAt.getTime();
  if (p.error) view.error = p.error;
  if (p.replayError) view.replayError = p.replayError;
  const runStatus = workflowStatuses.fromProto(p.runStatus);
  if (runStatus !== undefined) view.runStatus = runStatus;
  if (p.aggregatedInfo) view.aggregatedInfo = aggregatedFromProto(p.aggregatedInfo);
  const rawStatus = rawStatusFromProto(p.rawStatus);
  if (rawStatus !== undefined) view.rawStatus = rawStatus;
  if (p.runs.length > 0) view.runs = runsFromProto(p.runs);
  return view;
}

export function summaryToProto(s: InstanceSummary): pb.InstanceSummary {
  return {
    workflowId: s.workflowId,
    instanceId: s.instanceId,
    runId: s.runId,
    version: s.version,
    status: workflowStatuses.toProto(s.status),
    createdAt: dateOf(s.createdAtMs),
    endedAt: dateOf(s.endedAtMs),
    rawStatus: orEmpty(s.rawStatus),
  };
}

export function summaryFromProto(p: pb.InstanceSummary): InstanceSummary {
  const s: InstanceSummary = {
    workflowId: p.workflowId,
    instanceId: p.instanceId,
    runId: p.runId,
    version: p.version,
    status: fromEnum(workflowStatuses.fromProto(p.status), 'workflow status', p.status),
    createdAtMs: msOf(p.createdAt) ?? 0,
  };
  if (p.endedAt) s.endedAtMs = p.endedAt.getTime();
  const rawStatus = rawStatusFromProto(p.rawStatus);
  if (rawStatus !== undefined) s.rawStatus = rawStatus;
  return s;
}

export function changeToProto(c: InstanceChange): pb.InstanceChange {
  return {
    workflowId: c.workflowId,
    instanceId: c.instanceId,
    runId: c.runId,
    at: new Date(c.atMs),
    stepId: orEmpty(c.stepId),
    attempt: c.attempt ?? 0,
    status: c.status,
    message: orEmpty(c.message),
    snapshot: undefined,
    seq: c.seq ?? 0,
  };
}

export function changeFromProto(p: pb.InstanceChange): InstanceChange {
  const c: InstanceChange = {
    workflowId: p.workflowId,
    instanceId: p.instanceId,
    runId: p.runId,
    atMs: msOf(p.at) ?? 0,
    status: p.status,
  };
  const stepId = orUndefined(p.stepId);
  if (stepId !== undefined) c.stepId = stepId;
  if (p.attempt) c.attempt = p.attempt;
  const message = orUndefined(p.message);
  if (message !== undefined) c.message = message;
  if (p.seq > 0) c.seq = p.seq;
  return c;
}

/** A change as a watch delivers it: the first one carries the whole instance (`snapshot`). */
export type WatchedChange = InstanceChange & { snapshot?: InstanceView };

export function watchedChangeFromProto(p: pb.InstanceChange): WatchedChange {
  const c: WatchedChange = changeFromProto(p);
  if (p.snapshot) c.snapshot = instanceFromProto(p.snapshot);
  return c;
}

/** A stored workflow version as the client sees it: the typed model stays on the server. */
export type WorkflowInfo = Omit<WorkflowVersionInfo, 'definition'>;

export function workflowVersionToProto(w: WorkflowVersionInfo | WorkflowInfo): wpb.WorkflowVersion {
  return {
    workflowId: w.workflowId,
    version: w.version,
    isActive: w.isActive,
    activeVersion: w.activeVersion,
    createdAt: new Date(w.createdAtMs),
    definitionJson: w.definitionJson,
    extraInfo: JSON.stringify(w.extraInfo),
  };
}

export function workflowVersionFromProto(p: wpb.WorkflowVersion | undefined): WorkflowInfo {
  if (!p) throw new MaestroError('internal', 'server sent no workflow');
  return {
    workflowId: p.workflowId,
    version: p.version,
    isActive: p.isActive,
    activeVersion: p.activeVersion,
    createdAtMs: msOf(p.createdAt) ?? 0,
    definitionJson: p.definitionJson,
    extraInfo: extraInfoFromProto(p.extraInfo),
  };
}

/** extra_info: a JSON object, or empty from a server that predates the field. */
function extraInfoFromProto(text: string): Record<string, unknown> {
  if (text === '') return {};
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new MaestroError('internal', `server sent extra_info that is not JSON: ${(err as Error).message}`, { cause: err });
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new MaestroError('internal', 'server sent extra_info that is not a JSON object');
  return v as Record<string, unknown>;
}

export function workflowSummaryToProto(s: WorkflowSummary): wpb.WorkflowSummary {
  return {
    workflowId: s.workflowId,
    latestVersion: s.latestVersion,
    activeVersion: s.activeVersion,
    createdAt: new Date(s.createdAtMs),
  };
}

export function workflowSummaryFromProto(p: wpb.WorkflowSummary): WorkflowSummary {
  return {
    workflowId: p.workflowId,
    latestVersion: p.latestVersion,
    activeVersion: p.activeVersion,
    createdAtMs: msOf(p.createdAt) ?? 0,
  };
}
