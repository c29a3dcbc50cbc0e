/**
 * Step definitions: the wrappers `{"step"|"foreach"|"while"|"subworkflow"|"template": {...}}`
 * (Maestro's Step, AbstractStep, TypedStep, ForeachStep, WhileStep, SubworkflowStep,
 * TemplateStep). This reads one step list field by field; checks across steps (ids, DAG, loop
 * params) live in structure.ts.
 */
import type { FailureMode, ForeachStep, Step, StepKind, Transition, TypedStep } from './model.js';
import { FAILURE_MODES } from './model.js';
import { parseDurationMs, readParsable } from './duration.js';
import { readNameSize, readStepId } from './ids.js';
import { FIELD_SIZE_LIMIT, FOREACH_CONCURRENCY_MAX_LIMIT, ID_LENGTH_LIMIT, LOOP_PARAMS_NAME } from './limits.js';
import { readParamDefinitions, readTags } from './params.js';
import { readRetryPolicy } from './retry.js';
import { readSignalDependencies, readSignalOutputs } from './signals.js';
import {
  checkKeys,
  describe,
  fail,
  join,
  optional,
  readArray,
  readBoolean,
  readIntegerIn,
  readJson,
  readNonEmptyString,
  readObject,
  readStringArray,
  readText,
  required,
  setOwn,
  type JsonObject,
} from './reader.js';

export const STEP_KINDS: readonly StepKind[] = ['step', 'foreach', 'while', 'subworkflow', 'template'];
const COMMON_KEYS = [
  'id',
  'name',
  'description',
  'transition',
  'failure_mode',
  'tags',
  'timeout',
  'signal_dependencies',
  'signal_outputs',
  'params',
];
const KIND_KEYS: Record<Exclude<StepKind, 'template'>, string[]> = {
  step: ['type', 'sub_type', 'sub_type_version', 'retry_policy'],
  foreach: ['concurrency', 'strict_ordering', 'steps'],
  while: ['condition', 'steps'],
  subworkflow: ['sync', 'explicit_params'],
};
/** Maestro step types that are not typed (leaf) steps. */
const NON_LEAF_TYPES = ['foreach', 'while', 'subworkflow', 'template', 'join'];
const STEP_TYPE = /^[A-Za-z][A-Za-z0-9_.-]*$/;

export function readSteps(v: unknown, path: string): Step[] {
  const list = readArray(v, path);
  if (list.length === 0) fail(path, 'must contain at least one step');
  return list.map((e, i) => readStep(e, join(path, i)));
}

function readStep(v: unknown, path: string): Step {
  const w = readObject(v, path, `a step wrapper such as {"step": {...}}`);
  const keys = Object.keys(w);
  const kind = STEP_KINDS.find((k) => k === keys[0]);
  if (keys.length !== 1 || kind === undefined) {
    fail(path, `must have exactly one key, one of ${STEP_KINDS.join(', ')}; got ${keys.length ? keys.join(', ') : 'none'}`);
  }
  const p = join(path, kind);
  const o = readObject(w[kind], p);
  if (kind !== 'template') checkKeys(o, [...COMMON_KEYS, ...KIND_KEYS[kind]], p);
  const base = readBase(o, p);
  switch (kind) {
    case 'step': {
      const step: TypedStep = { kind, ...base, type: required(o, 'type', p, readStepType) };
      const subType = optional(o, 'sub_type', p, readNonEmptyString);
      if (subType !== undefined) step.subType = subType;
      const version = optional(o, 'sub_type_version', p, readNonEmptyString);
      if (version !== undefined) step.subTypeVersion = version;
      const retry = optional(o, 'retry_policy', p, readRetryPolicy);
      if (retry !== undefined) step.retryPolicy = retry;
      return step;
    }
    case 'foreach': {
      checkLoopParams(base.params, kind, p);
      const step: ForeachStep = { kind, ...base, steps: required(o, 'steps', p, readSteps) };
      const concurrency = optional(o, 'concurrency', p, readIntegerIn(1, FOREACH_CONCURRENCY_MAX_LIMIT));
      if (concurrency !== undefined) step.concurrency = concurrency;
      const strict = optional(o, 'strict_ordering', p, readBoolean);
      if (strict !== undefined) step.strictOrdering = strict;
      return step;
    }
    case 'while':
      checkLoopParams(base.params, kind, p);
      return {
        kind,
        ...base,
        condition: required(o, 'condition', p, readNonEmptyString),
        steps: required(o, 'steps', p, readSteps),
      };
    case 'subworkflow':
      return {
        kind,
        ...base,
        sync: optional(o, 'sync', p, readBoolean) ?? true,
        explicitParams: optional(o, 'explicit_params', p, readBoolean) ?? false,
      };
    case 'template': {
      const template: JsonObject = {};
      for (const [k, x] of Object.entries(o)) {
        if (!COMMON_KEYS.includes(k)) setOwn(template, k, readJson(x, join(p, k)));
      }
      return { kind, ...base, template };
    }
  }
}

type Base = Omit<TypedStep, 'kind' | 'type' | 'subType' | 'subTypeVersion'>;

function readBase(o: JsonObject, p: string): Base {
  const base: Base = {
    id: required(o, 'id', p, readStepId),
    transition: readTransition(o, p),
    params: optional(o, 'params', p, readParamDefinitions) ?? {},
    tags: optional(o, 'tags', p, readTags) ?? [],
    signalDependencies: optional(o, 'signal_dependencies', p, readSignalDependencies) ?? [],
    signalOutputs: optional(o, 'signal_outputs', p, readSignalOutputs) ?? [],
  };
  const name = optional(o, 'name', p, readNameSize);
  if (name !== undefined) base.name = name;
  const description = optional(o, 'description', p, readText(FIELD_SIZE_LIMIT));
  if (description !== undefined) base.description = description;
  const failureMode = optional(o, 'failure_mode', p, readFailureMode);
  if (failureMode !== undefined) base.failureMode = failureMode;
  const timeout = optional(o, 'timeout', p, readParsable);
  if (timeout !== undefined) {
    parseDurationMs(timeout, join(p, 'timeout'));
    base.timeout = timeout;
  }
  return base;
}

function readFailureMode(v: unknown, path: string): FailureMode {
  const s = typeof v === 'string' ? v.toUpperCase() : v;
  const mode = FAILURE_MODES.find((m) => m === s);
  if (mode === undefined) fail(path, `unknown failure_mode ${describe(v)} (expected one of ${FAILURE_MODES.join(', ')})`);
  return mode;
}

function readStepType(v: unknown, path: string): string {
  const t = readNonEmptyString(v, path);
  if (t.length > ID_LENGTH_LIMIT || !STEP_TYPE.test(t)) {
    fail(path, `step type '${t}' must start with a letter and contain only letters, digits, '.', '-' and '_'`);
  }
  if (NON_LEAF_TYPES.includes(t.toLowerCase())) {
    fail(path, `'${t}' is not a typed step type; write {"${t.toLowerCase()}": {...}} instead of {"step": {...}}`);
  }
  return t;
}

function readTransition(o: JsonObject, stepPath: string): Transition {
  const path = join(stepPath, 'transition');
  const t = optional(o, 'transition', stepPath, readObject);
  if (t === undefined) return { successors: {} };
  checkKeys(t, ['successors', 'predecessors'], path);
  const successors: Record<string, string> = {};
  const sp = join(path, 'successors');
  for (const [id, cond] of Object.entries(optional(t, 'successors', path, readObject) ?? {})) {
    setOwn(successors, id, readCondition(cond, join(sp, id)));
  }
  const transition: Transition = { successors };
  const predecessors = optional(t, 'predecessors', path, readStringArray);
  if (predecessors !== undefined) {
    const pp = join(path, 'predecessors');
    predecessors.forEach((id, i) => {
      if (predecessors.indexOf(id) !== i) fail(join(pp, i), `duplicate predecessor '${id}'`);
    });
    transition.predecessors = predecessors;
  }
  return transition;
}

/** A successor condition: a SEL expression; YAML's bare `true`/`false` are taken as "true"/"false". */
function readCondition(v: unknown, path: string): string {
  if (typeof v === 'boolean') return String(v);
  return readNonEmptyString(v, path);
}

function checkLoopParams(params: Base['params'], kind: string, stepPath: string): void {
  const lp = params[LOOP_PARAMS_NAME];
  if (!Object.hasOwn(params, LOOP_PARAMS_NAME) || lp === undefined) {
    fail(join(stepPath, 'params'), `a ${kind} step needs a '${LOOP_PARAMS_NAME}' param of type MAP`);
  }
  if (lp.type !== 'MAP' || lp.value === undefined) {
    fail(
      join(join(stepPath, 'params'), LOOP_PARAMS_NAME),
      `must be a MAP param with a literal value (the loop params), got type ${lp.type}${lp.value === undefined ? ' with an expression' : ''}`,
    );
  }
}
