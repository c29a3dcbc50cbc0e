/**
 * The typed model of a Maestro workflow create request (`{properties, workflow, is_active}`).
 * Field names are camelCase here; parse.ts maps Maestro's snake_case JSON onto them and back.
 * Values that Maestro lets reference params (`"${foo}"`, `"$bar"`) stay strings until run time
 * (see `Parsable`).
 */

export const PARAM_TYPES = [
  'STRING',
  'LONG',
  'DOUBLE',
  'BOOLEAN',
  'STRING_MAP',
  'STRING_ARRAY',
  'LONG_ARRAY',
  'DOUBLE_ARRAY',
  'BOOLEAN_ARRAY',
  'MAP',
] as const;
export type ParamType = (typeof PARAM_TYPES)[number];

export const PARAM_MODES = [
  'CONSTANT',
  'IMMUTABLE',
  'MUTABLE',
  'MUTABLE_ON_START',
  'MUTABLE_ON_START_RESTART',
] as const;
export type ParamMode = (typeof PARAM_MODES)[number];

export interface Tag {
  name: string;
  namespace?: string;
  permit?: number;
  attributes?: Record<string, unknown>;
}

/** One parameter definition. For type MAP, `value` is a ParamDefinitions record (nested definitions). */
export interface ParamDefinition {
  type: ParamType;
  value?: unknown;
  expression?: string;
  validator?: string;
  tags?: Tag[];
  mode?: ParamMode;
  meta?: Record<string, unknown>;
}
export type ParamDefinitions = Record<string, ParamDefinition>;

/** A number, or a string that references params (`"$foo"`, `"${foo}"`, `"${bar}s"`), resolved at run time. */
export type Parsable = number | string;

export const FAILURE_MODES = ['FAIL_IMMEDIATELY', 'FAIL_AFTER_RUNNING', 'IGNORE_FAILURE'] as const;
export type FailureMode = (typeof FAILURE_MODES)[number];

export interface Backoff {
  type: 'EXPONENTIAL_BACKOFF' | 'FIXED_BACKOFF';
  errorRetryBackoffInSecs?: Parsable;
  errorRetryExponent?: Parsable;
  errorRetryLimitInSecs?: Parsable;
  platformRetryBackoffInSecs?: Parsable;
  platformRetryExponent?: Parsable;
  platformRetryLimitInSecs?: Parsable;
  timeoutRetryBackoffInSecs?: Parsable;
  timeoutRetryExponent?: Parsable;
  timeoutRetryLimitInSecs?: Parsable;
}

export interface RetryPolicy {
  errorRetryLimit?: Parsable;
  platformRetryLimit?: Parsable;
  timeoutRetryLimit?: Parsable;
  backoff?: Backoff;
}

export interface SignalMatchParam {
  param: ParamDefinition;
  operator: '=' | '<' | '>' | '<=' | '>=' | '!=';
}
export interface SignalDependency {
  name: string;
  matchParams: Record<string, SignalMatchParam>;
}
export interface SignalOutput {
  name: string;
  params: ParamDefinitions;
  /** Extra signal payload (any param types), not used for matching. */
  payload?: ParamDefinitions;
}

export interface Transition {
  /** successor step id -> SEL condition ("true", "false", or an expression). Order as written. */
  successors: Record<string, string>;
  /** Maestro's optional explicit predecessor list; when given it must equal the computed one. */
  predecessors?: string[];
}

interface StepBase {
  id: string;
  name?: string;
  description?: string;
  transition: Transition;
  params: ParamDefinitions;
  tags: Tag[];
  failureMode?: FailureMode;
  retryPolicy?: RetryPolicy;
  /** Maestro timeout: seconds as a number, or a duration string ("100s", "1h 30m", "${bar}s"). */
  timeout?: Parsable;
  signalDependencies: SignalDependency[];
  signalOutputs: SignalOutput[];
  /** Anything else Maestro allows on a step (dependencies metadata, outputs...), kept verbatim. */
  extra?: Record<string, unknown>;
}

export interface TypedStep extends StepBase {
  kind: 'step';
  /** Step type as written ("NoOp", "Sleep", "Http", "Shell", "Notebook", "kubernetes", ...). */
  type: string;
  subType?: string;
  subTypeVersion?: string;
}
export interface ForeachStep extends StepBase {
  kind: 'foreach';
  concurrency?: Parsable;
  strictOrdering?: boolean;
  steps: Step[];
}
export interface WhileStep extends StepBase {
  kind: 'while';
  condition: string;
  steps: Step[];
}
export interface SubworkflowStep extends StepBase {
  kind: 'subworkflow';
  sync: boolean;
  explicitParams: boolean;
}
export interface TemplateStep extends StepBase {
  kind: 'template';
  /** Template-specific fields, kept verbatim. */
  template: Record<string, unknown>;
}
export type Step = TypedStep | ForeachStep | WhileStep | SubworkflowStep | TemplateStep;
export type StepKind = Step['kind'];

export const RUN_STRATEGY_RULES = [
  'SEQUENTIAL',
  'STRICT_SEQUENTIAL',
  'FIRST_ONLY',
  'LAST_ONLY',
  'PARALLEL',
  'SERIAL_LATEST_ONLY',
] as const;
export type RunStrategyRule = (typeof RUN_STRATEGY_RULES)[number];
export interface RunStrategy {
  rule: RunStrategyRule;
  /** Max concurrent instances (PARALLEL); 1 for the sequential rules. */
  workflowConcurrency: number;
}

export interface TimeTrigger {
  type: 'CRON' | 'PREDEFINED' | 'INTERVAL';
  cron?: string;
  expression?: string;
  timezone?: string;
  fuzzyMaxDelay?: Parsable;
  extra?: Record<string, unknown>;
}

export interface SignalTriggerDefinition {
  matchParams: Record<string, { value: unknown; operator: SignalMatchParam['operator'] }>;
  joinKeys: string[];
}
export interface SignalTrigger {
  definitions: Record<string, SignalTriggerDefinition>;
  condition?: string;
  dedupExpr?: string;
  params: ParamDefinitions;
}

export interface Properties {
  owner: string;
  /** Extra fields of an owner written as an object (`{"name": ..., ...}`), kept verbatim. */
  ownerInfo?: Record<string, unknown>;
  accessControl?: Record<string, unknown>;
  runStrategy: RunStrategy;
  stepConcurrency?: number;
  alerting?: Record<string, unknown>;
  alertingDisabled?: boolean;
  description?: string;
  tags?: Tag[];
  timeTriggerDisabled?: boolean;
  signalTriggerDisabled?: boolean;
  extra?: Record<string, unknown>;
}

export interface Workflow {
  id: string;
  name?: string;
  description?: string;
  tags: Tag[];
  params: ParamDefinitions;
  steps: Step[];
  /** Workflow timeout, as for steps. */
  timeout?: Parsable;
  instanceStepConcurrency?: number;
  criticality?: string;
  timeTriggers: TimeTrigger[];
  signalTriggers: SignalTrigger[];
  extra?: Record<string, unknown>;
}

export interface WorkflowCreateRequest {
  properties: Properties;
  workflow: Workflow;
  isActive: boolean;
  /** Maestro's optional `git_info`, kept verbatim. */
  gitInfo?: Record<string, unknown>;
  /** Every other top-level field of the request (Maestro's `extra_info`), kept verbatim. */
  extraInfo?: Record<string, unknown>;
}

/**
 * Properties as a request gives them: any subset. A version's effective properties are the
 * previous version's merged with these field by field (Maestro's PropertiesSnapshot); owner and
 * ownerInfo go together.
 */
export type PropertiesPatch = Partial<Properties>;

/** A create request as sent: properties may be partial or absent after the first version. */
export interface WorkflowCreateInput extends Omit<WorkflowCreateRequest, 'properties'> {
  properties?: PropertiesPatch;
}
