/**
 * Lazy, cycle-checked evaluation of merged param specs.
 *
 * Invariants:
 * - Each param is evaluated at most once. `get` evaluates on first use, so a param may reference
 *   one declared after it; the order is deterministic (declaration order, depth first through
 *   references).
 * - A param that references itself through other params fails with ParamCycleError naming the
 *   chain. The exception is a name that also exists outside the graph (a step param named like
 *   a workflow param): while it is being evaluated, its own name reads the outer value, as in
 *   Maestro (`"i": {"expression": "i + 1"}` in a loop body reads the loop's `i`).
 * - An error raised inside the engine's evaluation (a cycle, a missing param, a failing
 *   params.* function) reaches the caller as itself, not wrapped in the engine's error, so the
 *   innermost cause is reported with the path of the param it belongs to.
 * - Expressions never yield null; results are converted to the declared type, then a top-level
 *   param's validator runs.
 * - Time and randomness come only from env.nowMs and env.random.
 */
import { ValidationError } from '../errors.js';
import type { EvalScope, ParamFunctions, TypedValue } from '../expr-port.js';
import { coerce } from './coerce.js';
import { ParamCycleError, ParamEvaluationError } from './errors.js';
import { paramFunctions, type FunctionContext } from './functions.js';
import { interpolate } from './interpolate.js';
import type { ComputeContext, ParamSpec } from './spec.js';
import type { EvalEnv, ParamValue, ParamValues, SystemContext } from './types.js';
import { checkValidator } from './validators.js';

export interface GraphOptions {
  specs: Map<string, ParamSpec>;
  /** Path prefix of these params in errors: `params`, `steps.job1.params`. */
  path: string;
  env: EvalEnv;
  system: SystemContext;
  /** Names outside the graph: workflow params for a step, `step__param` references. */
  outer(name: string): TypedValue | undefined;
  functions: Omit<FunctionContext, 'lookup' | 'env' | 'system'>;
}

/** What a system param's `compute` sees while the graph evaluates the param at `path`. */
class ComputeScope implements ComputeContext {
  constructor(
    private readonly graph: ParamGraph,
    readonly path: string,
    readonly system: SystemContext,
    readonly nowMs: number,
  ) {}

  need(name: string): unknown {
    return this.graph.need(name, this.path);
  }
}

export class ParamGraph {
  private readonly done = new Map<string, ParamValue>();
  private readonly stack: string[] = [];
  /** The last error that crossed from our scope back into the engine. */
  private crossing: unknown;
  /** Built on first use: most graphs (system defaults, literals) never call the engine. */
  private guardedFns: ParamFunctions | undefined;
  private lookupFn: ((name: string) => TypedValue | undefined) | undefined;

  constructor(private readonly o: GraphOptions) {}

  private get fns(): ParamFunctions {
    if (this.guardedFns) return this.guardedFns;
    const fns = paramFunctions({ ...this.o.functions, env: this.o.env, system: this.o.system, lookup: this.boundLookup() });
    const guarded: Record<string, unknown> = {};
    for (const [k, f] of Object.entries(fns) as Array<[string, (...a: unknown[]) => unknown]>) {
      guarded[k] = (...a: unknown[]) => this.guard(() => f(...a));
    }
    return (this.guardedFns = guarded as unknown as ParamFunctions);
  }

  private boundLookup(): (name: string) => TypedValue | undefined {
    return (this.lookupFn ??= (n) => this.lookup(n));
  }

  evaluateAll(): ParamValues {
    const out: ParamValues = {};
    for (const name of this.o.specs.keys()) out[name] = this.get(name)!;
    return out;
  }

  /** A name as expressions see it: a param of this graph (evaluated on demand), else the outer scope. */
  lookup(name: string): TypedValue | undefined {
    if (!this.o.specs.has(name)) return this.o.outer(name);
    if (this.stack.includes(name)) {
      const outer = this.o.outer(name);
      if (outer !== undefined) return outer;
    }
    return this.get(name);
  }

  get(name: string): ParamValue | undefined {
    const done = this.done.get(name);
    if (done) return done;
    const spec = this.o.specs.get(name);
    if (!spec) return undefined;
    const path = `${this.o.path}.${name}`;
    const at = this.stack.indexOf(name);
    if (at >= 0) throw new ParamCycleError(path, [...this.stack.slice(at), name]);
    this.stack.push(name);
    try {
      const pv: ParamValue = { type: spec.type, value: this.evaluate(spec, path), mode: spec.mode ?? 'MUTABLE', source: spec.source };
      if (spec.tags?.length) pv.tags = spec.tags;
      this.done.set(name, pv);
      return pv;
    } catch (e) {
      if (e instanceof ValidationError) throw e;
      throw new ParamEvaluationError(path, e instanceof Error ? e.message : String(e), { cause: e });
    } finally {
      this.stack.pop();
    }
  }

  /** `nested`: an entry of a MAP literal, whose validator is not enforced (see validators.ts). */
  private evaluate(spec: ParamSpec, path: string, nested = false): unknown {
    let raw: unknown;
    if (spec.final) raw = spec.value;
    else if (spec.compute) raw = spec.compute(new ComputeScope(this, path, this.o.system, this.o.env.nowMs));
    else if (spec.expression !== undefined) raw = this.evalSel(spec.expression, path, 'expression');
    else if (spec.nested) {
      const out: Record<string, unknown> = {};
      for (const [k, s] of Object.entries(spec.nested)) out[k] = this.evaluate(s, `${path}.${k}`, true);
      raw = out;
    } else raw = this.literal(spec, path);
    const value = coerce(spec.type, raw, path);
    if (spec.validator !== undefined && !spec.final && !nested) {
      checkValidator(spec.validator, { type: spec.type, value }, path, (src, v) => this.evalSel(src, path, 'validator', v));
    }
    return value;
  }

  private literal(spec: ParamSpec, path: string): unknown {
    switch (spec.type) {
      case 'STRING':
        return interpolate(coerce('STRING', spec.value, path) as string, this.boundLookup(), path);
      case 'STRING_ARRAY': {
        const lookup = this.boundLookup();
        return (coerce(spec.type, spec.value, path) as string[]).map((s) => interpolate(s, lookup, path));
      }
      case 'STRING_MAP': {
        const lookup = this.boundLookup();
        const out: Record<string, string> = {};
        for (const [k, v] of Object.entries(coerce(spec.type, spec.value, path) as Record<string, string>)) {
          out[interpolate(k, lookup, path)] = interpolate(v, lookup, `${path}.${k}`);
        }
        return out;
      }
      default:
        return spec.value;
    }
  }

  /** The value of `name` for a system param's compute at `path`; throws when it is not defined. */
  need(name: string, path: string): unknown {
    const v = this.lookup(name);
    if (v === undefined) throw new ParamEvaluationError(path, `needs param [${name}], which is not defined`);
    return v.value;
  }

  private evalSel(source: string, path: string, what: 'expression' | 'validator', param?: TypedValue): unknown {
    this.crossing = undefined;
    let result: unknown;
    try {
      result = this.o.env.engine.evaluate(source, this.scope(param));
    } catch (e) {
      const inner = this.crossing;
      this.crossing = undefined;
      if (inner !== undefined) throw inner;
      throw new ParamEvaluationError(path, `${what} ${JSON.stringify(source)} failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
    if (result === null || result === undefined) {
      throw new ParamEvaluationError(path, `${what} ${JSON.stringify(source)} returned null; a param cannot be null`);
    }
    return result;
  }

  /** The scope an expression sees; in a validator, `param` is the value being validated. */
  private scope(param?: TypedValue): EvalScope {
    return {
      lookup: (n) => this.guard(() => (param && n === 'param' ? param : this.lookup(n))),
      params: this.fns,
      nowMs: this.o.env.nowMs,
      random: this.o.env.random,
    };
  }

  private guard<T>(f: () => T): T {
    try {
      return f();
    } catch (e) {
      const top = this.stack[this.stack.length - 1];
      const path = top === undefined ? this.o.path : `${this.o.path}.${top}`;
      const err = e instanceof ValidationError ? e : new ParamEvaluationError(path, e instanceof Error ? e.message : String(e), { cause: e });
      this.crossing = err;
      throw err;
    }
  }
}
