/**
 * What the control plane (gRPC) and the CLI ask of an engine node. The embedded node and a
 * cluster node both implement it; on a cluster node, instance calls are forwarded to the owner.
 */
import type { SignalTriggersReply } from './signal-trigger-messages.js';
import type { WorkflowCreateRequest } from '../core/definition/model.js';
import type { InstanceChange, InstanceSummary, InstanceView } from '../core/instance/view.js';
import type { WorkflowStatus } from '../core/status.js';
import type { AnnounceReply, ListSignalsReply, SignalInstance, SignalRequest } from '../core/signals/model.js';

export type DefinitionFormat = 'json' | 'yaml';

export interface WorkflowVersionInfo {
  workflowId: string;
  version: number;
  isActive: boolean;
  activeVersion: number;
  createdAtMs: number;
  /** The definition as Maestro JSON ({properties, workflow, is_active, git_info?, ...extra_info}). */
  definitionJson: string;
  definition: WorkflowCreateRequest;
  /** The request's extra top-level fields (Maestro's extra_info); {} when none. */
  extraInfo: Record<string, unknown>;
}

export interface WorkflowSummary {
  workflowId: string;
  latestVersion: number;
  activeVersion: number;
  createdAtMs: number;
}

export interface StartRequest {
  workflowId: string;
  /** Absent or 0: the active version. */
  version?: number;
  /** Run params: name -> plain value (coerced to the declared type). */
  params?: Record<string, unknown>;
  /** Dedup key: a second start with the same request id returns the first instance. */
  requestId?: string;
}

export interface ListInstancesRequest {
  workflowId?: string;
  status?: WorkflowStatus;
  pageSize?: number;
  pageToken?: string;
}

export type RestartPolicy = 'RESTART_FROM_INCOMPLETE' | 'RESTART_FROM_BEGINNING' | 'RESTART_FROM_SPECIFIC';
import type { StepActionKind } from '../core/instance/events.js';
export type { StepActionKind };

/** A definition-level breakpoint (Maestro's StepBreakpoint with only workflow and step set). */
export interface Breakpoint {
  workflowId: string;
  stepId: string;
  createdAtMs: number;
}

/** A step attempt paused at a breakpoint. */
export interface PausedAttempt {
  workflowId: string;
  instanceId: number;
  runId: number;
  stepId: string;
  attempt: number;
  pausedAtMs: number;
}

import type { TimeTriggerSyncReply, TimeTriggersReply } from './time-trigger-messages.js';

export interface EngineApi {
  createWorkflow(text: string, format?: DefinitionFormat): Promise<WorkflowVersionInfo>;
  /** What a valid definition will still fail at when it runs here (step types with no runtime, nested templates). */
  runtimeWarnings(def: WorkflowCreateRequest): string[];
  /** Dry run: parses and validates; throws ValidationError naming the field. */
  validateWorkflow(text: string, format?: DefinitionFormat): Promise<WorkflowCreateRequest>;
  getWorkflow(workflowId: string, version?: number): Promise<WorkflowVersionInfo>;
  listWorkflows(): Promise<WorkflowSummary[]>;
  activateWorkflow(workflowId: string, version: number): Promise<WorkflowVersionInfo>;
  deleteWorkflow(workflowId: string): Promise<void>;
  /** No version is active any more (starts must name a version; triggers stop); the version that was active, 0 if none. */
  deactivateWorkflow(workflowId: string): Promise<number>;

  startWorkflow(req: StartRequest): Promise<InstanceView>;
  getInstance(workflowId: string, instanceId: number): Promise<InstanceView>;
  listInstances(req: ListInstancesRequest): Promise<{ instances: InstanceSummary[]; nextPageToken: string }>;
  /** Calls `onChange` for every change until the returned function is called. */
  watchInstance(workflowId: string, instanceId: number, onChange: (c: InstanceChange) => void): Promise<() => void>;
  /** watchInstance that also answers the instance as of the subscription: changes with `seq` <= `view.seq` are already in it. */
  watchWithSnapshot(workflowId: string, instanceId: number, onChange: (c: InstanceChange) => void): Promise<{ view: InstanceView; stop: () => void }>;
  /** The instance a start with this request id created; NotFoundError until that start exists. */
  findInstanceByRequestId(workflowId: string, requestId: string): Promise<number>;
  stop(workflowId: string, instanceId: number): Promise<InstanceView>;
  kill(workflowId: string, instanceId: number): Promise<InstanceView>;
  /** `stepId`: restart from that step (RESTART_FROM_SPECIFIC; `policy` must be it or absent). */
  restart(workflowId: string, instanceId: number, policy?: RestartPolicy, stepId?: string): Promise<InstanceView>;
  /** A step action on the latest run; `attempt` only for resume. */
  stepAction(workflowId: string, instanceId: number, stepId: string, action: StepActionKind, opts?: { attempt?: number; reason?: string }): Promise<InstanceView>;
  createBreakpoint(workflowId: string, stepId: string): Promise<Breakpoint>;
  /** Breakpoints of a workflow (all when absent), of one step when `stepId` is given. */
  listBreakpoints(workflowId?: string, stepId?: string): Promise<Breakpoint[]>;
  listPausedAttempts(workflowId: string, stepId: string): Promise<PausedAttempt[]>;
  /** Removes the breakpoint (NotFound if absent); with `resume`, resumes every attempt paused at it: returns how many. */
  deleteBreakpoint(workflowId: string, stepId: string, resume: boolean): Promise<number>;
  /** STRICT_SEQUENTIAL: the instance's FAILED run no longer blocks the queue (FAILED_PRECONDITION unless FAILED). */
  unblockInstance(workflowId: string, instanceId: number): Promise<InstanceView>;
  /** Unblocks every FAILED instance of the workflow; how many. */
  unblockWorkflow(workflowId: string): Promise<number>;
  /** Stop/kill every instance of the workflow: queued ones end directly, running ones are told. */
  terminateWorkflow(workflowId: string, action: 'stop' | 'kill', reason?: string): Promise<{ ended: number; terminating: number }>;
  /** Output params for a RUNNING step, from the job behind it; visible to later steps. */
  putStepOutputs(workflowId: string, instanceId: number, stepId: string, outputs: Record<string, unknown>): Promise<InstanceView>;
  /** Tag permits (§7): sets a tag's limit (max_allowed >= 0; 0 blocks); overrides a runtime tag's inline limit. */
  setTagPermit(tag: string, maxAllowed: number): Promise<TagPermit>;
  /** A tag's limit (if set), holders and waiters; a tag nobody uses shows zeros. */
  getTagPermit(tag: string): Promise<TagPermit>;
  /** Removes a tag's limit (NotFound when none is set): the inline limit (or none) applies again. */
  deleteTagPermit(tag: string): Promise<TagPermit>;
  /** Every tag with a limit, holders or waiters. */
  listTagPermits(): Promise<TagPermit[]>;
  /**
   * Signals (§8.1–8.2): announces a signal of `name`; answers the stored instance, with
   * `duplicate: true` when its instance id (request id, else name + params) was seen before.
   */
  sendSignal(name: string, signal: SignalRequest): Promise<AnnounceReply>;
  /** One instance of a signal by seq id (the latest when absent); NotFound when none. */
  getSignal(name: string, seqId?: number): Promise<SignalInstance>;
  /** Instances of a signal with seq > afterSeq, oldest first, at most `limit` (default 100, max 1000). */
  listSignals(name: string, afterSeq?: number, limit?: number): Promise<ListSignalsReply>;
  /** Time triggers (§10): definitions, timezone, jitter, watermark and the next `upcoming` fires (default 5). */
  getTimeTriggers(workflowId: string, upcoming?: number): Promise<TimeTriggersReply>;
  /** Re-reads the active version's time triggers and fires what is due now (the node's clock). */
  syncTimeTriggers(workflowId: string): Promise<TimeTriggerSyncReply>;
  /** Signal triggers (§9): the subscribed triggers of `~sigtrig/<workflowId>` with their checkpoints, and firing counts. */
  signalTriggers(workflowId: string): Promise<SignalTriggersReply>;
}

/** A tag as the permit manager knows it. */
export interface TagPermit {
  tag: string;
  /** Set through the API; absent: the inline limit of the steps that ask (or unlimited). */
  maxAllowed?: number;
  /** Step attempts holding a permit of it. */
  holders: number;
  /** Step attempts waiting for their permits that include it. */
  waiting: number;
}

/** What ClusterService shows: members, the partition map with epochs, and this node's health. */
export interface ClusterInfo {
  selfNodeId: string;
  mode: 'embedded' | 'cluster';
  members: Array<{ nodeId: string; grpcAddress: string; startedAtMs: number }>;
  /** Index = partition. `epoch` is the owner's fencing epoch (0 when unclaimed right now). */
  partitions: Array<{ partition: number; nodeId: string; epoch: number }>;
  health: { ownedPartitions: number; instancesInMemory: number; uptimeMs: number; membershipVersion: number };
}

export interface ClusterApi {
  clusterInfo(): Promise<ClusterInfo>;
}
