/**
 * What a fired signal trigger starts (Maestro's SignalTriggerExecutionProcessor, §9.4): its
 * `params`, `condition` and `dedup_expr` are evaluated with NO params context (no workflow
 * params, no signal params: literals or self-contained SEL), as Maestro's
 * `parseAttribute(def, emptyMap, workflowId, true)`. The params go through the same param
 * evaluator as a workflow's own params (declaration order, type coercion, `${}` interpolation),
 * with nothing outside the trigger's params visible.
 *
 * - A param or condition evaluation error, or a false condition: no run (the signals stay
 *   consumed; the caller journals the reason).
 * - request id: a name-based UUID of the dedup_expr result; when there is none or it fails to
 *   evaluate, of the execution's JSON (workflow id, trigger uuid, the matched seqs, condition,
 *   dedup_expr), which is unique per matched set.
 */
import type { ParamDefinition, SignalTrigger } from '../definition/model.js';
import type { ExpressionEngine } from '../expr-port.js';
import { mergeDefinitions } from '../params/assemble.js';
import { ParamGraph } from '../params/evaluate.js';
import { toPlain } from '../params/parsable.js';
import type { ParamSpec } from '../params/spec.js';
import type { SystemContext } from '../params/types.js';
import { canonicalJson } from './trigger.js';

export interface ExecutionInput {
  workflowId: string;
  triggerUuid: string;
  version: number;
  definition: SignalTrigger;
  signalIds: Record<string, number>;
  engine: ExpressionEngine;
  nowMs: number;
  random: () => number;
  /** A name-based UUID of a text (Maestro's IdHelper.createUuid). */
  uuidOf(text: string): string;
}

export type ExecutionOutcome =
  | { params: Record<string, unknown>; requestId: string; dedupError?: string }
  | { skipped: string };

const PATH = 'signal_triggers.params';

export function evaluateExecution(x: ExecutionInput): ExecutionOutcome {
  let params: Record<string, unknown>;
  try {
    params = evaluateStandalone(x, x.definition.params, PATH);
  } catch (err) {
    return { skipped: `params evaluation failed: ${message(err)}` };
  }
  if (x.definition.condition !== undefined && x.definition.condition.trim() !== '') {
    let ok: unknown;
    try {
      ok = evaluateStandalone(x, { signal_condition: { type: 'BOOLEAN', expression: x.definition.condition } }, 'signal_triggers.condition')['signal_condition'];
    } catch (err) {
      return { skipped: `condition evaluation failed: ${message(err)}` };
    }
    if (ok !== true) return { skipped: `condition ${JSON.stringify(x.definition.condition)} is false` };
  }
  let unique: string | undefined;
  let dedupError: string | undefined;
  if (x.definition.dedupExpr !== undefined && x.definition.dedupExpr.trim() !== '') {
    try {
      unique = String(evaluateStandalone(x, { signal_dedup: { type: 'STRING', expression: x.definition.dedupExpr } }, 'signal_triggers.dedup_expr')['signal_dedup']);
    } catch (err) {
      dedupError = `dedup_expr evaluation failed, the request id falls back to the matched set: ${message(err)}`;
    }
  }
  unique ??= executionJson(x);
  const out: ExecutionOutcome = { params, requestId: x.uuidOf(unique) };
  if (dedupError !== undefined) out.dedupError = dedupError;
  return out;
}

/** Maestro's SignalTriggerExecution JSON (params left out, as Maestro nulls them before). */
export function executionJson(x: Pick<ExecutionInput, 'workflowId' | 'triggerUuid' | 'signalIds' | 'definition'>): string {
  return canonicalJson({
    workflow_id: x.workflowId,
    trigger_uuid: x.triggerUuid,
    signal_ids: x.signalIds,
    condition: x.definition.condition,
    dedup_expr: x.definition.dedupExpr,
  });
}

function evaluateStandalone(x: ExecutionInput, defs: Record<string, ParamDefinition>, path: string): Record<string, unknown> {
  const specs = new Map<string, ParamSpec>();
  mergeDefinitions(specs, defs, path);
  const system: SystemContext = {
    workflowId: x.workflowId,
    instanceId: 0,
    runId: 0,
    workflowUuid: '',
    version: x.version,
    owner: '',
    initiatorType: 'SIGNAL',
    runPolicy: 'START_FRESH_NEW_RUN',
    startedAtMs: x.nowMs,
  };
  const graph = new ParamGraph({
    specs,
    path,
    env: { engine: x.engine, nowMs: x.nowMs, random: x.random },
    system,
    outer: () => undefined,
    functions: { workflowLevel: true },
  });
  return toPlain(graph.evaluateAll());
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
