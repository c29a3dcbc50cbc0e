/**
 * A typed, promise-based client for a node's gRPC API. Results are the same core views the
 * engine returns (InstanceView, InstanceSummary, InstanceChange); failures are ControlErrors
 * carrying the server's error kind, field path and retryability.
 */
import * as grpc from '@grpc/grpc-js';
import type { InstanceChange, InstanceSummary, InstanceView } from '../core/instance/view.js';
import type { TagPermit } from '../workflow/engine-api.js';
import type { Breakpoint, ClusterInfo, DefinitionFormat, ListInstancesRequest, PausedAttempt, RestartPolicy, StartRequest, StepActionKind, WorkflowSummary } from '../workflow/engine-api.js';
import { StepServiceClient } from '../gen/maestro/v1/actions.js';
import { breakpointFromProto, pausedFromProto, stepActionToProto } from './step-service.js';
import { InstanceServiceClient, WorkflowServiceClient } from '../gen/maestro/v1/service.js';
import { ClusterServiceClient } from '../gen/maestro/v1/cluster.js';
import { bearerTokenInterceptor } from './auth.js';
import { GRPC_SERVER_DEFAULTS, formatBytes } from './server-defaults.js';
import { ValidationError } from '../core/errors.js';
import { channelCredentials, type ClientTlsOptions } from './tls.js';
import { clusterInfoFromProto } from './cluster-service.js';
import { tagPermitFromProto } from './tag-permit-service.js';
import { TagPermitServiceClient } from '../gen/maestro/v1/permits.js';
import { SignalServiceClient } from '../gen/maestro/v1/signals.js';
import { readSignalParams } from '../core/signals/encode.js';
import { signalInstanceFromProto, signalParamsToProto } from './signal-service.js';
import type { ListSignalsReply, SignalInstance, SignalRequest } from '../core/signals/model.js';
import { TriggerServiceClient } from '../gen/maestro/v1/triggers.js';
import { triggersFromProto, type WorkflowTriggers } from './trigger-service.js';
import { TerminateAction, WorkflowStatus as PbWorkflowStatus, type InstanceChange as PbInstanceChange } from '../gen/maestro/v1/instance.js';
import { formatToProto, restartPolicyToProto, workflowStatuses } from './enums.js';
import { ControlError, fromServiceError } from './errors.js';
import {
  instanceFromProto,
  summaryFromProto,
  watchedChangeFromProto,
  workflowSummaryFromProto,
  workflowVersionFromProto,
  type WatchedChange,
  type WorkflowInfo,
} from './mapping.js';
import { toValueMap } from './value-mapping.js';
import type { StartWorkflowRequest as PbStartWorkflowRequest, WatchInstanceRequest as PbWatchInstanceRequest } from '../gen/maestro/v1/instance.js';

export type { WatchedChange, WorkflowInfo } from './mapping.js';

export interface ValidationSummary {
  workflowId: string;
  stepIds: string[];
  isActive: boolean;
  /** What the definition will still fail at when it runs there (step types with no runtime...). */
  warnings: string[];
}

export type HealthStatus = 'UNKNOWN' | 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN';

export interface ControlClientOptions {
  /** Deadline of each unary call. Default 30000. */
  callTimeoutMs?: number;
  /** Connect with TLS (plaintext when absent). */
  tls?: ClientTlsOptions;
  /** Sent as `authorization: Bearer <token>` on every call. */
  token?: string;
  /**
   * Largest message sent or received; default 16 MiB, the server's default (grpcMaxMessageBytes).
   * A definition bigger than this is refused before it is sent, naming the limit.
   */
  maxMessageBytes?: number;
}

export interface ControlClient {
  readonly address: string;
  createWorkflow(text: string, format?: DefinitionFormat): Promise<WorkflowInfo & { warnings: string[] }>;
  validateWorkflow(text: string, format?: DefinitionFormat): Promise<ValidationSummary>;
  getWorkflow(workflowId: string, version?: number): Promise<WorkflowInfo>;
  listWorkflows(): Promise<WorkflowSummary[]>;
  activateWorkflow(workflowId: string, version: number): Promise<WorkflowInfo>;
  deleteWorkflow(workflowId: string): Promise<void>;
  /** No version is active any more; the version that was active (0: none was). */
  deactivateWorkflow(workflowId: string): Promise<number>;
  startWorkflow(req: StartRequest): Promise<InstanceView>;
  getInstance(workflowId: string, instanceId: number): Promise<InstanceView>;
  listInstances(req: ListInstancesRequest): Promise<{ instances: InstanceSummary[]; nextPageToken: string }>;
  /**
   * The snapshot (the first change, its `snapshot` the whole instance), then every later change;
   * ends after a terminal workflow status. Breaking out cancels. `instance`: an instance id, or
   * `{ requestId }` for the instance a start with that request id created (NOT_FOUND until it exists).
   */
  watch(workflowId: string, instance: number | { requestId: string }): AsyncGenerator<WatchedChange, void, undefined>;
  /** StartWorkflow and watch in one call: the snapshot right after the start, then every change until the run ends. */
  startAndWatch(req: StartRequest): AsyncGenerator<WatchedChange, void, undefined>;
  /** Callback form of watch(); `onEnd` gets the error if the stream failed (without `onEnd`, the error is thrown). Returns a canceller. */
  watchInstance(
    workflowId: string,
    instanceId: number,
    onChange: (c: WatchedChange) => void,
    onEnd?: (err?: ControlError) => void,
  ): Promise<() => void>;
  stop(workflowId: string, instanceId: number): Promise<InstanceView>;
  kill(workflowId: string, instanceId: number): Promise<InstanceView>;
  /** `stepId`: restart from that step (RESTART_FROM_SPECIFIC; leave `policy` undefined). */
  restart(workflowId: string, instanceId: number, policy?: RestartPolicy, stepId?: string): Promise<InstanceView>;
  stepAction(workflowId: string, instanceId: number, stepId: string, action: StepActionKind, opts?: { attempt?: number; reason?: string }): Promise<InstanceView>;
  createBreakpoint(workflowId: string, stepId: string): Promise<Breakpoint>;
  listBreakpoints(workflowId?: string, stepId?: string): Promise<Breakpoint[]>;
  listPausedAttempts(workflowId: string, stepId: string): Promise<PausedAttempt[]>;
  deleteBreakpoint(workflowId: string, stepId: string, resume: boolean): Promise<number>;
  /** Output params for a RUNNING step (FAILED_PRECONDITION otherwise); returns the instance. */
  putStepOutputs(workflowId: string, instanceId: number, stepId: string, outputs: Record<string, unknown>): Promise<InstanceView>;
  /** STRICT_SEQUENTIAL unblock of one FAILED instance (FAILED_PRECONDITION otherwise). */
  unblockInstance(workflowId: string, instanceId: number): Promise<InstanceView>;
  /** Unblocks every FAILED instance of the workflow; how many. */
  unblockWorkflow(workflowId: string): Promise<number>;
  /** Stop/kill every instance of the workflow: queued ones end directly, running ones are told. */
  terminateWorkflow(workflowId: string, action: 'stop' | 'kill', reason?: string): Promise<{ ended: number; terminating: number }>;
  /** ClusterService: members, the partition map with epochs, and the answering node's health. */
  clusterInfo(): Promise<ClusterInfo>;
  /** TagPermitService (§7): a tag's limit (0 blocks), its holders and waiters. */
  setTagPermit(tag: string, maxAllowed: number): Promise<TagPermit>;
  getTagPermit(tag: string): Promise<TagPermit>;
  deleteTagPermit(tag: string): Promise<TagPermit>;
  listTagPermits(): Promise<TagPermit[]>;
  /** SignalService (§8): announce (a duplicate is a ControlError of kind already_exists), get (latest when no seq), list. */
  sendSignal(name: string, signal: SignalRequest): Promise<SignalInstance>;
  getSignal(name: string, seqId?: number): Promise<SignalInstance>;
  listSignals(name: string, afterSeq?: number, limit?: number): Promise<ListSignalsReply>;
  /** TriggerService (§9-10): a workflow's time triggers (jitter, watermark, next `upcoming` fires) and signal triggers. */
  getTriggers(workflowId: string, upcoming?: number): Promise<WorkflowTriggers>;
  /** Re-reads the active version's time triggers and starts the fires due now. */
  syncTimeTriggers(workflowId: string): Promise<{ subscribed: boolean; fired: number }>;
  /** grpc.health.v1 Check; '' asks about the server as a whole. */
  checkHealth(service?: string): Promise<HealthStatus>;
  close(): void;
}

type UnaryMethod<Req, Res> = (
  req: Req,
  md: grpc.Metadata,
  opts: Partial<grpc.CallOptions>,
  cb: (err: grpc.ServiceError | null, res: Res) => void,
) => grpc.ClientUnaryCall;

function isServiceError(e: unknown): e is grpc.ServiceError {
  return e instanceof Error && typeof (e as Partial<grpc.ServiceError>).code === 'number';
}

/** grpc-health-check parses its .proto on import: load it on first use, not with the CLI. */
let healthClientClass: Promise<grpc.ServiceClientConstructor> | undefined;
const healthClientConstructor = (): Promise<grpc.ServiceClientConstructor> =>
  (healthClientClass ??= import('grpc-health-check').then((m) => grpc.makeGenericClientConstructor(m.service, 'grpc.health.v1.Health')));

export function createControlClient(address: string, opts: ControlClientOptions = {}): ControlClient {
  const timeoutMs = opts.callTimeoutMs ?? 30_000;
  const creds = channelCredentials(opts.tls);
  const interceptors = opts.token === undefined ? [] : [bearerTokenInterceptor(opts.token)];
  const maxMessageBytes = opts.maxMessageBytes ?? GRPC_SERVER_DEFAULTS.maxMessageBytes;
  const workflows = new WorkflowServiceClient(address, creds, {
    interceptors,
    'grpc.max_send_message_length': maxMessageBytes,
    'grpc.max_receive_message_length': maxMessageBytes,
  });
  /** A definition that cannot fit in one message: refused here, naming the limit, instead of by the transport. */
  const checkDefinitionSize = (text: string): void => {
    const bytes = Buffer.byteLength(text, 'utf8');
    // The request carries a few bytes besides the definition (its format, field tags).
    if (bytes + 64 > maxMessageBytes) {
      throw new ValidationError('definition', `is ${formatBytes(bytes)}; the limit is ${formatBytes(maxMessageBytes)} per gRPC message (grpcMaxMessageBytes on the server, maxMessageBytes in this client)`);
    }
  };
  const channel = workflows.getChannel();
  const instances = new InstanceServiceClient(address, creds, { channelOverride: channel, interceptors });
  const cluster = new ClusterServiceClient(address, creds, { channelOverride: channel, interceptors });
  const steps = new StepServiceClient(address, creds, { channelOverride: channel, interceptors });
  const permits = new TagPermitServiceClient(address, creds, { channelOverride: channel, interceptors });
  const signals = new SignalServiceClient(address, creds, { channelOverride: channel, interceptors });
  const triggers = new TriggerServiceClient(address, creds, { channelOverride: channel, interceptors });

  function call<Req, Res>(client: grpc.Client, method: UnaryMethod<Req, Res>, req: Req): Promise<Res> {
    return new Promise((resolve, reject) => {
      method.call(client, req, new grpc.Metadata(), { deadline: Date.now() + timeoutMs }, (err, res) => {
        if (err) reject(fromServiceError(err));
        else resolve(res);
      });
    });
  }

  const startRequestToProto = (req: StartRequest): PbStartWorkflowRequest => ({
    workflowId: req.workflowId,
    version: req.version ?? 0,
    params: toValueMap(req.params ?? {}, 'params'),
    requestId: req.requestId ?? '',
  });

  const watchRequest = (workflowId: string, instance: number | { requestId: string }): PbWatchInstanceRequest =>
    typeof instance === 'number' ? { workflowId, instanceId: instance, requestId: '' } : { workflowId, instanceId: 0, requestId: instance.requestId };

  const watch = (workflowId: string, instance: number | { requestId: string }) => changes(instances.watchInstance(watchRequest(workflowId, instance)));

  async function* changes(stream: grpc.ClientReadableStream<PbInstanceChange>): AsyncGenerator<WatchedChange, void, undefined> {
    try {
      for await (const msg of stream) yield watchedChangeFromProto(msg as PbInstanceChange);
    } catch (err) {
      throw isServiceError(err) ? fromServiceError(err) : err;
    } finally {
      // The consumer stopped early or the stream is over: cancel it. The iterator no longer
      // listens, so absorb the CANCELLED error this causes (it must not become an uncaught one).
      stream.on('error', () => {});
      stream.cancel();
    }
  }

  return {
    address,
    async createWorkflow(text, format) {
      checkDefinitionSize(text);
      const res = await call(workflows, workflows.createWorkflow, { definition: text, format: formatToProto(format) });
      return { ...workflowVersionFromProto(res.workflow), warnings: res.warnings };
    },
    async validateWorkflow(text, format) {
      checkDefinitionSize(text);
      const res = await call(workflows, workflows.validateWorkflow, { definition: text, format: formatToProto(format) });
      return { workflowId: res.workflowId, stepIds: res.stepIds, isActive: res.isActive, warnings: res.warnings };
    },
    async getWorkflow(workflowId, version) {
      const res = await call(workflows, workflows.getWorkflow, { workflowId, version: version ?? 0 });
      return workflowVersionFromProto(res.workflow);
    },
    async listWorkflows() {
      const res = await call(workflows, workflows.listWorkflows, {});
      return res.workflows.map(workflowSummaryFromProto);
    },
    async activateWorkflow(workflowId, version) {
      const res = await call(workflows, workflows.activateWorkflow, { workflowId, version });
      return workflowVersionFromProto(res.workflow);
    },
    async deactivateWorkflow(workflowId) {
      return Number((await call(workflows, workflows.deactivateWorkflow, { workflowId })).deactivatedVersion);
    },
    async deleteWorkflow(workflowId) {
      await call(workflows, workflows.deleteWorkflow, { workflowId });
    },
    async startWorkflow(req) {
      const res = await call(instances, instances.startWorkflow, startRequestToProto(req));
      return instanceFromProto(expectInstance(res.instance));
    },
    startAndWatch(req) {
      return changes(instances.startAndWatch(startRequestToProto(req)));
    },
    async getInstance(workflowId, instanceId) {
      const res = await call(instances, instances.getInstance, { workflowId, instanceId });
      return instanceFromProto(expectInstance(res.instance));
    },
    async listInstances(req) {
      const res = await call(instances, instances.listInstances, {
        workflowId: req.workflowId ?? '',
        status: req.status === undefined ? PbWorkflowStatus.WORKFLOW_STATUS_UNSPECIFIED : workflowStatuses.toProto(req.status),
        pageSize: req.pageSize ?? 0,
        pageToken: req.pageToken ?? '',
      });
      return { instances: res.instances.map(summaryFromProto), nextPageToken: res.nextPageToken };
    },
    watch,
    async watchInstance(workflowId, instanceId, onChange, onEnd) {
      const stream = instances.watchInstance(watchRequest(workflowId, instanceId));
      let cancelled = false;
      let ended = false;
      const finish = (err?: ControlError): void => {
        if (ended) return;
        ended = true;
        if (onEnd) onEnd(err);
        else if (err) throw err;
      };
      stream.on('data', (msg: PbInstanceChange) => {
        if (!cancelled) onChange(watchedChangeFromProto(msg));
      });
      stream.on('end', () => finish());
      stream.on('error', (err: unknown) => {
        if (cancelled) finish();
        else finish(isServiceError(err) ? fromServiceError(err) : new ControlError('internal', grpc.status.INTERNAL, String(err), { cause: err }));
      });
      return () => {
        cancelled = true;
        stream.cancel();
      };
    },
    async stop(workflowId, instanceId) {
      const res = await call(instances, instances.stopInstance, { workflowId, instanceId });
      return instanceFromProto(expectInstance(res.instance));
    },
    async kill(workflowId, instanceId) {
      const res = await call(instances, instances.killInstance, { workflowId, instanceId });
      return instanceFromProto(expectInstance(res.instance));
    },
    async restart(workflowId, instanceId, policy, stepId) {
      const res = await call(instances, instances.restartInstance, { workflowId, instanceId, policy: restartPolicyToProto(policy), restartFromStep: stepId ?? '' });
      return instanceFromProto(expectInstance(res.instance));
    },
    async stepAction(workflowId, instanceId, stepId, action, opts = {}) {
      if (action === 'resume') {
        const res = await call(steps, steps.resumeAttempt, { workflowId, instanceId, stepId, attempt: opts.attempt ?? 0 });
        return instanceFromProto(expectInstance(res.instance));
      }
      const res = await call(steps, steps.stepAction, { workflowId, instanceId, stepId, action: stepActionToProto(action), reason: opts.reason ?? '' });
      return instanceFromProto(expectInstance(res.instance));
    },
    async createBreakpoint(workflowId, stepId) {
      const res = await call(steps, steps.createBreakpoint, { workflowId, stepId });
      if (!res.breakpoint) throw new ControlError('internal', grpc.status.INTERNAL, 'server sent no breakpoint', {});
      return breakpointFromProto(res.breakpoint);
    },
    async listBreakpoints(workflowId, stepId) {
      const res = await call(steps, steps.listBreakpoints, { workflowId: workflowId ?? '', stepId: stepId ?? '' });
      return res.breakpoints.map(breakpointFromProto);
    },
    async listPausedAttempts(workflowId, stepId) {
      const res = await call(steps, steps.listPausedAttempts, { workflowId, stepId });
      return res.attempts.map(pausedFromProto);
    },
    async deleteBreakpoint(workflowId, stepId, resume) {
      return (await call(steps, steps.deleteBreakpoint, { workflowId, stepId, resume })).resumed;
    },
    async putStepOutputs(workflowId, instanceId, stepId, outputs) {
      const res = await call(instances, instances.putStepOutputs, { workflowId, instanceId, stepId, outputs: toValueMap(outputs, 'outputs') });
      return instanceFromProto(expectInstance(res.instance));
    },
    async unblockInstance(workflowId, instanceId) {
      const res = await call(instances, instances.unblockInstance, { workflowId, instanceId });
      return instanceFromProto(expectInstance(res.instance));
    },
    async unblockWorkflow(workflowId) {
      return Number((await call(instances, instances.unblockWorkflow, { workflowId })).unblocked);
    },
    async terminateWorkflow(workflowId, action, reason) {
      const res = await call(instances, instances.terminateWorkflow, {
        workflowId,
        action: action === 'stop' ? TerminateAction.TERMINATE_ACTION_STOP : TerminateAction.TERMINATE_ACTION_KILL,
        reason: reason ?? '',
      });
      return { ended: Number(res.ended), terminating: Number(res.terminating) };
    },
    async clusterInfo() {
      return clusterInfoFromProto(await call(cluster, cluster.getClusterInfo, {}));
    },
    async setTagPermit(tag, maxAllowed) {
      return tagPermitFromProto((await call(permits, permits.setTagPermit, { tag, maxAllowed })).permit);
    },
    async getTagPermit(tag) {
      return tagPermitFromProto((await call(permits, permits.getTagPermit, { tag })).permit);
    },
    async deleteTagPermit(tag) {
      return tagPermitFromProto((await call(permits, permits.deleteTagPermit, { tag })).permit);
    },
    async listTagPermits() {
      return (await call(permits, permits.listTagPermits, {})).permits.map(tagPermitFromProto);
    },
    async sendSignal(name, signal) {
      const req = { name, params: signalParamsToProto(readSignalParams(signal.params)), payload: toValueMap(signal.payload ?? {}, 'payload'), requestId: signal.requestId ?? '', requestTimeMs: signal.requestTimeMs ?? 0 };
      return signalInstanceFromProto((await call(signals, signals.sendSignal, req)).instance);
    },
    async getSignal(name, seqId) {
      return signalInstanceFromProto((await call(signals, signals.getSignal, { name, seqId: seqId ?? 0 })).instance);
    },
    async listSignals(name, afterSeq, limit) {
      const res = await call(signals, signals.listSignals, { name, afterSeq: afterSeq ?? 0, limit: limit ?? 0 });
      return { instances: res.instances.map(signalInstanceFromProto), latestSeq: Number(res.latestSeq) };
    },
    async getTriggers(workflowId, upcoming) {
      return triggersFromProto(await call(triggers, triggers.getTriggers, upcoming === undefined ? { workflowId } : { workflowId, upcoming }));
    },
    async syncTimeTriggers(workflowId) {
      const res = await call(triggers, triggers.syncTimeTriggers, { workflowId });
      return { subscribed: res.subscribed, fired: Number(res.fired) };
    },
    async checkHealth(service = '') {
      const Health = await healthClientConstructor();
      const health = new Health(address, creds, { channelOverride: channel, interceptors });
      const check = health['Check'] as UnaryMethod<{ service: string }, { status: HealthStatus }>;
      return (await call(health, check, { service })).status;
    },
    close() {
      workflows.close();
    },
  };
}

function expectInstance<T>(instance: T | undefined): T {
  if (instance === undefined) throw new ControlError('internal', grpc.status.INTERNAL, 'server sent no instance', {});
  return instance;
}
