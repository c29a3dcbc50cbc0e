/**
 * maestro.v1.StepService over an EngineApi: step actions (stop, kill, skip, bypass of signal
 * dependencies, restart; resume of a paused attempt) and definition-level breakpoints.
 */
import { ValidationError } from '../core/errors.js';
import type { Breakpoint, EngineApi, PausedAttempt, StepActionKind } from '../workflow/engine-api.js';
import { StepAction, type StepServiceServer } from '../gen/maestro/v1/actions.js';
import type * as pb from '../gen/maestro/v1/actions.js';
import { requireInstanceId, requireString, unaryHandlers } from './handlers.js';
import { instanceToProto } from './mapping.js';
import type { Logger } from '../log/logger.js';

export const STEP_SERVICE = 'maestro.v1.StepService';

const ACTIONS: ReadonlyArray<[StepAction, Exclude<StepActionKind, 'resume'>]> = [
  [StepAction.STEP_ACTION_STOP, 'stop'],
  [StepAction.STEP_ACTION_KILL, 'kill'],
  [StepAction.STEP_ACTION_SKIP, 'skip'],
  [StepAction.STEP_ACTION_BYPASS_STEP_DEPENDENCIES, 'bypass'],
  [StepAction.STEP_ACTION_RESTART, 'restart'],
];

export function stepActionFromProto(a: StepAction): Exclude<StepActionKind, 'resume'> {
  const hit = ACTIONS.find(([p]) => p === a);
  if (!hit) throw new ValidationError('action', `must be one of ${ACTIONS.map(([p]) => StepAction[p]).join(', ')}, got ${String(a)}`);
  return hit[1];
}

export function stepActionToProto(a: StepActionKind): StepAction {
  const hit = ACTIONS.find(([, k]) => k === a);
  if (!hit) throw new ValidationError('action', `${a} has no StepAction value (resume is ResumeAttempt)`);
  return hit[0];
}

export function breakpointToProto(b: Breakpoint): pb.Breakpoint {
  return { workflowId: b.workflowId, stepId: b.stepId, createdAt: new Date(b.createdAtMs) };
}

export function breakpointFromProto(b: pb.Breakpoint): Breakpoint {
  return { workflowId: b.workflowId, stepId: b.stepId, createdAtMs: b.createdAt?.getTime() ?? 0 };
}

export function pausedToProto(p: PausedAttempt): pb.PausedAttempt {
  return { workflowId: p.workflowId, instanceId: p.instanceId, runId: p.runId, stepId: p.stepId, attempt: p.attempt, pausedAt: new Date(p.pausedAtMs) };
}

export function pausedFromProto(p: pb.PausedAttempt): PausedAttempt {
  return { workflowId: p.workflowId, instanceId: p.instanceId, runId: p.runId, stepId: p.stepId, attempt: p.attempt, pausedAtMs: p.pausedAt?.getTime() ?? 0 };
}

export function stepService(api: EngineApi, log: Logger): StepServiceServer {
  const unary = unaryHandlers(log);
  return {
    stepAction: unary(async (req: pb.StepActionRequest): Promise<pb.StepActionResponse> => {
      const workflowId = requireString(req.workflowId, 'workflow_id');
      const instanceId = requireInstanceId(req.instanceId);
      const stepId = requireString(req.stepId, 'step_id');
      const view = await api.stepAction(workflowId, instanceId, stepId, stepActionFromProto(req.action), req.reason ? { reason: req.reason } : {});
      return { instance: instanceToProto(view) };
    }),
    resumeAttempt: unary(async (req: pb.ResumeAttemptRequest): Promise<pb.ResumeAttemptResponse> => {
      const workflowId = requireString(req.workflowId, 'workflow_id');
      const instanceId = requireInstanceId(req.instanceId);
      const stepId = requireString(req.stepId, 'step_id');
      if (!Number.isSafeInteger(req.attempt) || req.attempt < 0) throw new ValidationError('attempt', `must be a non-negative integer, got ${req.attempt}`);
      const view = await api.stepAction(workflowId, instanceId, stepId, 'resume', req.attempt > 0 ? { attempt: req.attempt } : {});
      return { instance: instanceToProto(view) };
    }),
    createBreakpoint: unary(async (req: pb.CreateBreakpointRequest): Promise<pb.CreateBreakpointResponse> => {
      const bp = await api.createBreakpoint(requireString(req.workflowId, 'workflow_id'), requireString(req.stepId, 'step_id'));
      return { breakpoint: breakpointToProto(bp) };
    }),
    listBreakpoints: unary(async (req: pb.ListBreakpointsRequest): Promise<pb.ListBreakpointsResponse> => {
      const list = await api.listBreakpoints(req.workflowId || undefined, req.stepId || undefined);
      return { breakpoints: list.map(breakpointToProto) };
    }),
    listPausedAttempts: unary(async (req: pb.ListPausedAttemptsRequest): Promise<pb.ListPausedAttemptsResponse> => {
      const list = await api.listPausedAttempts(requireString(req.workflowId, 'workflow_id'), requireString(req.stepId, 'step_id'));
      return { attempts: list.map(pausedToProto) };
    }),
    deleteBreakpoint: unary(async (req: pb.DeleteBreakpointRequest): Promise<pb.DeleteBreakpointResponse> => {
      const resumed = await api.deleteBreakpoint(requireString(req.workflowId, 'workflow_id'), requireString(req.stepId, 'step_id'), req.resume);
      return { resumed };
    }),
  };
}
