/**
 * The per-depth cap on child instances (maestro-semantics §7; Maestro's
 * RedisInstanceStepConcurrencyHandler `addInstance` / `removeInstance`, only active there with
 * `maestro.redis.enabled`): the instances at one depth level (>= 1) of a root tree run at most
 * instance_step_concurrency at once — the tree's, inherited from the root; 100 when unset
 * (Maestro's DEFAULT_INSTANCE_STEP_CONCURRENCY).
 *
 * Off by default, like Maestro's (node config `childInstanceCap`). Built on the tag-permit
 * manager: each run of a child instance holds one permit of the tag
 * `maestro_<correlationId>:depth<N>` (inline limit: the tree's instance_step_concurrency; a
 * limit set through the tag-permit API overrides it, as for every runtime tag).
 *
 * - Acquired by the child itself when its run would begin (start, a queue's `run`, a restart):
 *   the run stays CREATED until the permit is granted (`permit-granted` for the pseudo step
 *   DEPTH_PERMIT_STEP with the run id as attempt), then begins. Maestro refuses the launch and
 *   the parent retries it later; here the child exists, CREATED, and waits — the parent's launch
 *   never fails and is never retried (deliberate difference, README).
 * - Released when the run ends, on every path (end, stop, kill, timeout, created ended):
 *   Transition.setWorkflowStatus gives it back with a `release` command. A release lost with a
 *   crash, or an instance that vanished, is found by the manager's reconciliation (PermitCheck
 *   asks the instance: permitStatusOf answers for this holder too).
 * - Whether the cap applies is a recorded decision ('childCap', recorded only when yes), made
 *   once per run from the node's flag: replay never reads the config, and journals from before
 *   fold as they did.
 *
 * Not built: Maestro's addInstance also refuses while the tree's registered running leaf steps
 * (its depth-0 set) reach the limit; here running leaf steps are limited by the tree's
 * correlation tag (core/permits/tags.ts) on their own, and do not hold back child launches.
 */
import { MAESTRO_TAG_PREFIX, type PermitRequest } from '../permits/model.js';
import type { InstanceCommand } from './commands.js';
import type { InstanceState } from './state.js';
import { DEFAULT_INSTANCE_STEP_CONCURRENCY, type Transition } from './transition.js';
import { correlationOf } from './composite-launch.js';

/** The step id a depth permit's request and grant name (no definition step can have it). */
export const DEPTH_PERMIT_STEP = '~depth';

/** The tag counting the running instances of depth `depth` in the tree `correlationId`. */
export function depthCapTag(correlationId: string, depth: number): string {
  return `${MAESTRO_TAG_PREFIX}${correlationId}:depth${depth}`;
}

/** The manager's request for the depth permit of the instance's current run. */
export function depthPermitRequest(s: InstanceState): PermitRequest {
  const instanceKey = `${s.workflowId}/${s.instanceId}`;
  return {
    holder: `${instanceKey}/${s.runId}/${DEPTH_PERMIT_STEP}`,
    instanceKey,
    stepId: DEPTH_PERMIT_STEP,
    attempt: s.runId,
    tags: [{ name: depthCapTag(correlationOf(s), s.depth ?? 0), inlineLimit: s.instanceStepConcurrency ?? DEFAULT_INSTANCE_STEP_CONCURRENCY }],
  };
}

/**
 * A run is about to begin: when the cap applies (a child, tag permits on, the node's flag — a
 * recorded decision), it stays CREATED and asks for its depth permit instead. True when held.
 */
export function holdForDepthPermit(t: Transition): boolean {
  const s = t.s;
  if (!s.permits || (s.depth ?? 0) < 1) return false;
  if (!t.decideFlag('childCap', () => t.ctx.childInstanceCap === true)) return false;
  const req = depthPermitRequest(s);
  s.depthPermit = { holder: req.holder, held: false };
  s.startedAtMs = undefined;
  s.endedAtMs = undefined;
  s.error = undefined;
  t.setWorkflowStatus('CREATED');
  t.commands.push({ c: 'acquire', req });
  return true;
}

/**
 * The manager granted the depth permit of run `runId`: true when the run begins now (a stale or
 * repeated grant does nothing).
 */
export function onDepthPermitGranted(t: Transition, runId: number): boolean {
  const p = t.s.depthPermit;
  if (!p || p.held || t.s.runId !== runId || t.s.status !== 'CREATED') return false;
  t.s.depthPermit = { holder: p.holder, held: true };
  return true;
}

/** What the instance says of `holder` when it is its depth permit (undefined: another holder). */
export function depthPermitStatus(s: InstanceState, holder: string): 'held' | 'waiting' | undefined {
  const p = s.depthPermit;
  if (!p || p.holder !== holder) return undefined;
  return p.held ? 'held' : 'waiting';
}

/** After recovery: a run still waiting for its depth permit asks again (idempotent at the manager). */
export function depthPermitResume(s: InstanceState): InstanceCommand[] {
  const p = s.depthPermit;
  if (!p || p.held) return [];
  return [{ c: 'acquire', req: depthPermitRequest(s) }];
}
