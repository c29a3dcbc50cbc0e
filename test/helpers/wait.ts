import type { EngineApi } from '../../src/workflow/engine-api.js';
import type { InstanceView } from '../../src/core/instance/view.js';
import { isWorkflowTerminal } from '../../src/core/status.js';

/** Polls until the instance reaches a terminal status (or `timeoutMs` passes). */
export async function waitForEnd(api: EngineApi, workflowId: string, instanceId: number, timeoutMs = 20_000): Promise<InstanceView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await api.getInstance(workflowId, instanceId);
    if (isWorkflowTerminal(v.status)) return v;
    if (Date.now() > deadline) throw new Error(`instance ${workflowId}/${instanceId} still ${v.status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
