/** maestro.v1.WorkflowService over an EngineApi. */
import type { EngineApi } from '../workflow/engine-api.js';
import type { WorkflowServiceServer } from '../gen/maestro/v1/service.js';
import type * as wpb from '../gen/maestro/v1/workflow.js';
import { formatFromProto } from './enums.js';
import { requireString, requireVersion, optionalVersion, unaryHandlers } from './handlers.js';
import type { Logger } from '../log/logger.js';
import { workflowSummaryToProto, workflowVersionToProto } from './mapping.js';

export function workflowService(api: EngineApi, log: Logger): WorkflowServiceServer {
  const unary = unaryHandlers(log);
  return {
    createWorkflow: unary(async (req: wpb.CreateWorkflowRequest): Promise<wpb.CreateWorkflowResponse> => {
      const text = requireString(req.definition, 'definition');
      const info = await api.createWorkflow(text, formatFromProto(req.format, 'format'));
      return { workflow: workflowVersionToProto(info), warnings: api.runtimeWarnings(info.definition) };
    }),

    getWorkflow: unary(async (req: wpb.GetWorkflowRequest): Promise<wpb.GetWorkflowResponse> => {
      const id = requireString(req.workflowId, 'workflow_id');
      const info = await api.getWorkflow(id, optionalVersion(req.version));
      return { workflow: workflowVersionToProto(info) };
    }),

    listWorkflows: unary(async (_req: wpb.ListWorkflowsRequest): Promise<wpb.ListWorkflowsResponse> => {
      const workflows = await api.listWorkflows();
      return { workflows: workflows.map(workflowSummaryToProto) };
    }),

    validateWorkflow: unary(async (req: wpb.ValidateWorkflowRequest): Promise<wpb.ValidateWorkflowResponse> => {
      const text = requireString(req.definition, 'definition');
      const def = await api.validateWorkflow(text, formatFromProto(req.format, 'format'));
      return { workflowId: def.workflow.id, stepIds: def.workflow.steps.map((s) => s.id), isActive: def.isActive, warnings: api.runtimeWarnings(def) };
    }),

    activateWorkflow: unary(async (req: wpb.ActivateWorkflowRequest): Promise<wpb.ActivateWorkflowResponse> => {
      const id = requireString(req.workflowId, 'workflow_id');
      const info = await api.activateWorkflow(id, requireVersion(req.version));
      return { workflow: workflowVersionToProto(info) };
    }),

    deactivateWorkflow: unary(async (req: wpb.DeactivateWorkflowRequest): Promise<wpb.DeactivateWorkflowResponse> => {
      return { deactivatedVersion: await api.deactivateWorkflow(requireString(req.workflowId, 'workflow_id')) };
    }),

    deleteWorkflow: unary(async (req: wpb.DeleteWorkflowRequest): Promise<wpb.DeleteWorkflowResponse> => {
      await api.deleteWorkflow(requireString(req.workflowId, 'workflow_id'));
      return {};
    }),
  };
}
