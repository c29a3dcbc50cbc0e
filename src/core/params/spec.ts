/**
 * ParamSpec: one param between merging and evaluation (Maestro's ParamDefinition with its merge
 * metadata). Exactly one of `value`, `nested`, `expression`, `compute` holds its content, or none
 * for a system param that still needs one (REQUIRED) or may stay unset (OPTIONAL).
 */
import { PARAM_TYPES, type ParamDefinition, type ParamMode, type ParamType, type Tag } from '../definition/model.js';
import type { ParamSource, SystemContext } from './types.js';
import { describe, isPlainObject } from './coerce.js';
import { ParamTypeError } from './errors.js';

/** Maestro's InternalParamMode, which only system params carry. */
export type InternalMode = 'REQUIRED' | 'OPTIONAL' | 'PROVIDED' | 'RESERVED';

export interface ComputeContext {
  /** The evaluated value of another param; throws when it is missing. */
  need(name: string): unknown;
  system: SystemContext;
  nowMs: number;
  path: string;
}

export interface ParamSpec {
  type: ParamType;
  /** A literal; strings are still to be interpolated unless `final`. */
  value?: unknown;
  /** A MAP literal written as nested definitions. */
  nested?: Record<string, ParamSpec>;
  expression?: string;
  /** A system param computed natively (RUN_TS, TARGET_RUN_DATE...). */
  compute?: (c: ComputeContext) => unknown;
  /** `value` is an evaluated result (previous run, step output): used as is. */
  final?: boolean;
  validator?: string;
  tags?: Tag[];
  /** Unset until merged: then the effective mode. */
  mode?: ParamMode;
  internalMode?: InternalMode;
  source: ParamSource;
}

/** Param modes from least to most strict (Maestro's PARAM_MODE_STRICTNESS). */
const STRICTNESS: readonly ParamMode[] = ['MUTABLE', 'MUTABLE_ON_START_RESTART', 'MUTABLE_ON_START', 'IMMUTABLE', 'CONSTANT'];

export function strictness(m: ParamMode): number {
  return STRICTNESS.indexOf(m);
}

export function stricter(a: ParamMode | undefined, b: ParamMode | undefined): ParamMode | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return strictness(a) >= strictness(b) ? a : b;
}

export function hasContent(s: ParamSpec): boolean {
  return s.value !== undefined || s.nested !== undefined || s.expression !== undefined || s.compute !== undefined;
}

/** A spec from a (parsed) definition; MAP values become nested specs. */
export function specFromDefinition(def: ParamDefinition, source: ParamSource, path: string): ParamSpec {
  if (!isPlainObject(def) || !PARAM_TYPES.includes(def.type)) {
    throw new ParamTypeError(path, `must be a param definition with a type (one of ${PARAM_TYPES.join(', ')}), got ${describe(def)}`);
  }
  const hasValue = def.value !== undefined && def.value !== null;
  if (hasValue === (def.expression !== undefined)) {
    throw new ParamTypeError(path, hasValue ? 'must not have both a value and an expression' : 'must have either a value or an expression');
  }
  const spec: ParamSpec = { type: def.type, source };
  if (def.expression !== undefined) spec.expression = def.expression;
  else if (def.type === 'MAP') {
    if (!isPlainObject(def.value)) throw new ParamTypeError(`${path}.value`, `a MAP value must be an object of param definitions, got ${describe(def.value)}`);
    spec.nested = {};
    for (const [k, d] of Object.entries(def.value)) spec.nested[k] = specFromDefinition(d as ParamDefinition, source, `${path}.${k}`);
  } else spec.value = def.value;
  if (def.validator !== undefined) spec.validator = def.validator;
  if (def.tags !== undefined && def.tags.length > 0) spec.tags = def.tags;
  if (def.mode !== undefined) spec.mode = def.mode;
  return spec;
}

/** Union of tag lists by name; a later tag replaces an earlier one with the same name. */
export function mergeTags(a: Tag[] | undefined, b: Tag[] | undefined): Tag[] | undefined {
  if (!a?.length) return b?.length ? b : undefined;
  if (!b?.length) return a;
  const byName = new Map<string, Tag>();
  for (const t of [...a, ...b]) byName.set(t.name, t);
  return [...byName.values()];
}
