/**
 * Core status names <-> proto enums. Proto values are the core names with a type prefix
 * (WORKFLOW_STATUS_SUCCEEDED <-> SUCCEEDED); the tables are built from the core lists at load,
 * and loading fails if the proto lacks a core name, so the two can't drift apart silently.
 */
import { ValidationError } from '../core/errors.js';
import { RUN_POLICIES, STEP_STATUSES, WORKFLOW_STATUSES, type RunPolicy, type StepStatus, type WorkflowStatus } from '../core/status.js';
import type { DefinitionFormat as CoreFormat, RestartPolicy as CoreRestartPolicy } from '../workflow/engine-api.js';
import { DefinitionFormat } from '../gen/maestro/v1/workflow.js';
import { RestartPolicy, TerminateAction, RunPolicy as PbRunPolicy, StepStatus as PbStepStatus, WorkflowStatus as PbWorkflowStatus } from '../gen/maestro/v1/instance.js';

export interface EnumMapping<Name extends string, E extends number> {
  toProto(name: Name): E;
  /** undefined for UNSPECIFIED and unknown numbers. */
  fromProto(value: number): Name | undefined;
  /** Every core name, in core order. */
  names: readonly Name[];
}

function enumMapping<Name extends string, E extends number>(
  names: readonly Name[],
  pbEnum: Record<string, string | number>,
  prefix: string,
): EnumMapping<Name, E> {
  const toPb = new Map<Name, E>();
  const fromPb = new Map<number, Name>();
  for (const name of names) {
    const value = pbEnum[prefix + name];
    if (typeof value !== 'number') throw new Error(`proto enum lacks ${prefix}${name}`);
    toPb.set(name, value as E);
    fromPb.set(value, name);
  }
  return {
    names,
    toProto(name) {
      const v = toPb.get(name);
      if (v === undefined) throw new ValidationError('status', `unknown value ${JSON.stringify(name)}`);
      return v;
    },
    fromProto: (value) => fromPb.get(value),
  };
}

export const workflowStatuses = enumMapping<WorkflowStatus, PbWorkflowStatus>(WORKFLOW_STATUSES, PbWorkflowStatus, 'WORKFLOW_STATUS_');
export const stepStatuses = enumMapping<StepStatus, PbStepStatus>(STEP_STATUSES, PbStepStatus, 'STEP_STATUS_');
export const runPolicies = enumMapping<RunPolicy, PbRunPolicy>(RUN_POLICIES, PbRunPolicy, 'RUN_POLICY_');

export function isWorkflowStatusName(s: string): s is WorkflowStatus {
  return (WORKFLOW_STATUSES as readonly string[]).includes(s);
}

/** UNSPECIFIED means "detect from the text" (undefined). */
export function formatFromProto(f: DefinitionFormat, field: string): CoreFormat | undefined {
  switch (f) {
    case DefinitionFormat.DEFINITION_FORMAT_UNSPECIFIED:
      return undefined;
    case DefinitionFormat.DEFINITION_FORMAT_JSON:
      return 'json';
    case DefinitionFormat.DEFINITION_FORMAT_YAML:
      return 'yaml';
    default:
      throw new ValidationError(field, `unknown definition format ${String(f)}`);
  }
}

export function formatToProto(f: CoreFormat | undefined): DefinitionFormat {
  if (f === undefined) return DefinitionFormat.DEFINITION_FORMAT_UNSPECIFIED;
  return f === 'json' ? DefinitionFormat.DEFINITION_FORMAT_JSON : DefinitionFormat.DEFINITION_FORMAT_YAML;
}

/** UNSPECIFIED is Maestro's default restart, from incomplete. */
export function restartPolicyFromProto(p: RestartPolicy, field: string): CoreRestartPolicy {
  switch (p) {
    case RestartPolicy.RESTART_POLICY_UNSPECIFIED:
    case RestartPolicy.RESTART_POLICY_FROM_INCOMPLETE:
      return 'RESTART_FROM_INCOMPLETE';
    case RestartPolicy.RESTART_POLICY_FROM_BEGINNING:
      return 'RESTART_FROM_BEGINNING';
    default:
      throw new ValidationError(field, `unknown restart policy ${String(p)}`);
  }
}

export function terminateActionFromProto(a: TerminateAction, field: string): 'stop' | 'kill' {
  switch (a) {
    case TerminateAction.TERMINATE_ACTION_STOP:
      return 'stop';
    case TerminateAction.TERMINATE_ACTION_KILL:
      return 'kill';
    default:
      throw new ValidationError(field, `must be TERMINATE_ACTION_STOP or TERMINATE_ACTION_KILL, got ${String(a)}`);
  }
}


/** RESTART_FROM_SPECIFIC has no enum value: it is a restart with `restart_from_step` set. */
export function restartPolicyToProto(p: CoreRestartPolicy | undefined): RestartPolicy {
  if (p === undefined || p === 'RESTART_FROM_SPECIFIC') return RestartPolicy.RESTART_POLICY_UNSPECIFIED;
  return p === 'RESTART_FROM_BEGINNING' ? RestartPolicy.RESTART_POLICY_FROM_BEGINNING : RestartPolicy.RESTART_POLICY_FROM_INCOMPLETE;
}
