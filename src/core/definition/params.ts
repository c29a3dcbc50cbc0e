/**
 * Param definitions and tag lists (Maestro's models/parameter/*ParamDefinition and
 * definition/Tag, TagList). A param has a literal `value` or an `expression`, never both; the
 * value must match the declared type. Keys other than Maestro's own go to `meta`, as in
 * Maestro (`@JsonAnySetter`).
 */
import { PARAM_MODES, PARAM_TYPES, type ParamDefinition, type ParamDefinitions, type ParamType, type Tag } from './model.js';
import { checkParamName, checkTagName } from './ids.js';
import { PARAM_MAP_SIZE_LIMIT } from './limits.js';
import {
  describe,
  fail,
  join,
  optional,
  readArray,
  readEnum,
  readInteger,
  readJson,
  readNonEmptyString,
  readObject,
  readString,
  required,
  setOwn,
  type JsonObject,
} from './reader.js';

const TAG_NAMESPACES = ['SYSTEM', 'RUNTIME', 'JOB_TEMPLATE', 'NOTEBOOK_TEMPLATE', 'USER_DEFINED', 'PLATFORM'] as const;
const PARAM_KEYS = ['type', 'value', 'expression', 'validator', 'tags', 'mode'];

/** A tag list: each tag is a name string or `{name, namespace?, permit?, ...attributes}`; names unique. */
export function readTags(v: unknown, path: string): Tag[] {
  const tags = readArray(v, path).map((e, i) => readTag(e, join(path, i)));
  const seen = new Set<string>();
  tags.forEach((t, i) => {
    if (seen.has(t.name)) fail(join(path, i), `duplicate tag name '${t.name}'`);
    seen.add(t.name);
  });
  return tags;
}

function readTag(v: unknown, path: string): Tag {
  if (typeof v === 'string') return { name: checkTagName(v, path) };
  const o = readObject(v, path, 'a tag name or an object');
  const tag: Tag = { name: checkTagName(required(o, 'name', path, readString), join(path, 'name')) };
  const ns = optional(o, 'namespace', path, readEnum(TAG_NAMESPACES, 'tag namespace'));
  if (ns !== undefined) tag.namespace = ns;
  const permit = optional(o, 'permit', path, readInteger);
  if (permit !== undefined) tag.permit = permit;
  const attributes: Record<string, unknown> = {};
  for (const [k, a] of Object.entries(o)) {
    if (k !== 'name' && k !== 'namespace' && k !== 'permit') setOwn(attributes, k, readJson(a, join(path, k)));
  }
  if (Object.keys(attributes).length > 0) tag.attributes = attributes;
  return tag;
}

export interface ParamMapOptions {
  /** Param types allowed in this map (e.g. signal outputs only take STRING and LONG). */
  types?: readonly ParamType[];
}

/** A params map: names are Maestro reference ids, not reserved, at most 128 entries. */
export function readParamDefinitions(v: unknown, path: string, opts: ParamMapOptions = {}): ParamDefinitions {
  const o = readObject(v, path, 'an object of param definitions');
  const names = Object.keys(o);
  if (names.length > PARAM_MAP_SIZE_LIMIT) {
    fail(path, `has ${names.length} params, more than the limit of ${PARAM_MAP_SIZE_LIMIT}`);
  }
  const out: ParamDefinitions = {};
  for (const name of names) {
    const p = join(path, name);
    checkParamName(name, p);
    const def = readParamDefinition(o[name], p);
    if (opts.types && !opts.types.includes(def.type)) {
      fail(join(p, 'type'), `param type ${def.type} is not allowed here (expected ${opts.types.join(' or ')})`);
    }
    setOwn(out, name, def);
  }
  return out;
}

export function readParamDefinition(v: unknown, path: string): ParamDefinition {
  const o = readObject(v, path, 'a param definition object');
  const type = required(o, 'type', path, readEnum(PARAM_TYPES, 'param type'));
  const def: ParamDefinition = { type };
  const hasValue = o.value !== undefined && o.value !== null;
  const expression = optional(o, 'expression', path, readNonEmptyString);
  if (hasValue === (expression !== undefined)) {
    fail(path, hasValue ? 'must not have both a value and an expression' : 'must have either a value or an expression');
  }
  if (hasValue) def.value = readTypedValue(type, o.value, join(path, 'value'));
  if (expression !== undefined) def.expression = expression;
  const validator = optional(o, 'validator', path, readNonEmptyString);
  if (validator !== undefined) def.validator = validator;
  const tags = optional(o, 'tags', path, readTags);
  if (tags !== undefined) def.tags = tags;
  const mode = optional(o, 'mode', path, readEnum(PARAM_MODES, 'param mode'));
  if (mode !== undefined) def.mode = mode;
  const meta = readMeta(o, path);
  if (meta !== undefined) def.meta = meta;
  return def;
}

function readMeta(o: JsonObject, path: string): Record<string, unknown> | undefined {
  let meta: Record<string, unknown> | undefined;
  for (const [k, v] of Object.entries(o)) {
    if (PARAM_KEYS.includes(k)) continue;
    meta ??= {};
    setOwn(meta, k, readJson(v, join(path, k)));
  }
  return meta;
}

function readTypedValue(type: ParamType, v: unknown, path: string): unknown {
  switch (type) {
    case 'STRING':
      return readString(v, path);
    case 'LONG':
      return readLong(v, path);
    case 'DOUBLE':
      return readDouble(v, path);
    case 'BOOLEAN':
      return readBool(v, path);
    case 'STRING_MAP': {
      const o = readObject(v, path, 'an object of strings (STRING_MAP)');
      const out: Record<string, string> = {};
      for (const [k, e] of Object.entries(o)) setOwn(out, k, readString(e, join(path, k)));
      return out;
    }
    case 'STRING_ARRAY':
      return readArray(v, path).map((e, i) => readString(e, join(path, i)));
    case 'LONG_ARRAY':
      return readArray(v, path).map((e, i) => readLong(e, join(path, i)));
    case 'DOUBLE_ARRAY':
      return readArray(v, path).map((e, i) => readDouble(e, join(path, i)));
    case 'BOOLEAN_ARRAY':
      return readArray(v, path).map((e, i) => readBool(e, join(path, i)));
    case 'MAP':
      return readParamDefinitions(v, path);
  }
}

function readLong(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) fail(path, `must be an integer (LONG), got ${describe(v)}`);
  return v;
}

function readDouble(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(path, `must be a number (DOUBLE), got ${describe(v)}`);
  return v;
}

function readBool(v: unknown, path: string): boolean {
  if (typeof v !== 'boolean') fail(path, `must be a boolean (BOOLEAN), got ${describe(v)}`);
  return v;
}
