/**
 * SEL runtime values and the conversions at the engine boundary.
 *
 * Representation: String = JS string, long = bigint (64-bit two's complement, wrapped with
 * BigInt.asIntN), double = number, boolean, null, arrays = SelArray (typed element kind), Map =
 * SelMap (string keys, insertion ordered), Joda/UUID/class references = SelObject subclasses.
 * At the boundary (scope lookups in, evaluate() results out) longs are plain JS numbers and maps
 * are plain objects; values crossing it are always copied so a script cannot mutate its caller.
 */
import { SelFault } from './errors.js';
import { javaDouble } from '../core/java-format.js';

export type ElemKind = 'STRING' | 'LONG' | 'DOUBLE' | 'BOOLEAN';
export type ArrayKind = 'STRING_ARRAY' | 'LONG_ARRAY' | 'DOUBLE_ARRAY' | 'BOOLEAN_ARRAY';
export type ObjectKind =
  | 'DATETIME'
  | 'DATETIME_ZONE'
  | 'DATETIME_FORMATTER'
  | 'DATETIME_PROPERTY'
  | 'DATETIME_DAYS'
  | 'UUID'
  | 'CLASS'
  | 'PARAMS';
export type ValueKind = ElemKind | ArrayKind | 'MAP' | 'NULL' | ObjectKind;
/** The static type of a variable; ANY for a variable first assigned null without a declared type. */
export type VarKind = Exclude<ValueKind, 'NULL' | 'CLASS' | 'PARAMS'> | 'ANY';

/** Base of every non-primitive, non-collection value (Joda types, UUID, class references, params). */
export abstract class SelObject {
  abstract readonly kind: ObjectKind;
  abstract toJavaString(): string;
}

export class SelArray {
  constructor(
    readonly elem: ElemKind,
    readonly items: SelValue[],
  ) {}
  get kind(): ArrayKind {
    return `${this.elem}_ARRAY`;
  }
}

export class SelMap {
  constructor(readonly entries: Map<string, SelValue> = new Map()) {}
}

export type SelValue = string | bigint | number | boolean | null | SelArray | SelMap | SelObject;

export const LONG_MIN = -(2n ** 63n);
export const LONG_MAX = 2n ** 63n - 1n;

export function kindOf(v: SelValue): ValueKind {
  switch (typeof v) {
    case 'string':
      return 'STRING';
    case 'bigint':
      return 'LONG';
    case 'number':
      return 'DOUBLE';
    case 'boolean':
      return 'BOOLEAN';
    default:
      if (v === null) return 'NULL';
      if (v instanceof SelArray) return v.kind;
      if (v instanceof SelMap) return 'MAP';
      return v.kind;
  }
}

const KIND_NAMES: Record<ValueKind | 'ANY', string> = {
  STRING: 'String',
  LONG: 'long',
  DOUBLE: 'double',
  BOOLEAN: 'boolean',
  STRING_ARRAY: 'String[]',
  LONG_ARRAY: 'long[]',
  DOUBLE_ARRAY: 'double[]',
  BOOLEAN_ARRAY: 'boolean[]',
  MAP: 'Map',
  NULL: 'null',
  DATETIME: 'DateTime',
  DATETIME_ZONE: 'DateTimeZone',
  DATETIME_FORMATTER: 'DateTimeFormatter',
  DATETIME_PROPERTY: 'DateTime.Property',
  DATETIME_DAYS: 'Days',
  UUID: 'UUID',
  CLASS: 'class',
  PARAMS: 'params',
  ANY: 'var',
};

export function kindName(kind: ValueKind | 'ANY'): string {
  return KIND_NAMES[kind];
}

export function typeNameOf(v: SelValue): string {
  return KIND_NAMES[kindOf(v)];
}

/** Declared Java type names SEL accepts (Maestro's SelTypeUtil table) and the kind each maps to. */
const DECLARED_TYPES = new Map<string, VarKind>([
  ['int', 'LONG'], ['long', 'LONG'], ['Integer', 'LONG'], ['Long', 'LONG'],
  ['float', 'DOUBLE'], ['double', 'DOUBLE'], ['Float', 'DOUBLE'], ['Double', 'DOUBLE'],
  ['boolean', 'BOOLEAN'], ['Boolean', 'BOOLEAN'], ['String', 'STRING'],
  ['Map', 'MAP'], ['HashMap', 'MAP'], ['LinkedHashMap', 'MAP'],
  ['DateTime', 'DATETIME'], ['DateTimeZone', 'DATETIME_ZONE'],
  ['DateTimeFormatter', 'DATETIME_FORMATTER'], ['DateTimeFormat', 'DATETIME_FORMATTER'],
  ['Property', 'DATETIME_PROPERTY'], ['Days', 'DATETIME_DAYS'], ['UUID', 'UUID'],
]);

export const DECLARED_TYPE_NAMES: readonly string[] = [...DECLARED_TYPES.keys()];

/** Maps a declared type (`long`, `String[]`...) to its kind, or undefined when SEL does not support it. */
export function declaredKind(name: string, array: boolean): VarKind | undefined {
  const kind = DECLARED_TYPES.get(name);
  if (kind === undefined || !array) return kind;
  return isElemKind(kind) ? `${kind}_ARRAY` : undefined;
}

export function isElemKind(kind: string): kind is ElemKind {
  return kind === 'STRING' || kind === 'LONG' || kind === 'DOUBLE' || kind === 'BOOLEAN';
}

const PRIMITIVE_KINDS = new Set<VarKind>(['LONG', 'DOUBLE', 'BOOLEAN']);

/**
 * Converts `v` for storage in a variable or array slot of kind `kind`, applying the only implicit
 * conversion Java does here (long widened to double). Throws on any other mismatch.
 */
export function convertForAssign(kind: VarKind, v: SelValue, target: string): SelValue {
  if (kind === 'ANY') return v;
  if (v === null) {
    if (PRIMITIVE_KINDS.has(kind)) throw new SelFault(`cannot assign null to ${kindName(kind)} ${target}`);
    return v;
  }
  const actual = kindOf(v);
  if (actual === kind) return v;
  if (kind === 'DOUBLE' && actual === 'LONG') return Number(v as bigint);
  throw new SelFault(`type mismatch: cannot assign ${kindName(actual)} to ${kindName(kind)} ${target}`);
}

export { javaDouble };

/** Java's String.valueOf for SEL values (Maestro's formatting for arrays and maps). */
export function javaString(v: SelValue): string {
  switch (typeof v) {
    case 'string':
      return v;
    case 'bigint':
      return v.toString();
    case 'number':
      return javaDouble(v);
    case 'boolean':
      return v ? 'true' : 'false';
    default:
      if (v === null) return 'null';
      if (v instanceof SelArray) return `[${v.items.map(javaString).join(', ')}]`;
      if (v instanceof SelMap) {
        return `{${[...v.entries].map(([k, x]) => `${k}=${javaString(x)}`).join(', ')}}`;
      }
      return v.toJavaString();
  }
}

export function toLong(n: number, what: string): bigint {
  if (!Number.isInteger(n)) throw new SelFault(`${what} must be an integer, got ${n}`);
  return BigInt(n);
}
