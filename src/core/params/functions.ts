/**
 * Maestro's `params.*` functions (MaestroParamExtension) and `stepId__param` references, over
 * what one instance knows. Each failure throws an Error saying what was looked up and why it
 * is not there; the evaluator attaches the param path.
 */
import { STEP_PARAM_SEPARATOR } from '../definition/limits.js';
import type { ParamFunctions, TypedValue } from '../expr-port.js';
import { inferType } from './coerce.js';
import type { EvalEnv, ParamExtensions, ParamValues, SignalContext, StepFacts, SystemContext } from './types.js';

/** What the functions read. `step` is set when evaluating inside a step. */
export interface FunctionContext {
  env: EvalEnv;
  system: SystemContext;
  /** A bare name in the current scope (what `params.get` reads). */
  lookup(name: string): TypedValue | undefined;
  step?: { id: string; fields: Record<string, unknown> };
  /** True while evaluating the workflow's own params (some instance fields are only readable there). */
  workflowLevel: boolean;
  stepParams?(stepId: string): ParamValues | undefined;
  stepFacts?(stepId: string): StepFacts | undefined;
  signals?: SignalContext;
  extensions?: ParamExtensions;
}

const STEP_STATUS = 'MAESTRO_STEP_STATUS';
const STEP_END_TIME = 'MAESTRO_STEP_END_TIME';

export function paramFunctions(c: FunctionContext): ParamFunctions {
  const signalParam = (signal: string, param: string): unknown => c.signals?.triggerSignals?.[signal]?.[param] ?? undefined;
  const fromSignal = (signal: string, param: string): unknown => {
    const v = signalParam(signal, param);
    if (v === undefined) throw new Error(`cannot find param [${param}] of signal [${signal}] in the initiator`);
    return v;
  };
  return {
    get(name) {
      const v = c.lookup(name);
      if (v === undefined) throw new Error(`params.get: param [${name}] is not found`);
      return v.value;
    },
    getFromStep(stepId: string, name?: string) {
      if (name === undefined) return stepField(c, stepId);
      if (name === STEP_STATUS || name === STEP_END_TIME) {
        const facts = c.stepFacts?.(stepId);
        if (!facts) throw new Error(`cannot find the referenced step id [${stepId}] in the current workflow`);
        if (name === STEP_STATUS) return facts.status;
        if (facts.endedAtMs === undefined) throw new Error(`step [${stepId}]'s [${name}] is not set yet`);
        return facts.endedAtMs;
      }
      if (c.step && stepId === c.step.id) {
        const own = c.lookup(name);
        if (own === undefined) throw new Error(`cannot find param [${name}] in step [${stepId}]`);
        return own.value;
      }
      return stepParam(c, stepId, name).value;
    },
    getFromInstance(field) {
      const v = instanceField(c, field);
      return v === undefined || v === null ? '' : v;
    },
    getFromSignal(signalOrParam: string, param?: string) {
      if (param !== undefined) return fromSignal(signalOrParam, param);
      if (c.system.initiatorType !== 'SIGNAL') {
        throw new Error(`initiator [${c.system.initiatorType}] is not a signal trigger and cannot get a param [${signalOrParam}] from it`);
      }
      const v = c.signals?.triggerParams?.[signalOrParam];
      if (v === undefined || v === null) throw new Error(`cannot find param [${signalOrParam}] from the signal initiator`);
      return v;
    },
    getFromSignalOrDefault(signal, param, defaultValue) {
      return signalParam(signal, param) ?? defaultValue;
    },
    getFromSignalDependency(index, param) {
      const deps = c.signals?.dependencies ?? [];
      const i = Number(index);
      if (!Number.isInteger(i) || i < 0 || i >= deps.length) {
        throw new Error(`signal dependency index [${index}] is out of bound (the step has ${deps.length} matched signal dependencies)`);
      }
      const v = deps[i]?.[param];
      if (v === undefined || v === null) throw new Error(`cannot find param [${param}] for signal dependency index [${index}]`);
      return v;
    },
    getFromForeach(foreachStepId, innerStepId, param) {
      if (!c.extensions?.getFromForeach) throw new Error(`params.getFromForeach('${foreachStepId}', '${innerStepId}', '${param}') is not available here`);
      return c.extensions.getFromForeach(foreachStepId, innerStepId, param);
    },
    getFromSubworkflow(stepId, innerStepId, param) {
      if (!c.extensions?.getFromSubworkflow) throw new Error(`params.getFromSubworkflow('${stepId}', '${innerStepId}', '${param}') is not available here`);
      return c.extensions.getFromSubworkflow(stepId, innerStepId, param);
    },
    nextUniqueId() {
      return Math.floor(c.env.random() * Number.MAX_SAFE_INTEGER);
    },
  };
}

function stepField(c: FunctionContext, field: string): unknown {
  if (!c.step) throw new Error(`params.getFromStep('${field}') is only available while evaluating a step's params`);
  if (!(field in c.step.fields)) {
    throw new Error(`invalid field name [${field}] for getFromStep (one of ${Object.keys(c.step.fields).join(', ')})`);
  }
  return c.step.fields[field];
}

function stepParam(c: Pick<FunctionContext, 'stepParams'>, stepId: string, name: string): TypedValue {
  const params = c.stepParams?.(stepId);
  if (!params) throw new Error(`cannot find the referenced step id [${stepId}] in the current workflow`);
  const v = params[name];
  if (!v) throw new Error(`cannot find param [${name}] in step [${stepId}] (a step can only read params of steps that already ran)`);
  return v;
}

function instanceField(c: FunctionContext, field: string): unknown {
  const s = c.system;
  const workflowOnly = (): void => {
    if (!c.workflowLevel) throw new Error(`getFromInstance('${field}') can only be used to define a workflow param`);
  };
  switch (field) {
    case 'INITIATOR_TIMEZONE':
      return s.initiatorType === 'TIME' ? s.timezone : undefined;
    case 'INITIATOR_TYPE':
      return s.initiatorType;
    case 'RUN_POLICY':
      return s.runPolicy;
    case 'owner':
      workflowOnly();
      return s.owner;
    case 'FIRST_TIME_TRIGGER_TIMEZONE':
      workflowOnly();
      return s.firstTimeTriggerTimezone;
    case 'workflow_id':
      return s.workflowId;
    case 'workflow_instance_id':
      return s.instanceId;
    case 'workflow_run_id':
      return s.runId;
    case 'workflow_uuid':
      return s.workflowUuid;
    default:
      throw new Error(`invalid field name [${field}] for getFromInstance`);
  }
}

/**
 * Resolves `stepId__param`: the step's own params when `stepId` is `ownStepId`, else the params
 * of that (earlier) step, else a param of the trigger signal named `stepId`. Undefined when the
 * name is no reference. Disambiguates `_a___b` as Maestro does (step `_a` or `_a_`).
 */
export function resolveReference(
  name: string,
  c: Pick<FunctionContext, 'stepParams' | 'signals'> & { ownStepId?: string; own?: (n: string) => TypedValue | undefined },
): TypedValue | undefined {
  let at = name.indexOf(STEP_PARAM_SEPARATOR);
  if (at <= 0) return undefined;
  const exists = (id: string) => id === c.ownStepId || c.stepParams?.(id) !== undefined;
  if (at !== name.lastIndexOf(STEP_PARAM_SEPARATOR)) {
    const shorter = name.slice(0, at);
    const longer = name.slice(0, at + 1);
    if (exists(shorter) && exists(longer)) throw new Error(`reference [${name}] is ambiguous: both steps [${shorter}] and [${longer}] exist`);
    if (!exists(shorter) && exists(longer)) at += 1;
  }
  const stepId = name.slice(0, at);
  const param = name.slice(at + STEP_PARAM_SEPARATOR.length);
  if (stepId === c.ownStepId && c.own) {
    const v = c.own(param);
    if (v === undefined) throw new Error(`param [${name}] references a non-existing param [${param}] of this step [${stepId}]`);
    return v;
  }
  if (c.stepParams?.(stepId) !== undefined) return stepParam(c, stepId, param);
  const signal = c.signals?.triggerSignals?.[stepId]?.[param];
  if (signal !== undefined && signal !== null) return { type: inferType(signal, name), value: signal };
  return undefined;
}
