/** Contexts and the SEL engine for the params tests. */
import type { ParamDefinitions, Step } from '../../src/core/definition/model.js';
import type { ExpressionEngine } from '../../src/core/expr-port.js';
import { createSelEngine } from '../../src/expr/index.js';
import type { EvalEnv, ParamValues, StepParamContext, SystemContext } from '../../src/core/params/index.js';

/** 2023-11-14T22:13:20Z */
export const NOW = 1_700_000_000_000;

/** The real SEL engine, shared by the tests. */
export const sel = createSelEngine();

/** Wraps an engine to record the sources it evaluates. */
export function recording(engine: ExpressionEngine = sel): ExpressionEngine & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    compile: (source) => engine.compile(source),
    evaluate(source, scope) {
      calls.push(source);
      return engine.evaluate(source, scope);
    },
  };
}

export function system(over: Partial<SystemContext> = {}): SystemContext {
  return {
    workflowId: 'wf',
    instanceId: 7,
    runId: 1,
    workflowUuid: 'uuid-1',
    version: 1,
    owner: 'tester',
    initiatorType: 'MANUAL',
    runPolicy: 'START_FRESH_NEW_RUN',
    startedAtMs: NOW,
    ...over,
  };
}

export function env(engine: ExpressionEngine = sel, nowMs = NOW): EvalEnv {
  let seed = 1;
  return { engine, nowMs, random: () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646 };
}

export function step(id: string, params: ParamDefinitions = {}, kind: Step['kind'] = 'step'): Step {
  const base = { id, transition: { successors: {} }, params, tags: [], signalDependencies: [], signalOutputs: [] };
  switch (kind) {
    case 'step':
      return { ...base, kind, type: 'NoOp' };
    case 'foreach':
      return { ...base, kind, steps: [] };
    case 'while':
      return { ...base, kind, condition: 'true', steps: [] };
    case 'subworkflow':
      return { ...base, kind, sync: true, explicitParams: false };
    case 'template':
      return { ...base, kind, template: {} };
  }
}

export function stepCtx(over: Partial<StepParamContext> & { steps?: Record<string, ParamValues> } = {}): StepParamContext {
  const steps = over.steps ?? {};
  return {
    env: env(),
    system: system(),
    workflowParams: {},
    stepParams: (id) => steps[id],
    attempt: 1,
    attemptId: 'wf/7/1/job/1',
    stepInstanceUuid: 'step-uuid',
    ...over,
  };
}

/** Plain values of selected params. */
export function pick(values: ParamValues, ...names: string[]): Record<string, unknown> {
  return Object.fromEntries(names.map((n) => [n, values[n]?.value]));
}
