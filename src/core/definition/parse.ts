/**
 * Parses Maestro's workflow create request `{properties, workflow, is_active?, git_info?}` from
 * JSON or YAML text, or from an already-decoded value, into the typed model, validating as
 * Maestro does (see the sibling modules for each part). Unknown keys are errors, except where
 * Maestro keeps arbitrary keys (param definition meta, tag attributes, alerting, access
 * control, owner details, git_info, template steps). The first problem found is thrown as a
 * ValidationError whose `path` is the JSON path of the offending field.
 */
import { parseAllDocuments } from 'yaml';
import {
  RUN_STRATEGY_RULES,
  type Properties,
  type RunStrategy,
  type RunStrategyRule,
  type Workflow,
  type WorkflowCreateRequest,
} from './model.js';
import { parseDurationMs, readParsable } from './duration.js';
import { readNameSize, readWorkflowId } from './ids.js';
import {
  DEFAULT_PARALLELISM,
  FIELD_SIZE_LIMIT,
  INSTANCE_STEP_CONCURRENCY_MAX_LIMIT,
  STEP_CONCURRENCY_MAX_LIMIT,
  WORKFLOW_CONCURRENCY_MAX_LIMIT,
} from './limits.js';
import { readParamDefinitions, readTags } from './params.js';
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
import { readSteps } from './steps.js';
import { checkStepTree } from './structure.js';
import { readSignalTriggers, readTimeTriggers } from './triggers.js';

const CRITICALITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW'] as const;

/** Parses JSON or YAML text; `format` defaults to JSON when the text starts with `{`, else YAML. */
export function parseWorkflowRequest(text: string, format?: 'json' | 'yaml'): WorkflowCreateRequest {
  const fmt = format ?? (text.trimStart().startsWith('{') ? 'json' : 'yaml');
  let value: unknown;
  try {
    value = fmt === 'json' ? JSON.parse(text) : decodeYaml(text);
  } catch (e) {
    fail('', `not valid ${fmt.toUpperCase()}: ${(e as Error).message}`);
  }
  return parseWorkflowObject(value);
}

/** One YAML document (core schema); warnings such as unknown tags count as errors. */
function decodeYaml(text: string): unknown {
  const docs = parseAllDocuments(text, { uniqueKeys: true, prettyErrors: true, logLevel: 'silent' });
  if (!Array.isArray(docs)) return null; // empty stream
  if (docs.length > 1) throw new Error(`expected one YAML document, got ${docs.length}`);
  const doc = docs[0];
  if (doc === undefined) return null;
  const problem = doc.errors[0] ?? doc.warnings[0];
  if (problem) throw problem;
  return doc.toJS({ maxAliasCount: 100 });
}

export function parseWorkflowObject(input: unknown): WorkflowCreateRequest {
  const root = readObject(input, '', 'a workflow create request object {properties, workflow}');
  checkKeys(root, ['properties', 'workflow', 'is_active', 'git_info'], '');
  const req: WorkflowCreateRequest = {
    properties: required(root, 'properties', '', readProperties),
    workflow: required(root, 'workflow', '', readWorkflow),
    isActive: optional(root, 'is_active', '', readBoolean) ?? true,
  };
  const gitInfo = optional(root, 'git_info', '', readJsonObject);
  if (gitInfo !== undefined) req.gitInfo = gitInfo;
  return req;
}

function readProperties(v: unknown, path: string): Properties {
  const o = readObject(v, path);
  checkKeys(
    o,
    [
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
    ],
    path,
  );
  const props: Properties = {
    owner: '',
    runStrategy: optional(o, 'run_strategy', path, readRunStrategy) ?? { rule: 'SEQUENTIAL', workflowConcurrency: 1 },
  };
  readOwner(o, path, props);
  const accessControl = optional(o, 'access_control', path, readJsonObject);
  if (accessControl !== undefined) props.accessControl = accessControl;
  const stepConcurrency = optional(o, 'step_concurrency', path, readIntegerIn(1, STEP_CONCURRENCY_MAX_LIMIT));
  if (stepConcurrency !== undefined) props.stepConcurrency = stepConcurrency;
  const alerting = optional(o, 'alerting', path, readJsonObject);
  if (alerting !== undefined) props.alerting = alerting;
  const flags = [
    ['alerting_disabled', 'alertingDisabled'],
    ['signal_trigger_disabled', 'signalTriggerDisabled'],
    ['time_trigger_disabled', 'timeTriggerDisabled'],
  ] as const;
  for (const [json, field] of flags) {
    const b = optional(o, json, path, readBoolean);
    if (b !== undefined) props[field] = b;
  }
  const description = optional(o, 'description', path, readText(FIELD_SIZE_LIMIT));
  if (description !== undefined) props.description = description;
  const tags = optional(o, 'tags', path, readTags);
  if (tags !== undefined) props.tags = tags;
  return props;
}

/** Maestro's User: a name, or `{name, ...extra}`. */
function readOwner(o: JsonObject, path: string, props: Properties): void {
  const p = join(path, 'owner');
  const v = o.owner;
  if (v === undefined || v === null) fail(p, 'is required');
  if (typeof v === 'string') {
    props.owner = readNonEmptyString(v, p);
    return;
  }
  const obj = readJsonObject(v, p);
  props.owner = required(obj, 'name', p, readNonEmptyString);
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
    fail(cpath, `only the PARALLEL run strategy allows a workflow_concurrency above 1 (rule is ${rule})`);
  }
  return { rule, workflowConcurrency };
}

function readRule(v: unknown, path: string): RunStrategyRule {
  if (typeof v === 'string' && v.toUpperCase() === 'SERIAL_LATEST_ONLY') {
    fail(path, 'run strategy SERIAL_LATEST_ONLY is not supported');
  }
  return readEnum(RUN_STRATEGY_RULES, 'run strategy')(v, path);
}

function readWorkflow(v: unknown, path: string): Workflow {
  const o = readObject(v, path);
  checkKeys(
    o,
    [
      'id',
      'name',
      'description',
      'tags',
      'timeout',
      'time_triggers',
      'signal_triggers',
      'criticality',
      'instance_step_concurrency',
      'params',
      'steps',
    ],
    path,
  );
  const wf: Workflow = {
    id: required(o, 'id', path, readWorkflowId),
    tags: [],
    params: {},
    steps: [],
    timeTriggers: [],
    signalTriggers: [],
  };
  const name = optional(o, 'name', path, readNameSize);
  if (name !== undefined) wf.name = name;
  const description = optional(o, 'description', path, readText(FIELD_SIZE_LIMIT));
  if (description !== undefined) wf.description = description;
  wf.tags = optional(o, 'tags', path, readTags) ?? [];
  const timeout = optional(o, 'timeout', path, readParsable);
  if (timeout !== undefined) {
    parseDurationMs(timeout, join(path, 'timeout'));
    wf.timeout = timeout;
  }
  wf.timeTriggers = optional(o, 'time_triggers', path, readTimeTriggers) ?? [];
  wf.signalTriggers = optional(o, 'signal_triggers', path, readSignalTriggers) ?? [];
  const criticality = optional(o, 'criticality', path, readEnum(CRITICALITIES, 'criticality'));
  if (criticality !== undefined) wf.criticality = criticality;
  const isc = optional(o, 'instance_step_concurrency', path, readIntegerIn(1, INSTANCE_STEP_CONCURRENCY_MAX_LIMIT - 1));
  if (isc !== undefined) wf.instanceStepConcurrency = isc;
  wf.params = optional(o, 'params', path, readParamDefinitions) ?? {};
  wf.steps = required(o, 'steps', path, readSteps);
  checkStepTree(wf.steps, join(path, 'steps'));
  return wf;
}
