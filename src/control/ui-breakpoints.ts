/**
 * The web UI's breakpoint routes (JSON; errors as the other UI routes answer them, ui-api.ts).
 * Breakpoints are definition-level: a workflow id and a step id (src/workflow/breakpoints.ts).
 *
 * - GET    /api/breakpoints?workflow=WF          every breakpoint (of WF when given)
 * - POST   /api/breakpoints {workflowId, stepId} create one; 404 for an unknown workflow, 400
 *          naming `stepId` for a step its latest or active version does not have, 409 if it exists
 * - DELETE /api/breakpoints/WF/STEP?resume=true  remove it; with resume, every attempt paused at
 *          it goes on: answers {resumed: N}
 * - GET    /api/breakpoints/WF/STEP/paused       the attempts paused at it now (whole cluster)
 * - GET    /api/instances/WF/ID/steps/STEP/breakpoint  for a step panel: which workflow the step's
 *          breakpoint belongs to (an iteration's is its root workflow's, as the machine matches
 *          it: core/instance/hold.ts), the breakpoint if set, and the attempts paused at it
 */
import { ValidationError } from '../core/errors.js';
import type { Step } from '../core/definition/model.js';
import { isInlineWorkflowId } from '../core/instance/inline.js';
import type { InstanceView } from '../core/instance/view.js';
import type { EngineApi } from '../workflow/engine-api.js';
import { sendJson, type HttpRoute } from './http-server.js';
import { instanceId, readJson, uiRoute, type UiApiDeps } from './ui-http.js';

const SEG = '([^/]+)';
const P = (s: string): RegExp => new RegExp(`^${s}$`);

export function breakpointRoutes(deps: UiApiDeps): HttpRoute[] {
  const { api } = deps;
  return [
    uiRoute(deps, 'GET', '/api/breakpoints', async (_q, res, _m, url) => {
      const wf = url.searchParams.get('workflow') || undefined;
      sendJson(res, 200, { breakpoints: await api.listBreakpoints(wf) });
    }),
    uiRoute(deps, 'POST', '/api/breakpoints', async (req, res) => {
      const body = await readJson(req);
      const workflowId = requiredId(body, 'workflowId');
      const stepId = requiredId(body, 'stepId');
      await checkStepExists(api, workflowId, stepId);
      sendJson(res, 200, { breakpoint: await api.createBreakpoint(workflowId, stepId) });
    }),
    uiRoute(deps, 'DELETE', P(`/api/breakpoints/${SEG}/${SEG}`), async (_q, res, m, url) => {
      const resume = url.searchParams.get('resume');
      if (resume !== null && resume !== 'true' && resume !== 'false') throw new ValidationError('resume', `must be true or false, got ${JSON.stringify(resume)}`);
      sendJson(res, 200, { resumed: await api.deleteBreakpoint(m[1]!, m[2]!, resume === 'true') });
    }),
    uiRoute(deps, 'GET', P(`/api/breakpoints/${SEG}/${SEG}/paused`), async (_q, res, m) => {
      sendJson(res, 200, { paused: await api.listPausedAttempts(m[1]!, m[2]!) });
    }),
    uiRoute(deps, 'GET', P(`/api/instances/${SEG}/${SEG}/steps/${SEG}/breakpoint`), async (_q, res, m) => {
      const view = await api.getInstance(m[1]!, instanceId(m[2]!));
      const stepId = m[3]!;
      const workflowId = await definitionWorkflowOf(api, view);
      const [breakpoint] = await api.listBreakpoints(workflowId, stepId);
      const paused = breakpoint ? await api.listPausedAttempts(workflowId, stepId) : [];
      sendJson(res, 200, { workflowId, stepId, breakpoint: breakpoint ?? null, paused });
    }),
  ];
}

/** The stored workflow whose breakpoints apply to `view`: its own, or for an iteration its nearest non-inline ancestor's. */
export async function definitionWorkflowOf(api: Pick<EngineApi, 'getInstance'>, view: InstanceView): Promise<string> {
  let v = view;
  while (isInlineWorkflowId(v.workflowId)) {
    if (!v.parent) throw new ValidationError('workflowId', `iteration ${v.workflowId}/${v.instanceId} has no parent`);
    v = await api.getInstance(v.parent.workflowId, v.parent.instanceId);
  }
  return v.workflowId;
}

function requiredId(body: Record<string, unknown>, field: string): string {
  const v = body[field];
  if (v === undefined || v === null || v === '') throw new ValidationError(field, 'is required');
  if (typeof v !== 'string') throw new ValidationError(field, `must be a string, got ${JSON.stringify(v)}`);
  if (v.includes('/')) throw new ValidationError(field, `must not contain '/': ${JSON.stringify(v)}`);
  return v;
}

/** The workflow must exist (NotFound otherwise) and have the step, nested loops included, in its latest or active version. */
async function checkStepExists(api: EngineApi, workflowId: string, stepId: string): Promise<void> {
  const latest = await api.getWorkflow(workflowId);
  if (hasStep(latest.definition.workflow.steps, stepId)) return;
  if (latest.activeVersion > 0 && latest.activeVersion !== latest.version) {
    const active = await api.getWorkflow(workflowId, latest.activeVersion);
    if (hasStep(active.definition.workflow.steps, stepId)) return;
  }
  throw new ValidationError('stepId', `workflow ${workflowId} has no step ${JSON.stringify(stepId)} in its latest (v${latest.version}) or active version`);
}

function hasStep(steps: Step[], stepId: string): boolean {
  return steps.some((s) => s.id === stepId || ((s.kind === 'foreach' || s.kind === 'while') && hasStep(s.steps, stepId)));
}
