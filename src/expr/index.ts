/**
 * SEL, Maestro's "Simple Expression Language" (a safe subset of Java), as an ExpressionEngine:
 * a chevrotain parser, a sandboxed tree-walking evaluator and a bounded cache of parsed scripts.
 */
import type { EvalScope, ExpressionEngine } from '../core/expr-port.js';
import { LruCache } from './cache.js';
import { compileSel, type CompiledSel } from './compile.js';
import { runProgram } from './evaluator.js';
import { resolveLimits, type SelLimits } from './limits.js';

export { ExpressionError } from './errors.js';
export { DEFAULT_SEL_LIMITS, type SelLimits, type SelLimitName } from './limits.js';
export { sanitize, type CompiledSel } from './compile.js';

export interface SelEngine extends ExpressionEngine {
  /** Parses (and caches) `source`; throws an ExpressionError when it is not valid SEL. */
  compile(source: string): CompiledSel;
  /** The limits this engine enforces (defaults filled in). */
  readonly limits: Readonly<SelLimits>;
}

/** Creates a SEL engine; `options` overrides any of DEFAULT_SEL_LIMITS. */
export function createSelEngine(options?: Partial<SelLimits>): SelEngine {
  const limits = resolveLimits(options);
  const cache = new LruCache<string, CompiledSel>(limits.cacheEntries);
  const compile = (source: string): CompiledSel => {
    let compiled = cache.get(source);
    if (compiled === undefined) {
      compiled = compileSel(source, limits);
      cache.set(source, compiled);
    }
    return compiled;
  };
  return {
    limits,
    compile,
    evaluate(source: string, scope: EvalScope): unknown {
      return runProgram(compile(source).program, scope, limits);
    },
  };
}
