/** The waits a step's signal dependencies register at their stores (plain data; used by transition.ts and signals.ts). */
import type { SignalMatches, SignalWaiter } from '../signals/model.js';
import type { SignalWaitRequest } from './commands.js';
import type { SignalDependenciesState } from './state.js';

/** The Wait of every PENDING dependency of step `stepId` in run `runId` of instance `instanceKey`. */
export function pendingWaits(instanceKey: string, runId: number, stepId: string, deps: SignalDependenciesState | undefined): SignalWaitRequest[] {
  const out: SignalWaitRequest[] = [];
  if (!deps) return out;
  deps.dependencies.forEach((d, index) => {
    if (d.status !== 'PENDING') return;
    const waiter: SignalWaiter = { instanceKey, runId, stepId, index };
    out.push({ name: d.name, waiter, match: (d.matchParams ?? {}) as SignalMatches });
  });
  return out;
}
