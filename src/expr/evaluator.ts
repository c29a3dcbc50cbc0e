/**
 * Runs a parsed SEL program in a scope. The script's value is the value of `return`, or else the
 * value of the last top-level statement when that is an expression statement (or a block ending
 * in one), as in Maestro; a script that produces neither is an error.
 *
 * Invariants: every failure leaves as an ExpressionError carrying a source position. Library
 * faults are placed at the operation in progress; anything unexpected (a JS RangeError, a bug)
 * is wrapped rather than allowed to escape as another error type.
 */
import type { EvalScope } from '../core/expr-port.js';
import type { Program, Stmt } from './ast.js';
import { unbox } from './boundary.js';
import { Evaluation } from './context.js';
import { ExpressionError, SelFault } from './errors.js';
import { evalBoolean, evalExpr } from './expressions.js';
import type { SelLimits } from './limits.js';
import { convertForAssign, javaString, SelArray, type ElemKind, type SelValue, type VarKind } from './values.js';

const Flow = { Normal: 0, Break: 1, Continue: 2, Return: 3 } as const;
type Flow = (typeof Flow)[keyof typeof Flow];

const NO_VALUE: unique symbol = Symbol('no value');

interface Run {
  ctx: Evaluation;
  completion: SelValue | typeof NO_VALUE;
  returned: SelValue;
}

function defaultValue(kind: VarKind): SelValue {
  switch (kind) {
    case 'LONG':
      return 0n;
    case 'DOUBLE':
      return 0;
    case 'BOOLEAN':
      return false;
    case 'STRING_ARRAY':
    case 'LONG_ARRAY':
    case 'DOUBLE_ARRAY':
    case 'BOOLEAN_ARRAY':
      return new SelArray(kind.slice(0, -'_ARRAY'.length) as ElemKind, []);
    default:
      return null;
  }
}

function exec(run: Run, s: Stmt): Flow {
  const { ctx } = run;
  ctx.tick(s);
  switch (s.kind) {
    case 'expr':
      run.completion = evalExpr(ctx, s.expr);
      return Flow.Normal;
    case 'block':
      for (const child of s.body) {
        const flow = exec(run, child);
        if (flow !== Flow.Normal) return flow;
      }
      return Flow.Normal;
    case 'decl':
      for (const d of s.declarators) {
        const value = d.init === undefined ? defaultValue(s.varKind) : evalExpr(ctx, d.init);
        ctx.at = d;
        ctx.vars.set(d.name, { value: convertForAssign(s.varKind, value, d.name), kind: s.varKind });
      }
      run.completion = NO_VALUE;
      return Flow.Normal;
    case 'if': {
      const branch = evalBoolean(ctx, s.test, 'if condition') ? s.then : s.otherwise;
      const flow = branch === undefined ? Flow.Normal : exec(run, branch);
      run.completion = NO_VALUE;
      return flow;
    }
    case 'while':
    case 'for': {
      const flow = loop(run, s);
      run.completion = NO_VALUE;
      return flow;
    }
    case 'break':
      return Flow.Break;
    case 'continue':
      return Flow.Continue;
    case 'return':
      run.returned = evalExpr(ctx, s.value);
      return Flow.Return;
    case 'throw': {
      const message = javaString(evalExpr(ctx, s.value));
      throw new ExpressionError(message, s.line, s.column, { thrown: true });
    }
    case 'empty':
      return Flow.Normal;
  }
}

function loop(run: Run, s: Extract<Stmt, { kind: 'while' | 'for' }>): Flow {
  const { ctx } = run;
  if (s.kind === 'for') for (const init of s.init) exec(run, init);
  const test = s.test;
  for (let n = 1; test === undefined || evalBoolean(ctx, test, `${s.kind} condition`); n++) {
    if (n > ctx.limits.loopIterations) {
      ctx.at = s;
      ctx.limit('loopIterations');
    }
    const flow = exec(run, s.body);
    if (flow === Flow.Break) break;
    if (flow === Flow.Return) return flow;
    if (s.kind === 'for') for (const u of s.update) evalExpr(ctx, u);
  }
  return Flow.Normal;
}

/** Evaluates `program` in `scope` and returns plain JS (see ExpressionEngine.evaluate). */
export function runProgram(program: Program, scope: EvalScope, limits: SelLimits): unknown {
  const ctx = new Evaluation(scope, limits);
  const run: Run = { ctx, completion: NO_VALUE, returned: null };
  try {
    let result: SelValue | typeof NO_VALUE = NO_VALUE;
    for (const s of program.body) {
      const flow = exec(run, s);
      if (flow === Flow.Return) {
        result = run.returned;
        break;
      }
      result = run.completion;
    }
    if (result === NO_VALUE) {
      return ctx.fail(ctx.at, 'the SEL expression produced no value: end it with an expression or a return statement');
    }
    return unbox(result);
  } catch (e) {
    throw toExpressionError(e, ctx);
  }
}

function toExpressionError(e: unknown, ctx: Evaluation): ExpressionError {
  if (e instanceof ExpressionError) return e;
  const { line, column } = ctx.at;
  if (e instanceof SelFault) return new ExpressionError(e.message, line, column, { cause: e.cause ?? e, limit: e.limit });
  if (e instanceof RangeError && /call stack/i.test(e.message)) {
    return new ExpressionError(`SEL limit exceeded: the JS stack overflowed (stackDepth)`, line, column, { cause: e, limit: 'stackDepth' });
  }
  const message = e instanceof Error ? e.message : String(e);
  return new ExpressionError(`SEL evaluation failed: ${message}`, line, column, { cause: e });
}
