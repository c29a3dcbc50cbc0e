/** The shapes the param module exchanges with the instance state machine. */
import type { ParamMode, Tag } from '../definition/model.js';
import type { ExpressionEngine, ParamFunctions, TypedValue } from '../expr-port.js';
import type { RunPolicy } from '../status.js';

/** Who or what set a param's current value (Maestro's ParamSource). */
export type ParamSource =
  | 'SYSTEM'
  | 'SYSTEM_INJECTED'
  | 'SYSTEM_DEFAULT'
  | 'DEFINITION'
  | 'SIGNAL'
  | 'TIME_TRIGGER'
  | 'OUTPUT_PARAMETER'
  | 'LAUNCH'
  | 'RESTART'
  | 'SUBWORKFLOW'
  | 'FOREACH'
  | 'WHILE';

/**
 * An evaluated param. `mode`, `source` and `tags` are what Maestro keeps beside the value; they
 * are optional so that any TypedValue is a ParamValue (a restart falls back to the definition's
 * mode when `mode` is absent).
 */
export interface ParamValue extends TypedValue {
  mode?: ParamMode;
  source?: ParamSource;
  tags?: Tag[];
}
export type ParamValues = Record<string, ParamValue>;

export type InitiatorType = 'MANUAL' | 'TIME' | 'SIGNAL' | 'SUBWORKFLOW' | 'FOREACH' | 'WHILE';

export interface SystemContext {
  workflowId: string;
  instanceId: number;
  runId: number;
  workflowUuid: string;
  version: number;
  owner: string;
  initiatorType: InitiatorType;
  runPolicy: RunPolicy;
  startedAtMs: number;
  /** Cron timezone if time-triggered (Maestro's INITIATOR_TIMEZONE). */
  timezone?: string;
  /** A time-triggered run's scheduled fire time (RUN_TS); else RUN_TS is the start time. */
  runTsMs?: number;
  /** Timezone of the workflow's first time trigger (FIRST_TIME_TRIGGER_TIMEZONE); DSL_DEFAULT_TZ falls back to UTC. */
  firstTimeTriggerTimezone?: string;
}

export interface EvalEnv {
  engine: ExpressionEngine;
  nowMs: number;
  random: () => number;
}

/** Signal data an expression can read through `params.getFromSignal*`. */
export interface SignalContext {
  /** Evaluated params of the signal trigger that started the instance: `getFromSignal(param)`. */
  triggerParams?: Record<string, unknown>;
  /** Params of each signal instance the trigger matched, by signal name: `getFromSignal(signal, param)`. */
  triggerSignals?: Record<string, Record<string, unknown>>;
  /** Params of the signal instance matched by each of the step's signal dependencies, in declared order. */
  dependencies?: ReadonlyArray<Record<string, unknown> | undefined>;
}

/** Runtime facts about another step, for `params.getFromStep(id, 'MAESTRO_STEP_STATUS' | 'MAESTRO_STEP_END_TIME')`. */
export interface StepFacts {
  status: string;
  endedAtMs?: number;
}

/** Optional lookups that need data outside one instance (nested foreach/subworkflow instances). */
export type ParamExtensions = Partial<Pick<ParamFunctions, 'getFromForeach' | 'getFromSubworkflow'>>;

/** What a workflow-level scope sees (conditions evaluated outside any step). */
export interface WorkflowScopeContext {
  env: EvalEnv;
  system: SystemContext;
  workflowParams: ParamValues;
  stepParams?(stepId: string): ParamValues | undefined;
  stepFacts?(stepId: string): StepFacts | undefined;
  signals?: SignalContext;
  extensions?: ParamExtensions;
}

export interface StepParamContext {
  env: EvalEnv;
  system: SystemContext;
  workflowParams: ParamValues;
  stepParams(stepId: string): ParamValues | undefined;
  attempt: number;
  attemptId: string;
  stepInstanceUuid: string;
  signals?: SignalContext;
  /** Step run params (or restart params when the run policy is a restart), plain values. */
  runParams?: Record<string, unknown>;
  stepFacts?(stepId: string): StepFacts | undefined;
  extensions?: ParamExtensions;
}

export interface WorkflowParamContext {
  env: EvalEnv;
  system: SystemContext;
  /**
   * Present on a restart. `previous` are the params of the run being restarted; `restartParams`
   * the restart request's params. On a restart the start's `runParams` are not applied again:
   * their values are already in `previous`.
   */
  restart?: { previous: ParamValues; restartParams?: Record<string, unknown> };
  signals?: SignalContext;
  extensions?: ParamExtensions;
}
