/** The merge stages of a param map, in Maestro's order (ParamsManager). */
import { checkParamName } from '../definition/ids.js';
import { RESERVED_PARAM_NAMES } from '../definition/limits.js';
import type { ParamDefinitions } from '../definition/model.js';
import { ParamTypeError } from './errors.js';
import { checkUserParams } from './limits.js';
import { mergeSpec, specFromPlain, type MergeStage } from './merge.js';
import { hasContent, specFromDefinition, type ParamSpec } from './spec.js';
import type { InitiatorType, ParamSource, ParamValues } from './types.js';

export const DEFINITION_STAGE: MergeStage = { source: 'DEFINITION', what: 'the definition', restart: false, privileged: false };

/** Merges definition params over the system defaults in `specs`. */
export function mergeDefinitions(specs: Map<string, ParamSpec>, defs: ParamDefinitions | undefined, path: string): void {
  for (const [name, def] of Object.entries(defs ?? {})) {
    const p = `${path}.${name}`;
    checkParamName(name, p);
    specs.set(name, mergeSpec(name, specs.get(name), specFromDefinition(def, 'DEFINITION', p), DEFINITION_STAGE, p));
  }
}

const RUN_SOURCE: Record<InitiatorType, ParamSource> = {
  MANUAL: 'LAUNCH',
  TIME: 'TIME_TRIGGER',
  SIGNAL: 'SIGNAL',
  SUBWORKFLOW: 'SUBWORKFLOW',
  FOREACH: 'FOREACH',
  WHILE: 'WHILE',
};

/** The stage of user-supplied params: run params at start, restart params at restart. */
export function userStage(initiator: InitiatorType, restart: boolean, what: string): MergeStage {
  const upstream = initiator === 'SUBWORKFLOW' || initiator === 'FOREACH' || initiator === 'WHILE';
  return { source: restart && !upstream ? 'RESTART' : RUN_SOURCE[initiator], what, restart, privileged: upstream };
}

/** Merges plain user values (run or restart params) into `specs`. */
export function applyPlain(specs: Map<string, ParamSpec>, params: Record<string, unknown> | undefined, stage: MergeStage, path: string): void {
  if (!params) return;
  checkUserParams(params, path, stage.what);
  for (const [name, value] of Object.entries(params)) {
    const p = `${path}.${name}`;
    const base = specs.get(name);
    specs.set(name, mergeSpec(name, base, specFromPlain(value, base, stage.source, false, p), stage, p));
  }
}

/**
 * The specs a restart starts from (Maestro merges the previous run's params as SYSTEM):
 * IMMUTABLE params are evaluated again from their definition; every other param keeps the
 * value it had. Reserved names are dropped.
 */
export function restartSpecs(defined: Map<string, ParamSpec>, previous: ParamValues): Map<string, ParamSpec> {
  const out = new Map<string, ParamSpec>();
  for (const [name, pv] of Object.entries(previous)) {
    if (RESERVED_PARAM_NAMES.includes(name)) continue;
    const def = defined.get(name);
    const mode = pv.mode ?? def?.mode ?? 'MUTABLE';
    if (mode === 'IMMUTABLE' && def) {
      out.set(name, def);
      continue;
    }
    const spec: ParamSpec = { type: pv.type, value: pv.value, final: true, mode, source: pv.source ?? def?.source ?? 'SYSTEM' };
    if (def?.internalMode !== undefined) spec.internalMode = def.internalMode;
    const tags = pv.tags ?? def?.tags;
    if (tags !== undefined) spec.tags = tags;
    out.set(name, spec);
  }
  return out;
}

/** Drops OPTIONAL params left without content; fails on any other param without one. */
export function cleanup(specs: Map<string, ParamSpec>, path: string): void {
  // Deleting the entry being visited is safe while iterating a Map.
  for (const [name, s] of specs) {
    const emptyMap = s.nested !== undefined && Object.keys(s.nested).length === 0;
    if (s.internalMode === 'OPTIONAL' && (!hasContent(s) || emptyMap)) {
      specs.delete(name);
    } else if (!hasContent(s)) {
      throw new ParamTypeError(`${path}.${name}`, `[${name}] is a required parameter (type=[${s.type}]) but has no value`);
    }
  }
}
