/** Enforcement of the size limits (limits.ts) on what a script allocates: arrays, maps, strings. */
import { SelFault } from './errors.js';
import { limitMessage, type SelLimits } from './limits.js';

/** What library code and boxing need: the limits and the allocation counter. */
export interface Budget {
  readonly limits: SelLimits;
  /** Counts `bytes` allocated on behalf of the script; throws past memoryBytes. */
  charge(bytes: number): void;
}

/** Checks the arraySize limit for a new array or map of `length` elements and charges it. */
export function chargeArray(budget: Budget, length: number): void {
  checkSize(budget.limits, 'arraySize', length);
  budget.charge(8 * length + 32);
}

export const MAP_ENTRY_BYTES = 64;

/** Throws a SelFault naming the limit when `actual` exceeds `limits[name]`. */
export function checkSize(limits: SelLimits, name: 'arraySize' | 'stringLength', actual: number): void {
  const limit = limits[name];
  if (actual > limit) throw new SelFault(limitMessage(name, limit, actual), { limit: name });
}
