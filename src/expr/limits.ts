/**
 * Sandbox limits of the SEL evaluator, with Maestro's defaults (maestro-server application.yml:
 * loop-limit 25001, array-limit 25001, length-limit 10000, stack-limit 128).
 *
 * Invariants:
 * - Every loop iteration, every AST node visit and every array/map/string allocation made on
 *   behalf of a script is counted against these limits, so no script can run, allocate or
 *   recurse without bound. Exceeding one throws an ExpressionError whose `limit` names it and
 *   whose message reads "SEL limit exceeded: <what> > <limit> (<limitName>)"
 *   (size checks and the allocation budget are in budget.ts).
 * - Wall time is checked every 256 node visits and after every library call against a deadline
 *   taken when evaluation starts; a single library call is bounded by the size limits.
 * - Allocation is counted cumulatively (Maestro's MemoryCounter): strings produced by `+` or a
 *   library call, arrays when created, map entries when added. The count never decreases, so a
 *   script cannot exhaust the process heap whatever it retains.
 * - Parsing is bounded by `sourceLength`, and bracket nesting by `stackDepth`, before the parser
 *   runs; a JS stack overflow anywhere is still caught and reported as a limit error.
 */
export interface SelLimits {
  /** Maximum iterations of a single while/for loop execution. */
  loopIterations: number;
  /** Maximum length of an array (literal, `new T[n]`, split, Util results) and entries of a map. */
  arraySize: number;
  /** Maximum length of the expression source, in characters. */
  sourceLength: number;
  /** Maximum nesting depth of expressions and statements during parsing and evaluation. */
  stackDepth: number;
  /** Maximum number of AST nodes visited in one evaluation. */
  nodeVisits: number;
  /** Maximum wall time of one evaluation, in milliseconds. */
  wallTimeMs: number;
  /** Maximum length of any string a script builds, in characters. */
  stringLength: number;
  /**
   * Maximum bytes a script may allocate in one evaluation, counted cumulatively like Maestro's
   * MemoryCounter (2 bytes per string character, 8 per array element, 64 per map entry).
   */
  memoryBytes: number;
  /** Number of parsed scripts kept in the engine's LRU cache. */
  cacheEntries: number;
}

export type SelLimitName = keyof SelLimits;

export const DEFAULT_SEL_LIMITS: Readonly<SelLimits> = Object.freeze({
  loopIterations: 25_001,
  arraySize: 25_001,
  sourceLength: 10_000,
  stackDepth: 128,
  nodeVisits: 10_000_000,
  wallTimeMs: 1_000,
  stringLength: 1_000_000,
  memoryBytes: 100_000_000,
  cacheEntries: 1_000,
});

/** Fills in defaults and rejects nonsensical values (every limit must be a positive integer). */
export function resolveLimits(options?: Partial<SelLimits>): SelLimits {
  const given = Object.entries(options ?? {}).filter(([, v]) => v !== undefined);
  const limits: SelLimits = { ...DEFAULT_SEL_LIMITS, ...(Object.fromEntries(given) as Partial<SelLimits>) };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new RangeError(`SEL limit ${name} must be a positive integer, got ${String(value)}`);
    }
  }
  return limits;
}

const WHAT: Record<SelLimitName, string> = {
  loopIterations: 'loop iterations',
  arraySize: 'array size',
  sourceLength: 'expression length',
  stackDepth: 'nesting depth',
  nodeVisits: 'node visits',
  wallTimeMs: 'wall time ms',
  stringLength: 'string length',
  memoryBytes: 'allocated bytes',
  cacheEntries: 'cache entries',
};

export function limitMessage(name: SelLimitName, limit: number, actual?: number): string {
  const value = actual === undefined ? '' : ` ${actual}`;
  return `SEL limit exceeded: ${WHAT[name]}${value} > ${limit} (${name})`;
}
