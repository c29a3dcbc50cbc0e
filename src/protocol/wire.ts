/**
 * The kit every wire schema is built with: TypeBox schemas compiled once (TypeCompiler emits a
 * straight-line checker; ~0.1 µs for a step task, see scripts/bench-validate.ts), bounded
 * building blocks, and `wire()`, which turns a schema into a parser.
 *
 * What a parser guarantees, for the handler that receives its result:
 * - the value has the schema's shape: required fields present, types right, strings and maps
 *   within their bounds, ids/seqs/epochs finite safe integers;
 * - unknown fields are STRIPPED, not rejected: the result is a copy holding only the schema's
 *   fields (nested objects likewise; free-form maps such as params are kept whole). A newer
 *   node may add an optional field during a rolling upgrade without an older one refusing its
 *   messages, and nothing the schema does not name reaches an actor or the journal;
 * - free-form values (params, outputs, details) are plain data: null, booleans, numbers,
 *   bigints, strings, Dates, arrays and plain objects, nested at most PLAIN_DATA_MAX_DEPTH deep.
 *   msgpack extensions that decode to anything else (Set, RegExp, Error, typed arrays, cycles)
 *   are refused;
 * - a refusal throws InvalidMessageError naming the first offending field.
 * Valid messages come out deep-equal to what went in.
 */
import { Kind, Type, TypeRegistry, type Static, type TArray, type TInteger, type TLiteral, type TNumber, type TObject, type TSchema, type TString, type TUnion, type TUnsafe } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { InvalidMessageError } from './errors.js';

/** Ids (workflow, step, attempt, instance keys, step types); an attempt id joins four of them. */
export const ID_MAX_CHARS = 512;
/** A message id (`Maestro-Msg-Id`): an id plus a suffix such as `#result`. */
export const MSG_ID_MAX_CHARS = ID_MAX_CHARS + 64;
/** Free text in a message (errors, logs, status messages). The NATS max_payload bounds it too. */
export const TEXT_MAX_CHARS = 1 << 20;
/** Nesting of free-form values; the same depth core's param size bound walks. */
export const PLAIN_DATA_MAX_DEPTH = 64;

export const Id = (): TString => Type.String({ minLength: 1, maxLength: ID_MAX_CHARS });
export const Text = (): TString => Type.String({ maxLength: TEXT_MAX_CHARS });
/** A sequence number, epoch, attempt or instance id: a safe integer >= `min`. */
export const Int = (min = 0): TInteger => Type.Integer({ minimum: min, maximum: Number.MAX_SAFE_INTEGER });
/** A time or duration in ms: finite, not negative. */
export const Ms = (): TNumber => Type.Number({ minimum: 0 });

const PLAIN = 'MaestroPlainData';
interface PlainOptions {
  /** The value must be a map of at most this many entries. */
  maxEntries?: number;
}
TypeRegistry.Set<PlainOptions>(PLAIN, (schema, value) => plainProblem(value, schema) === undefined);

/** Any plain data (see above). */
export const PlainData = (): TUnsafe<unknown> => Type.Unsafe<unknown>({ [Kind]: PLAIN });
/** A map of plain data with at most `maxEntries` entries (params, outputs, details). */
export const PlainMap = (maxEntries: number): TUnsafe<Record<string, unknown>> =>
  Type.Unsafe<Record<string, unknown>>({ [Kind]: PLAIN, maxEntries });

export interface WireSchema<T> {
  /** What the message is, for errors: "StepTask", "instance message Start". */
  readonly what: string;
  readonly schema: TSchema;
  /** Returns the value as T (unknown fields stripped) or throws InvalidMessageError. */
  parse(value: unknown): T;
}

/**
 * The parser of a closed union of messages told apart by their `type` literal (an actor's
 * messages): the type picks the schema; an unknown or missing type is refused naming the field
 * and the types there are.
 */
export function typedUnion<M>(what: string, schemas: ReadonlyArray<TSchema & { properties: { type: TLiteral<string> } }>): (body: unknown) => M {
  const byType = new Map<string, WireSchema<unknown>>(schemas.map((s) => [s.properties.type.const, wire(`${what} ${s.properties.type.const}`, s)]));
  const types = [...byType.keys()].join(', ');
  return (body) => {
    const type = typeof body === 'object' && body !== null ? (body as { type?: unknown }).type : undefined;
    const schema = typeof type === 'string' ? byType.get(type) : undefined;
    if (schema === undefined) throw new InvalidMessageError(what, 'type', `expected one of ${types}, got ${typeof type === 'string' ? JSON.stringify(type.slice(0, 40)) : 'none'}`);
    return schema.parse(body) as M;
  };
}

export function wire<S extends TSchema>(what: string, schema: S): WireSchema<Static<S>> {
  const checker = TypeCompiler.Compile(schema);
  const strip = stripperOf(schema);
  return {
    what,
    schema,
    parse(value: unknown): Static<S> {
      if (!checker.Check(value)) {
        const first = checker.Errors(value).First();
        if (first === undefined) throw new InvalidMessageError(what, '', 'does not match its schema');
        const path = pathOf(first.path);
        const deeper = first.schema[Kind] === PLAIN ? plainProblem(first.value, first.schema as PlainOptions) : undefined;
        if (deeper) throw new InvalidMessageError(what, joinPath(path, deeper.path), deeper.problem);
        throw new InvalidMessageError(what, path, describe(first.message, first.value));
      }
      return strip(value) as Static<S>;
    },
  };
}

/** Compile-time check that a schema's static type and the interface it guards agree both ways. */
export type Agrees<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

type Strip = (v: unknown) => unknown;
const keep: Strip = (v) => v;

/**
 * A copier that keeps only the properties object schemas name (recursively, and in lists of
 * objects); other values pass through. Generated code (as TypeBox's checker is): an object literal of the required
 * properties, then the optional ones present, so copies share one hidden class per shape.
 */
function stripperOf(schema: TSchema): Strip {
  if (schema[Kind] === 'Array') {
    const item = stripperOf((schema as TArray).items);
    return item === keep ? keep : (v) => (v as unknown[]).map(item);
  }
  if (schema[Kind] !== 'Object') return keep;
  const { properties, required = [] } = schema as TObject;
  const subs: Strip[] = [];
  let literal = '';
  let optional = '';
  for (const k of Object.keys(properties)) {
    const sub = stripperOf(properties[k]!);
    const key = JSON.stringify(k);
    const value = sub === keep ? `v[${key}]` : `s[${subs.push(sub) - 1}](v[${key}])`;
    if (required.includes(k)) literal += `${key}: ${value}, `;
    else optional += `if (${key} in v) o[${key}] = ${value}; `;
  }
  return new Function('s', `return (v) => { const o = { ${literal}}; ${optional}return o; };`)(subs) as Strip;
}

interface Problem {
  path: string;
  problem: string;
}

/** Why `value` is not plain data (or not a bounded plain map), or undefined when it is. */
function plainProblem(value: unknown, opts: PlainOptions): Problem | undefined {
  if (opts.maxEntries === undefined) return walk(value, 0);
  if (value === undefined) return { path: '', problem: 'is missing' };
  if (!isPlainObject(value)) return { path: '', problem: `expected a map, got ${kindOf(value)}` };
  let n = 0;
  for (const k in value) {
    if (++n > opts.maxEntries) return { path: '', problem: `has ${Object.keys(value).length} entries, more than the limit of ${opts.maxEntries}` };
    const v = value[k];
    if (typeof v === 'object' && v !== null) {
      const p = walk(v, 1);
      if (p) return { path: joinPath(k, p.path), problem: p.problem };
    } else if (typeof v === 'function' || typeof v === 'symbol') {
      return { path: k, problem: `${typeof v} is not plain data` };
    }
  }
  return undefined;
}

function walk(v: unknown, depth: number): Problem | undefined {
  switch (typeof v) {
    case 'string':
    case 'number':
    case 'boolean':
    case 'bigint':
    case 'undefined':
      return undefined;
    case 'object':
      break;
    default:
      return { path: '', problem: `${typeof v} is not plain data` };
  }
  if (v === null) return undefined;
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? { path: '', problem: 'an invalid date' } : undefined;
  if (depth >= PLAIN_DATA_MAX_DEPTH) return { path: '', problem: `nested deeper than ${PLAIN_DATA_MAX_DEPTH} levels` };
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const p = walk(v[i], depth + 1);
      if (p) return { path: joinPath(`[${i}]`, p.path), problem: p.problem };
    }
    return undefined;
  }
  if (!isPlainObject(v)) return { path: '', problem: `${kindOf(v)} is not plain data` };
  for (const k in v) {
    const p = walk(v[k], depth + 1);
    if (p) return { path: joinPath(k, p.path), problem: p.problem };
  }
  return undefined;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

function kindOf(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v === 'string') return v.length > 40 ? `a string of ${v.length} chars` : JSON.stringify(v);
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return `a ${(v as object).constructor?.name ?? 'object'}`;
  return `a ${typeof v}`;
}

/** TypeBox's `/result/status` or `/attempts/0/1` -> `result.status`, `attempts[0][1]`. */
function pathOf(pointer: string): string {
  let out = '';
  for (const raw of pointer.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    out = joinPath(out, /^\d+$/.test(seg) ? `[${seg}]` : seg);
  }
  return out;
}

function joinPath(a: string, b: string): string {
  if (!a) return b;
  if (!b) return a;
  return b.startsWith('[') ? a + b : `${a}.${b}`;
}

function describe(message: string, value: unknown): string {
  const lower = message.charAt(0).toLowerCase() + message.slice(1);
  if (message === 'Expected required property') return 'is missing';
  return `${lower}, got ${kindOf(value)}`;
}

/** One of a closed list of strings (statuses, policies). */
export function OneOf<const T extends readonly string[]>(values: T): TUnion<TLiteral<T[number]>[]> {
  return Type.Union(values.map((v) => Type.Literal(v)));
}
