/** maestro.v1.InstanceService over an EngineApi. */
import { ValidationError } from '../core/errors.js';
import type { EngineApi, ListInstancesRequest, StartRequest } from '../workflow/engine-api.js';
import type { InstanceServiceServer } from '../gen/maestro/v1/service.js';
import { RestartPolicy as PbRestartPolicy, WorkflowStatus as PbWorkflowStatus } from '../gen/maestro/v1/instance.js';
import type * as pb from '../gen/maestro/v1/instance.js';
import { restartPolicyFromProto, terminateActionFromProto, workflowStatuses } from './enums.js';
import { optionalVersion, requireInstanceId, requireString, unaryHandlers } from './handlers.js';
import type { Logger } from '../log/logger.js';
import { instanceToProto, summaryToProto } from './mapping.js';
import { fromValueMap } from './value-mapping.js';
import type { Value } from '../gen/maestro/v1/value.js';
import { watchInstanceHandler, watchStream, type WatchRegistry } from './watch.js';

/** A map<string, maestro.v1.Value> field (`params`, `outputs`) as plain JS values; errors name `field.name`. */
function valuesFromProto(values: { [key: string]: Value }, field: string): Record<string, unknown> {
  for (const [name, value] of Object.entries(values)) {
    if (name === '') throw new ValidationError(field, 'a name is empty');
    if (!hasKind(value)) throw new ValidationError(`${field}.${name}`, 'has no value (set one of the maestro.v1.Value kinds)');
  }
  return fromValueMap(values);
}

function hasKind(v: Value | undefined): boolean {
  if (v === undefined) return false;
  return (
    v.stringValue !== undefined ||
    v.longValue !== undefined ||
    v.doubleValue !== undefined ||
    v.boolValue !== undefined ||
    v.mapValue !== undefined ||
    v.listValue !== undefined ||
    v.nullValue !== undefined
  );
}

function startRequestFromProto(req: pb.StartWorkflowRequest): StartRequest {
  return {
    workflowId: requireString(req.workflowId, 'workflow_id'),
    version: optionalVersion(req.version),
    params: valuesFromProto(req.params, 'params'),
    requestId: req.requestId === '' ? undefined : req.requestId,
  };
}

function listRequestFromProto(req: pb.ListInstancesRequest): ListInstancesRequest {
  const out: ListInstancesRequest = {};
  if (req.workflowId !== '') out.workflowId = req.workflowId;
  if (req.status !== PbWorkflowStatus.WORKFLOW_STATUS_UNSPECIFIED) {
    const status = workflowStatuses.fromProto(req.status);
    if (status === undefined) throw new ValidationError('status', `unknown workflow status ${req.status}`);
    out.status = status;
  }
  if (!Number.isSafeInteger(req.pageSize) || req.pageSize < 0) {
    throw new ValidationError('page_size', `must be a non-negative integer, got ${req.pageSize}`);
  }
  if (req.pageSize > 0) out.pageSize = req.pageSize;
  if (req.pageToken !== '') out.pageToken = req.pageToken;
  return out;
}

export function instanceService(api: EngineApi, watches: WatchRegistry, log: Logger): InstanceServiceServer {
  const unary = unaryHandlers(log);
  return {
    startWorkflow: unary(async (req: pb.StartWorkflowRequest): Promise<pb.StartWorkflowResponse> => {
      const view = await api.startWorkflow(startRequestFromProto(req));
      return { instance: instanceToProto(view) };
    }),

    getInstance: unary(async (req: pb.GetInstanceRequest): Promise<pb.GetInstanceResponse> => {
      const view = await api.getInstance(requireString(req.workflowId, 'workflow_id'), requireInstanceId(req.instanceId));
      return { instance: instanceToProto(view) };
    }),

    listInstances: unary(async (req: pb.ListInstancesRequest): Promise<pb.ListInstancesResponse> => {
      const page = await api.listInstances(listRequestFromProto(req));
      return { instances: page.instances.map(summaryToProto), nextPageToken: page.nextPageToken };
    }),

    watchInstance: watchInstanceHandler(api, watches, log),

    startAndWatch: (call) =>
      watchStream(call, api, watches, log, async () => {
        const view = await api.startWorkflow(startRequestFromProto(call.request));
        return { workflowId: view.workflowId, instanceId: view.instanceId };
      }),

    stopInstance: unary(async (req: pb.StopInstanceRequest): Promise<pb.StopInstanceResponse> => {
      const view = await api.stop(requireString(req.workflowId, 'workflow_id'), requireInstanceId(req.instanceId));
      return { instance: instanceToProto(view) };
    }),

    killInstance: unary(async (req: pb.KillInstanceRequest): Promise<pb.KillInstanceResponse> => {
      const view = await api.kill(requireString(req.workflowId, 'workflow_id'), requireInstanceId(req.instanceId));
      return { instance: instanceToProto(view) };
    }),

    restartInstance: unary(async (req: pb.RestartInstanceRequest): Promise<pb.RestartInstanceResponse> => {
      const workflowId = requireString(req.workflowId, 'workflow_id');
      const instanceId = requireInstanceId(req.instanceId);
      const fromStep = req.restartFromStep === '' ? undefined : req.restartFromStep;
      const policy = fromStep !== undefined && req.policy === PbRestartPolicy.RESTART_POLICY_UNSPECIFIED ? undefined : restartPolicyFromProto(req.policy, 'policy');
      const view = await api.restart(workflowId, instanceId, policy, fromStep);
      return { instance: instanceToProto(view) };
    }),

    putStepOutputs: unary(async (req: pb.PutStepOutputsRequest): Promise<pb.PutStepOutputsResponse> => {
      const workflowId = requireString(req.workflowId, 'workflow_id');
      const instanceId = requireInstanceId(req.instanceId);
      const stepId = requireString(req.stepId, 'step_id');
      const outputs = valuesFromProto(req.outputs, 'outputs');
      if (Object.keys(outputs).length === 0) throw new ValidationError('outputs', 'is empty; put at least one output param');
      const view = await api.putStepOutputs(workflowId, instanceId, stepId, outputs);
      return { instance: instanceToProto(view) };
    }),

    unblockInstance: unary(async (req: pb.UnblockInstanceRequest): Promise<pb.UnblockInstanceResponse> => {
      const view = await api.unblockInstance(requireString(req.workflowId, 'workflow_id'), requireInstanceId(req.instanceId));
      return { instance: instanceToProto(view) };
    }),

    unblockWorkflow: unary(async (req: pb.UnblockWorkflowRequest): Promise<pb.UnblockWorkflowResponse> => {
      return { unblocked: await api.unblockWorkflow(requireString(req.workflowId, 'workflow_id')) };
    }),

    terminateWorkflow: unary(async (req: pb.TerminateWorkflowRequest): Promise<pb.TerminateWorkflowResponse> => {
      const workflowId = requireString(req.workflowId, 'workflow_id');
      const action = terminateActionFromProto(req.action, 'action');
      return api.terminateWorkflow(workflowId, action, req.reason || undefined);
    }),
  };
}
