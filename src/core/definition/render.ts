/**
 * Renders the typed model back into Maestro's snake_case JSON shape, with Maestro's field
 * order. `parseWorkflowObject(toMaestroJson(r))` deep-equals `r` for any `r` that
 * parseWorkflowObject produced; defaults filled in by the parser (run strategy, subworkflow
 * sync flags, is_active) are written out explicitly.
 */
import type {
  ParamDefinition,
  ParamDefinitions,
  Properties,
  RetryPolicy,
  SignalDependency,
  SignalOutput,
  SignalTrigger,
  Step,
  Tag,
  TimeTrigger,
  Workflow,
  WorkflowCreateRequest,
} from './model.js';
import { assertNever } from '../errors.js';
import { setOwn } from './reader.js';
import { BACKOFF_FIELDS, RETRY_LIMIT_FIELDS } from './retry.js';

type Obj = Record<string, unknown>;

/** Builds an object from [key, value] pairs, skipping undefined values. */
function obj(...entries: ReadonlyArray<readonly [string, unknown]>): Obj {
  const out: Obj = {};
  for (const [k, v] of entries) if (v !== undefined) setOwn<unknown>(out, k, v);
  return out;
}

function mapValues<T>(rec: Readonly<Record<string, T>>, f: (v: T) => unknown): Obj {
  const out: Obj = {};
  for (const [k, v] of Object.entries(rec)) setOwn(out, k, f(v));
  return out;
}

const nonEmpty = <T>(xs: readonly T[] | undefined, f: (x: T) => unknown): unknown[] | undefined =>
  xs && xs.length > 0 ? xs.map(f) : undefined;
const nonEmptyParams = (p: ParamDefinitions | undefined): Obj | undefined =>
  p && Object.keys(p).length > 0 ? renderParams(p) : undefined;

/** The request as Maestro JSON; the result shares no objects with `req`. */
export function toMaestroJson(req: WorkflowCreateRequest): Obj {
  return structuredClone({
    ...obj(
      ['properties', renderProperties(req.properties)],
      ['workflow', renderWorkflow(req.workflow)],
      ['is_active', req.isActive],
      ['git_info', req.gitInfo],
    ),
    ...req.extraInfo,
  });
}

function renderProperties(p: Properties): Obj {
  return {
    ...obj(
      ['owner', p.ownerInfo ? { name: p.owner, ...p.ownerInfo } : p.owner],
      ['access_control', p.accessControl],
      ['run_strategy', { rule: p.runStrategy.rule, workflow_concurrency: p.runStrategy.workflowConcurrency }],
      ['step_concurrency', p.stepConcurrency],
      ['alerting', p.alerting],
      ['alerting_disabled', p.alertingDisabled],
      ['signal_trigger_disabled', p.signalTriggerDisabled],
      ['time_trigger_disabled', p.timeTriggerDisabled],
      ['description', p.description],
      ['tags', p.tags?.map(renderTag)],
    ),
    ...p.extra,
  };
}

function renderWorkflow(w: Workflow): Obj {
  return {
    ...obj(
      ['id', w.id],
      ['name', w.name],
      ['description', w.description],
      ['tags', nonEmpty(w.tags, renderTag)],
      ['timeout', w.timeout],
      ['time_triggers', nonEmpty(w.timeTriggers, renderTimeTrigger)],
      ['signal_triggers', nonEmpty(w.signalTriggers, renderSignalTrigger)],
      ['criticality', w.criticality],
      ['instance_step_concurrency', w.instanceStepConcurrency],
      ['params', nonEmptyParams(w.params)],
      ['steps', w.steps.map(renderStep)],
    ),
    ...w.extra,
  };
}

export function renderStep(s: Step): Obj {
  const t = s.transition;
  const transition =
    Object.keys(t.successors).length > 0 || t.predecessors !== undefined
      ? obj(['predecessors', t.predecessors], ['successors', { ...t.successors }])
      : undefined;
  const head = obj(['id', s.id], ['name', s.name], ['description', s.description], ['transition', transition]);
  let own: Obj;
  switch (s.kind) {
    case 'step':
      own = obj(
        ['type', s.type],
        ['sub_type', s.subType],
        ['sub_type_version', s.subTypeVersion],
        ['retry_policy', s.retryPolicy && renderRetryPolicy(s.retryPolicy)],
      );
      break;
    case 'foreach':
      own = obj(['concurrency', s.concurrency], ['strict_ordering', s.strictOrdering], ['steps', s.steps.map(renderStep)]);
      break;
    case 'while':
      own = obj(['condition', s.condition], ['steps', s.steps.map(renderStep)]);
      break;
    case 'subworkflow':
      own = obj(['sync', s.sync], ['explicit_params', s.explicitParams]);
      break;
    case 'template':
      own = { ...s.template };
      break;
    default:
      return assertNever(s, 'step kind');
  }
  const tail = obj(
    ['failure_mode', s.failureMode],
    ['tags', nonEmpty(s.tags, renderTag)],
    ['timeout', s.timeout],
    ['signal_dependencies', nonEmpty(s.signalDependencies, renderSignalDependency)],
    ['signal_outputs', nonEmpty(s.signalOutputs, renderSignalOutput)],
    ['params', nonEmptyParams(s.params)],
  );
  return { [s.kind]: { ...head, ...own, ...tail, ...s.extra } };
}

function renderRetryPolicy(r: RetryPolicy): Obj {
  const out = obj(...RETRY_LIMIT_FIELDS.map(([json, field]) => [json, r[field]] as const));
  const b = r.backoff;
  if (b) {
    out.backoff = obj(['type', b.type], ...BACKOFF_FIELDS.map(([json, field]) => [json, b[field]] as const));
  }
  return out;
}

export function renderParams(p: ParamDefinitions): Obj {
  return mapValues(p, renderParam);
}

export function renderParam(d: ParamDefinition): Obj {
  return {
    ...obj(
      ['value', d.type === 'MAP' && d.value !== undefined ? renderParams(d.value as ParamDefinitions) : d.value],
      ['expression', d.expression],
      ['type', d.type],
      ['validator', d.validator],
      ['tags', d.tags?.map(renderTag)],
      ['mode', d.mode],
    ),
    ...d.meta,
  };
}

function renderTag(t: Tag): Obj {
  return { ...obj(['name', t.name], ['namespace', t.namespace], ['permit', t.permit]), ...t.attributes };
}

export function renderTimeTrigger(t: TimeTrigger): Obj {
  return {
    ...obj(
      ['type', t.type],
      ['cron', t.cron],
      ['expression', t.expression],
      ['timezone', t.timezone],
      ['fuzzy_max_delay', t.fuzzyMaxDelay],
    ),
    ...t.extra,
  };
}

export function renderSignalTrigger(t: SignalTrigger): Obj {
  return obj(
    [
      'definitions',
      mapValues(t.definitions, (d) =>
        obj(['match_params', mapValues(d.matchParams, (m) => ({ ...m }))], ['join_keys', d.joinKeys.length ? [...d.joinKeys] : undefined]),
      ),
    ],
    ['params', nonEmptyParams(t.params)],
    ['condition', t.condition],
    ['dedup_expr', t.dedupExpr],
  );
}

function renderSignalDependency(d: SignalDependency): Obj {
  return obj(['name', d.name], ['match_params', mapValues(d.matchParams, (m) => ({ param: renderParam(m.param), operator: m.operator }))]);
}

function renderSignalOutput(o: SignalOutput): Obj {
  return obj(['name', o.name], ['params', nonEmptyParams(o.params)], ['payload', o.payload && renderParams(o.payload)]);
}
