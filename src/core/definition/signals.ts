/**
 * Signal definitions: a step's signal_dependencies and signal_outputs (Maestro's
 * SignalDependenciesDefinition, SignalOutputsDefinition and their constraints) and the match
 * operators shared with signal triggers.
 */
import type { SignalDependency, SignalMatchParam, SignalOutput } from './model.js';
import { readParamDefinition, readParamDefinitions } from './params.js';
import {
  checkKeys,
  fail,
  join,
  optional,
  readArray,
  readNonEmptyString,
  readObject,
  readString,
  required,
  setOwn,
} from './reader.js';

export type SignalOperator = SignalMatchParam['operator'];
const OPERATORS: readonly SignalOperator[] = ['=', '<', '>', '<=', '>='];

export function readOperator(v: unknown, path: string): SignalOperator {
  const s = readString(v, path);
  const op = OPERATORS.find((o) => o === s);
  if (op === undefined) fail(path, `unknown signal operator '${s}' (expected one of ${OPERATORS.join(' ')})`);
  return op;
}

export function isRangeOperator(op: SignalOperator): boolean {
  return op !== '=';
}

/** A non-empty list; each dependency has a name and at most one range (non-`=`) match param. */
export function readSignalDependencies(v: unknown, path: string): SignalDependency[] {
  const list = readArray(v, path);
  if (list.length === 0) fail(path, 'must not be empty when present');
  return list.map((e, i) => readSignalDependency(e, join(path, i)));
}

function readSignalDependency(v: unknown, path: string): SignalDependency {
  const o = readObject(v, path);
  checkKeys(o, ['name', 'match_params'], path);
  const name = required(o, 'name', path, readNonEmptyString);
  const matchParams: Record<string, SignalMatchParam> = {};
  const mp = optional(o, 'match_params', path, readObject);
  let rangeParam: string | undefined;
  for (const [key, raw] of Object.entries(mp ?? {})) {
    const p = join(join(path, 'match_params'), key);
    if (key.trim() === '') fail(p, 'match param name must not be empty');
    const entry = readObject(raw, p);
    checkKeys(entry, ['param', 'operator'], p);
    const param = required(entry, 'param', p, readParamDefinition);
    if (param.type !== 'STRING' && param.type !== 'LONG') {
      fail(join(join(p, 'param'), 'type'), `signal match params must be STRING or LONG, got ${param.type}`);
    }
    const operator = required(entry, 'operator', p, readOperator);
    if (isRangeOperator(operator)) {
      if (rangeParam !== undefined) {
        fail(join(p, 'operator'), `signal '${name}' has more than one range match param: '${rangeParam}' and '${key}'`);
      }
      rangeParam = key;
    }
    setOwn(matchParams, key, { param, operator });
  }
  return { name, matchParams };
}

/** A non-empty list of `{name, params?, payload?}`; params are STRING or LONG only. */
export function readSignalOutputs(v: unknown, path: string): SignalOutput[] {
  const list = readArray(v, path);
  if (list.length === 0) fail(path, 'must not be empty when present');
  return list.map((e, i) => {
    const p = join(path, i);
    const o = readObject(e, p);
    checkKeys(o, ['name', 'params', 'payload'], p);
    const out: SignalOutput = {
      name: required(o, 'name', p, readNonEmptyString),
      params: optional(o, 'params', p, (x, q) => readParamDefinitions(x, q, { types: ['STRING', 'LONG'] })) ?? {},
    };
    const payload = optional(o, 'payload', p, readParamDefinitions);
    if (payload !== undefined) out.payload = payload;
    return out;
  });
}
