/**
 * Per-evaluation state: local variables, the node-visit and wall-time budget, and the source
 * position of the operation in progress (used to place errors raised by library code).
 *
 * Variables are function-scoped like Maestro's (one symbol table per evaluation, no block scope);
 * each has a static kind fixed at declaration or first assignment. A param read for the first
 * time is copied into the table, so later writes to it stay local to the evaluation.
 */
import type { EvalScope, TypedValue } from '../core/expr-port.js';
import type { Pos } from './ast.js';
import { boxTyped } from './boundary.js';
import { ExpressionError, SelFault } from './errors.js';
import type { LibContext } from './library/args.js';
import { staticValue } from './library/registry.js';
import { limitMessage, type SelLimitName, type SelLimits } from './limits.js';
import { kindOf, type SelValue, type VarKind } from './values.js';

export interface Variable {
  value: SelValue;
  kind: VarKind;
}

export class Evaluation implements LibContext {
  readonly vars = new Map<string, Variable>();
  visits = 0;
  allocated = 0;
  at: Pos = { line: 1, column: 1 };
  private readonly deadline: number;

  constructor(
    readonly scope: EvalScope,
    readonly limits: SelLimits,
  ) {
    this.deadline = Date.now() + limits.wallTimeMs;
  }

  /** Counts one node visit against nodeVisits and, every 256 visits, checks the wall-time budget. */
  tick(node: Pos): void {
    this.at = node;
    if (++this.visits > this.limits.nodeVisits) this.limit('nodeVisits');
    if ((this.visits & 255) === 0 && Date.now() > this.deadline) this.limit('wallTimeMs');
  }

  charge(bytes: number): void {
    this.allocated += bytes;
    if (this.allocated > this.limits.memoryBytes) this.limit('memoryBytes', this.allocated);
  }

  /** Accounts for a library call's result (strings are charged here) and checks the wall time. */
  afterCall(v: SelValue): SelValue {
    if (typeof v === 'string') this.charge(2 * v.length + 32);
    if (Date.now() > this.deadline) this.limit('wallTimeMs');
    return v;
  }

  limit(name: SelLimitName, actual?: number): never {
    throw new ExpressionError(limitMessage(name, this.limits[name], actual), this.at.line, this.at.column, { limit: name });
  }

  fail(node: Pos, message: string): never {
    throw new ExpressionError(message, node.line, node.column);
  }

  /** A bare name: a local, else a built-in (`params`, `Math`...), else a param of the scope. */
  read(name: string, node: Pos): SelValue {
    const local = this.vars.get(name);
    if (local !== undefined) return local.value;
    const builtin = staticValue(name);
    if (builtin !== undefined) return builtin;
    return this.loadParam(name, node).value;
  }

  /** The variable `name`, loading it from the scope's params on first use. */
  variable(name: string, node: Pos): Variable {
    return this.vars.get(name) ?? this.loadParam(name, node);
  }

  /** The param `name` as a new local (undefined when the scope has no such param). */
  paramVariable(name: string): Variable | undefined {
    let typed: TypedValue | undefined;
    try {
      typed = this.scope.lookup(name);
    } catch (e) {
      throw new SelFault(`param ${name} could not be resolved: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
    if (typed === undefined) return undefined;
    const v: Variable = { value: boxTyped(typed, name, this), kind: paramKind(typed) };
    this.vars.set(name, v);
    return v;
  }

  private loadParam(name: string, node: Pos): Variable {
    this.at = node;
    if (staticValue(name) !== undefined) this.fail(node, `${name} is a built-in and cannot be assigned`);
    return this.paramVariable(name) ?? this.fail(node, `unknown variable ${name}: it is neither declared in the expression nor a param in scope`);
  }
}

function paramKind(t: TypedValue): VarKind {
  switch (t.type) {
    case 'STRING_MAP':
    case 'MAP':
      return 'MAP';
    default:
      return t.type;
  }
}

/** The kind a variable takes from its first value (ANY while it only ever held null). */
export function varKindOf(v: SelValue): VarKind {
  const k = kindOf(v);
  return k === 'NULL' || k === 'CLASS' || k === 'PARAMS' ? 'ANY' : k;
}
