/**
 * The SEL class registry: the only classes and methods a script can reach. Method dispatch goes
 * through explicit Map tables keyed by method name, never through JS property lookup, so nothing
 * outside these tables (prototypes, constructors, host objects) is reachable from a script.
 */
import { SelFault } from '../errors.js';
import { SelArray, SelMap, SelObject, typeNameOf, type SelValue } from '../values.js';
import type { LibContext, LibFn, MethodTable } from './args.js';
import { ARRAY_METHODS, ARRAYS_STATICS, MAP_METHODS, newMap } from './collections.js';
import {
  BOOLEAN_FIELDS, BOOLEAN_METHODS, BOOLEAN_STATICS, constructBoolean, constructDouble, constructLong, DATETIME_CONSTANTS,
  DOUBLE_FIELDS, DOUBLE_METHODS, DOUBLE_STATICS, INTEGER_FIELDS, INTEGER_STATICS, LONG_FIELDS, LONG_METHODS, LONG_STATICS,
  MATH_STATICS, SYSTEM_STATICS, UUID_METHODS, UUID_STATICS,
} from './java-lang.js';
import { newString, STRING_METHODS, STRING_STATICS } from './java-string.js';
import {
  DATETIME_METHODS, DATETIME_STATICS, DAYS_METHODS, DAYS_STATICS, FORMAT_STATICS, FORMATTER_METHODS, newDateTime,
  PROPERTY_METHODS, ZONE_FIELDS, ZONE_METHODS, ZONE_STATICS,
} from './joda.js';
import { getParam, PARAMS, PARAMS_METHODS } from './params.js';
import { UTIL_STATICS } from './util.js';

interface ClassDef {
  statics: MethodTable;
  fields?: ReadonlyMap<string, SelValue>;
  construct?: LibFn;
}

const NONE: MethodTable = new Map();

const CLASSES = new Map<string, ClassDef>([
  ['String', { statics: STRING_STATICS, construct: newString }],
  ['Long', { statics: LONG_STATICS, fields: LONG_FIELDS, construct: constructLong }],
  ['Integer', { statics: INTEGER_STATICS, fields: INTEGER_FIELDS, construct: constructLong }],
  ['Double', { statics: DOUBLE_STATICS, fields: DOUBLE_FIELDS, construct: constructDouble }],
  ['Float', { statics: DOUBLE_STATICS, fields: DOUBLE_FIELDS, construct: constructDouble }],
  ['Boolean', { statics: BOOLEAN_STATICS, fields: BOOLEAN_FIELDS, construct: constructBoolean }],
  ['Math', { statics: MATH_STATICS }],
  ['System', { statics: SYSTEM_STATICS }],
  ['Arrays', { statics: ARRAYS_STATICS }],
  ['UUID', { statics: UUID_STATICS }],
  ['Map', { statics: NONE, construct: newMap }],
  ['HashMap', { statics: NONE, construct: newMap }],
  ['LinkedHashMap', { statics: NONE, construct: newMap }],
  ['DateTime', { statics: DATETIME_STATICS, construct: newDateTime }],
  ['DateTimeZone', { statics: ZONE_STATICS, fields: ZONE_FIELDS }],
  ['DateTimeFormat', { statics: FORMAT_STATICS }],
  ['DateTimeFormatter', { statics: FORMAT_STATICS }],
  ['DateTimeConstants', { statics: NONE, fields: DATETIME_CONSTANTS }],
  ['Days', { statics: DAYS_STATICS }],
  ['Util', { statics: UTIL_STATICS }],
]);

export class SelClass extends SelObject {
  readonly kind = 'CLASS';
  constructor(
    readonly name: string,
    readonly def: ClassDef,
  ) {
    super();
  }
  toJavaString(): string {
    return `class ${this.name}`;
  }
}

const CLASS_REFS = new Map([...CLASSES].map(([name, def]) => [name, new SelClass(name, def)]));

/** Names that resolve to built-ins before any param: `params` and the allowed classes. */
export const STATIC_NAMES: ReadonlySet<string> = new Set(['params', ...CLASSES.keys()]);

export function staticValue(name: string): SelValue | undefined {
  return name === 'params' ? PARAMS : CLASS_REFS.get(name);
}

const ALLOWED = [...CLASSES].filter(([, d]) => d.construct).map(([n]) => n).join(', ');

export function construct(c: LibContext, className: string, args: SelValue[]): SelValue {
  const ctor = CLASSES.get(className)?.construct;
  if (!ctor) throw new SelFault(`cannot construct ${className}: SEL allows new only for ${ALLOWED} and arrays`);
  return ctor(c, args, null);
}

function methodsOf(v: SelValue): MethodTable {
  switch (typeof v) {
    case 'string':
      return STRING_METHODS;
    case 'bigint':
      return LONG_METHODS;
    case 'number':
      return DOUBLE_METHODS;
    case 'boolean':
      return BOOLEAN_METHODS;
    default:
      if (v === null) return NONE;
      if (v instanceof SelArray) return ARRAY_METHODS;
      if (v instanceof SelMap) return MAP_METHODS;
      switch (v.kind) {
        case 'DATETIME':
          return DATETIME_METHODS;
        case 'DATETIME_ZONE':
          return ZONE_METHODS;
        case 'DATETIME_FORMATTER':
          return FORMATTER_METHODS;
        case 'DATETIME_PROPERTY':
          return PROPERTY_METHODS;
        case 'DATETIME_DAYS':
          return DAYS_METHODS;
        case 'UUID':
          return UUID_METHODS;
        case 'PARAMS':
          return PARAMS_METHODS;
        case 'CLASS':
          return (v as SelClass).def.statics;
      }
  }
}

export function callMethod(c: LibContext, receiver: SelValue, name: string, args: SelValue[]): SelValue {
  if (receiver === null) throw new SelFault(`NullPointerException: cannot call ${name}() on null`);
  const fn = methodsOf(receiver).get(name);
  if (!fn) {
    const owner = receiver instanceof SelClass ? receiver.name : typeNameOf(receiver);
    throw new SelFault(`${owner} has no method ${name}() in SEL`);
  }
  return fn(c, args, receiver);
}

export function getField(c: LibContext, receiver: SelValue, name: string): SelValue {
  if (receiver instanceof SelArray && name === 'length') return BigInt(receiver.items.length);
  if (receiver instanceof SelClass) {
    const v = receiver.def.fields?.get(name);
    if (v !== undefined) return v;
    throw new SelFault(`${receiver.name} has no field ${name} in SEL`);
  }
  if (receiver === PARAMS) return getParam(c, name);
  if (receiver === null) throw new SelFault(`NullPointerException: cannot read field ${name} of null`);
  throw new SelFault(`${typeNameOf(receiver)} has no field ${name} in SEL`);
}
