/**
 * Merging params stage by stage, with Maestro's mode rules (ParamsMergeHelper).
 *
 * Invariants:
 * - A stage may only *change* a param (a different value, expression or mode) if the param's
 *   effective mode allows it for that stage; re-stating the current value is always allowed.
 *     definition over system defaults, run params at start: MUTABLE, MUTABLE_ON_START, MUTABLE_ON_START_RESTART
 *     restart params:                                      MUTABLE, MUTABLE_ON_START_RESTART
 *     step outputs:                                        MUTABLE
 *   So CONSTANT never changes, IMMUTABLE never by run params, MUTABLE_ON_START only at start.
 * - A param the system RESERVED (owner, workflow_id, step_id...) is never set by users.
 * - A stage may not make a mode less strict than the one it overrides.
 * - `privileged` stages (system merges, a foreach or subworkflow parent passing params down)
 *   skip these checks: the parent has full control over its children.
 * - MAP literals merge key by key (nested keys take the parent's mode when it is stricter);
 *   STRING_MAP literals merge their entries; everything else replaces.
 * - The merged param keeps the type it had; a value of another type is converted or rejected.
 */
import type { ParamMode, ParamType } from '../definition/model.js';
import { coerce, deepEqual, describe, inferType, isPlainObject } from './coerce.js';
import { ParamModeError, ParamTypeError } from './errors.js';
import { hasContent, mergeTags, strictness, stricter, type ParamSpec } from './spec.js';
import type { ParamSource } from './types.js';

export interface MergeStage {
  source: ParamSource;
  /** For messages: "the definition", "run params", "restart params", "step outputs". */
  what: string;
  restart: boolean;
  privileged: boolean;
}

const START_MODES: readonly ParamMode[] = ['MUTABLE', 'MUTABLE_ON_START', 'MUTABLE_ON_START_RESTART'];
const RESTART_MODES: readonly ParamMode[] = ['MUTABLE', 'MUTABLE_ON_START_RESTART'];
const OUTPUT_MODES: readonly ParamMode[] = ['MUTABLE'];

function allowedModes(stage: MergeStage): readonly ParamMode[] {
  if (stage.source === 'OUTPUT_PARAMETER') return OUTPUT_MODES;
  return stage.restart ? RESTART_MODES : START_MODES;
}

function why(mode: ParamMode, stage: MergeStage): string {
  if (mode === 'CONSTANT') return 'a CONSTANT param can never be changed';
  if (mode === 'IMMUTABLE') return 'an IMMUTABLE param can only be set by its definition';
  if (stage.source === 'OUTPUT_PARAMETER') return 'step outputs may only change MUTABLE params';
  return 'a MUTABLE_ON_START param can only be set at start, not at restart';
}

/** Turns a plain value (run, restart or output param) into a spec shaped like `base`. */
export function specFromPlain(value: unknown, base: ParamSpec | undefined, source: ParamSource, final: boolean, path: string): ParamSpec {
  const type: ParamType = base?.type ?? inferType(value, path);
  if (type === 'MAP' && base?.nested && !final) {
    const o = coerce('MAP', value, path) as Record<string, unknown>;
    const nested: Record<string, ParamSpec> = {};
    for (const [k, v] of Object.entries(o)) nested[k] = specFromPlain(v, base.nested[k], source, final, `${path}.${k}`);
    return { type, nested, source };
  }
  const spec: ParamSpec = { type, value: coerce(type, value, path), source };
  if (final) spec.final = true;
  return spec;
}

/** Merges `target` over `base` (absent for a new param) for `stage`; returns the merged spec. */
export function mergeSpec(name: string, base: ParamSpec | undefined, target: ParamSpec, stage: MergeStage, path: string, parentMode?: ParamMode): ParamSpec {
  const mode = effectiveMode(base, target, stage, parentMode);
  if (!base) return { ...target, mode };
  const merged: ParamSpec = {
    type: base.type,
    source: base.source,
    mode,
    ...content(name, base, target, stage, path, mode),
  };
  if (base.internalMode !== undefined) merged.internalMode = base.internalMode;
  const validator = target.validator ?? base.validator;
  if (validator !== undefined) merged.validator = validator;
  const tags = mergeTags(base.tags, target.tags);
  if (tags !== undefined) merged.tags = tags;
  if (isChanged(base, merged, parentMode)) {
    if (!stage.privileged) checkChange(name, base, target, mode, stage, path);
    merged.source = stage.source;
  }
  return merged;
}

function effectiveMode(base: ParamSpec | undefined, target: ParamSpec, stage: MergeStage, parentMode?: ParamMode): ParamMode {
  let mode = target.mode ?? base?.mode;
  const internal = base?.internalMode ?? target.internalMode;
  if (internal !== undefined) mode = stricter(mode, internal === 'RESERVED' ? 'CONSTANT' : 'MUTABLE');
  mode ??= 'MUTABLE';
  if (stage.privileged && base?.mode !== undefined) mode = stricter(mode, base.mode)!;
  return stricter(mode, parentMode)!;
}

type Content = Pick<ParamSpec, 'value' | 'nested' | 'expression' | 'compute' | 'final'>;

function content(name: string, base: ParamSpec, target: ParamSpec, stage: MergeStage, path: string, mode: ParamMode): Content {
  const isMap = (t: ParamType) => t === 'MAP' || t === 'STRING_MAP';
  if ((isMap(base.type) || isMap(target.type)) && base.type !== target.type) {
    throw new ParamTypeError(path, `type mismatch: param [${name}] is ${base.type}, cannot be set to a ${target.type}`);
  }
  if (target.expression !== undefined) return { expression: target.expression };
  if (target.compute !== undefined) return { compute: target.compute };
  if (!isMap(base.type) || !hasContent(base)) {
    const c = pick(target);
    if (c.value !== undefined) c.value = convert(name, base.type, target, path);
    return c;
  }
  if (base.expression !== undefined || base.compute !== undefined) {
    throw new ParamTypeError(path, `${base.type} param [${name}] is defined by an expression; ${stage.what} cannot merge entries into it`);
  }
  if (base.nested && target.nested) {
    const nested: Record<string, ParamSpec> = { ...base.nested };
    for (const [k, t] of Object.entries(target.nested)) nested[k] = mergeSpec(k, base.nested[k], t, stage, `${path}.${k}`, mode);
    return { nested };
  }
  if (base.value !== undefined && target.value !== undefined) {
    const value = base.type === 'MAP' ? deepMerge(base.value, target.value) : { ...(base.value as object), ...(target.value as object) };
    return base.final ? { value, final: true } : { value };
  }
  return pick(target);
}

function pick(t: ParamSpec): Content {
  const c: Content = {};
  if (t.value !== undefined) c.value = t.value;
  if (t.nested !== undefined) c.nested = t.nested;
  if (t.final) c.final = true;
  return c;
}

function convert(name: string, type: ParamType, target: ParamSpec, path: string): unknown {
  if (target.type === type) return target.value;
  try {
    return coerce(type, target.value, path);
  } catch (e) {
    throw new ParamTypeError(path, `type mismatch: param [${name}] is ${type}, cannot be set to ${target.type} ${describe(target.value)}`, { cause: e });
  }
}

function deepMerge(a: unknown, b: unknown): unknown {
  if (!isPlainObject(a) || !isPlainObject(b)) return b;
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = k in a ? deepMerge(a[k], v) : v;
  return out;
}

/** A spec's effective mode before any merge sets it explicitly. */
function modeOf(s: ParamSpec): ParamMode {
  return s.mode ?? (s.internalMode === 'RESERVED' ? 'CONSTANT' : 'MUTABLE');
}

/** Whether `merged` differs from `base`; a mode only inherited from the parent map is no change. */
function isChanged(base: ParamSpec, merged: ParamSpec, parentMode?: ParamMode): boolean {
  if (stricter(modeOf(base), parentMode) !== stricter(modeOf(merged), parentMode)) return true;
  if (base.expression !== merged.expression || base.compute !== merged.compute) return true;
  if (base.nested || merged.nested) {
    if (!base.nested || !merged.nested) return true;
    const keys = new Set([...Object.keys(base.nested), ...Object.keys(merged.nested)]);
    return [...keys].some((k) => !base.nested![k] || !merged.nested![k] || isChanged(base.nested![k]!, merged.nested![k]!, modeOf(merged)));
  }
  return !deepEqual(base.value, merged.value);
}

function checkChange(name: string, base: ParamSpec, target: ParamSpec, mode: ParamMode, stage: MergeStage, path: string): void {
  if (base.internalMode === 'RESERVED') {
    throw new ParamModeError(path, name, 'RESERVED', `param [${name}] is reserved by the system and cannot be set by ${stage.what}`);
  }
  if (!allowedModes(stage).includes(mode)) {
    throw new ParamModeError(path, name, mode, `${stage.what} cannot change param [${name}] with mode ${mode}: ${why(mode, stage)}`);
  }
  if (target.mode !== undefined && base.mode !== undefined && strictness(target.mode) < strictness(base.mode)) {
    throw new ParamModeError(path, name, target.mode, `${stage.what} cannot make param [${name}] less strict: from ${base.mode} to ${target.mode}`);
  }
}
