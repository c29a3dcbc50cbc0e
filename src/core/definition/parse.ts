/**
 * Parses Maestro's workflow create request `{properties, workflow, is_active?, git_info?, ...}`
 * from JSON or YAML text, or from an already-decoded value, into the typed model, validating as
 * Maestro does (see the sibling modules for each part). Other top-level keys are kept as
 * `extraInfo` (Maestro's @JsonAnySetter extra_info). Other unknown keys are errors, except where
 * Maestro keeps arbitrary keys (param definition meta, tag attributes, alerting, access
 * control, owner details, git_info, template steps). The first problem found is thrown as a
 * ValidationError whose `path` is the JSON path of the offending field.
 */
import { parseAllDocuments } from 'yaml';
import type { Properties, Workflow, WorkflowCreateInput, WorkflowCreateRequest } from './model.js';
import { parseDurationMs, readParsable } from './duration.js';
import { readNameSize, readWorkflowId } from './ids.js';
import { EXTRA_INFO_FIELD_LIMIT, EXTRA_INFO_SIZE_LIMIT, FIELD_SIZE_LIMIT, INSTANCE_STEP_CONCURRENCY_MAX_LIMIT } from './limits.js';
import { readParamDefinitions, readTags } from './params.js';
import { mergeProperties, readPropertiesPatch } from './properties.js';
import {
  checkKeys,
  fail,
  join,
  optional,
  readBoolean,
  readEnum,
  readIntegerIn,
  readJson,
  readJsonObject,
  readObject,
  readText,
  required,
  setOwn,
  type JsonObject,
} from './reader.js';
import { readSteps } from './steps.js';
import { checkStepTree } from './structure.js';
import { readSignalTriggers, readTimeTriggers } from './triggers.js';

const CRITICALITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW'] as const;
/** The top-level fields Maestro names; any other is extra_info. */
const REQUEST_KEYS: readonly string[] = ['properties', 'workflow', 'is_active', 'git_info'];

/** Parses JSON or YAML text; `format` defaults to JSON when the text starts with `{`, else YAML. */
export function parseWorkflowRequest(text: string, format?: 'json' | 'yaml'): WorkflowCreateRequest {
  return parseWorkflowObject(decodeRequest(text, format));
}

/** A request as sent (see parseCreateInput), from JSON or YAML text. */
export function parseWorkflowInput(text: string, format?: 'json' | 'yaml'): WorkflowCreateInput {
  return parseCreateInput(decodeRequest(text, format));
}

function decodeRequest(text: string, format?: 'json' | 'yaml'): unknown {
  const fmt = format ?? (text.trimStart().startsWith('{') ? 'json' : 'yaml');
  let value: unknown;
  try {
    value = fmt === 'json' ? JSON.parse(text) : decodeYaml(text);
  } catch (e) {
    fail('', `not valid ${fmt.toUpperCase()}: ${(e as Error).message}`);
  }
  return value;
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

/** A complete request, as for a first version (properties with an owner required). */
export function parseWorkflowObject(input: unknown): WorkflowCreateRequest {
  return completeRequest(parseCreateInput(input), undefined);
}

/**
 * A request as sent: `properties` may be absent or partial (see completeRequest); every
 * top-level field but the four Maestro names is kept in `extraInfo`, within bounds.
 */
export function parseCreateInput(input: unknown): WorkflowCreateInput {
  const root = readObject(input, '', 'a workflow create request object {properties, workflow}');
  const extraInfo = readExtraInfo(root);
  if (root.workflow === undefined || root.workflow === null) {
    const extra = Object.keys(extraInfo ?? {});
    const hint = extra.length > 0 ? ` (top-level ${extra.map((k) => `'${k}'`).join(', ')} would be kept as extra_info)` : '';
    fail('workflow', `is required${hint}`);
  }
  const req: WorkflowCreateInput = {
    workflow: required(root, 'workflow', '', readWorkflow),
    isActive: optional(root, 'is_active', '', readBoolean) ?? true,
  };
  const properties = optional(root, 'properties', '', readPropertiesPatch);
  if (properties !== undefined) req.properties = properties;
  const gitInfo = optional(root, 'git_info', '', readJsonObject);
  if (gitInfo !== undefined) req.gitInfo = gitInfo;
  if (extraInfo !== undefined) req.extraInfo = extraInfo;
  return req;
}

/** The request with its effective properties: `previous` (the latest version's) merged with those given. */
export function completeRequest(input: WorkflowCreateInput, previous: Properties | undefined): WorkflowCreateRequest {
  const { properties, ...rest } = input;
  return { ...rest, properties: mergeProperties(previous, properties) };
}

function readExtraInfo(root: JsonObject): JsonObject | undefined {
  const extra: JsonObject = {};
  for (const key of Object.keys(root)) {
    if (!REQUEST_KEYS.includes(key)) setOwn<unknown>(extra, key, readJson(root[key], key));
  }
  const count = Object.keys(extra).length;
  if (count === 0) return undefined;
  if (count > EXTRA_INFO_FIELD_LIMIT) {
    fail('', `has ${count} extra top-level fields (extra_info); at most ${EXTRA_INFO_FIELD_LIMIT} are kept`);
  }
  const size = new TextEncoder().encode(JSON.stringify(extra)).length;
  if (size > EXTRA_INFO_SIZE_LIMIT) {
    fail('', `extra top-level fields (extra_info) take ${size} bytes of JSON; at most ${EXTRA_INFO_SIZE_LIMIT} are kept`);
  }
  return extra;
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
