/**
 * Workflow properties: reading the (possibly partial) `properties` of a create request, and
 * merging them over the previous version's, as Maestro's PropertiesSnapshot does. Only the
 * first version must carry them, with an owner (MaestroWorkflowDao).
 */
import { RUN_STRATEGY_RULES, type Properties, type PropertiesPatch, type RunStrategy, type RunStrategyRule } from './model.js';
import { DEFAULT_PARALLELISM, FIELD_SIZE_LIMIT, STEP_CONCURRENCY_MAX_LIMIT, WORKFLOW_CONCURRENCY_MAX_LIMIT } from './limits.js';
import { readTags } from './params.js';
import {
  checkKeys,
  fail,
  join,
  optional,
  readBoolean,
  readEnum,
  readIntegerIn,
  readJsonObject,
  readNonEmptyString,
  readObject,
  readText,
  required,
  type JsonObject,
} from './reader.js';

const PROPERTY_KEYS = [
  'owner',
  'access_control',
  'run_strategy',
  'step_concurrency',
  'alerting',
  'alerting_disabled',
  'signal_trigger_disabled',
  'time_trigger_disabled',
  'description',
  'tags',
] as const;

/** The run strategy of a first version that names none. */
const DEFAULT_RUN_STRATEGY: RunStrategy = { rule: 'SEQUENTIAL', workflowConcurrency: 1 };

/** The fields `properties` gives; unknown fields are errors with a "did you mean". */
export function readPropertiesPatch(v: unknown, path: string): PropertiesPatch {
  const o = readObject(v, path);
  checkKeys(o, PROPERTY_KEYS, path);
  const props: PropertiesPatch = {};
  const set = <K extends keyof Properties>(key: K, value: Properties[K] | undefined): void => {
    if (value !== undefined) props[key] = value;
  };
  if (o.owner !== undefined && o.owner !== null) readOwner(o.owner, join(path, 'owner'), props);
  set('runStrategy', optional(o, 'run_strategy', path, readRunStrategy));
  set('accessControl', optional(o, 'access_control', path, readJsonObject));
  set('stepConcurrency', optional(o, 'step_concurrency', path, readIntegerIn(1, STEP_CONCURRENCY_MAX_LIMIT)));
  set('alerting', optional(o, 'alerting', path, readJsonObject));
  set('alertingDisabled', optional(o, 'alerting_disabled', path, readBoolean));
  set('signalTriggerDisabled', optional(o, 'signal_trigger_disabled', path, readBoolean));
  set('timeTriggerDisabled', optional(o, 'time_trigger_disabled', path, readBoolean));
  set('description', optional(o, 'description', path, readText(FIELD_SIZE_LIMIT)));
  set('tags', optional(o, 'tags', path, readTags));
  return props;
}

/**
 * The effective properties of a new version: `previous` (the latest version's, or undefined for
 * the first version) with every field `patch` gives replacing the previous one.
 */
export function mergeProperties(previous: Properties | undefined, patch: PropertiesPatch | undefined): Properties {
  const given = patch ?? {};
  if (previous === undefined) {
    if (!given.owner) fail('properties.owner', 'is required when creating the first version');
    return { runStrategy: DEFAULT_RUN_STRATEGY, ...given, owner: given.owner };
  }
  const merged: Properties = { ...previous, ...given };
  if (given.owner !== undefined && given.ownerInfo === undefined) delete merged.ownerInfo;
  return structuredClone(merged);
}

/** Maestro's User: a name, or `{name, ...extra}` with the extra fields kept. */
function readOwner(v: unknown, path: string, props: PropertiesPatch): void {
  if (typeof v === 'string') {
    props.owner = readNonEmptyString(v, path);
    return;
  }
  const obj = readJsonObject(v, path);
  props.owner = required(obj, 'name', path, readNonEmptyString);
  const info: JsonObject = { ...obj };
  delete info.name;
  if (Object.keys(info).length > 0) props.ownerInfo = info;
}

/** A rule name, a number (PARALLEL with that concurrency) or `{rule, workflow_concurrency?}`. */
function readRunStrategy(v: unknown, path: string): RunStrategy {
  let rule: RunStrategyRule;
  let concurrency: number | undefined;
  let cpath = path;
  if (typeof v === 'string') {
    rule = readRule(v, path);
  } else if (typeof v === 'number') {
    rule = 'PARALLEL';
    concurrency = readIntegerIn(1, WORKFLOW_CONCURRENCY_MAX_LIMIT)(v, path);
  } else {
    const o = readObject(v, path, 'a rule name or {rule, workflow_concurrency}');
    checkKeys(o, ['rule', 'workflow_concurrency'], path);
    rule = required(o, 'rule', path, readRule);
    cpath = join(path, 'workflow_concurrency');
    concurrency = optional(o, 'workflow_concurrency', path, readIntegerIn(1, WORKFLOW_CONCURRENCY_MAX_LIMIT));
  }
  const workflowConcurrency = concurrency ?? (rule === 'PARALLEL' ? DEFAULT_PARALLELISM : 1);
  if (workflowConcurrency > 1 && rule !== 'PARALLEL') {
    fail(cpath, `Only PARALLEL run strategy allows a workflow_concurrency greater than 1 (rule is ${rule})`);
  }
  return { rule, workflowConcurrency };
}

function readRule(v: unknown, path: string): RunStrategyRule {
  return readEnum(RUN_STRATEGY_RULES, 'run strategy')(v, path);
}
