/** Bounded waits: nothing a node awaits on its way down may hang for ever. */
import { TimeoutError } from './errors.js';

/** `p`, or TimeoutError naming `what` after `ms`. `p` keeps running; its late outcome is ignored. */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(what, ms)), Math.max(0, ms));
  });
  return Promise.race([p, expired]).finally(() => clearTimeout(timer));
}

/** Resolves when every promise settled or `ms` passed, whichever comes first; true if all settled. */
export async function settledWithin(promises: readonly Promise<unknown>[], ms: number): Promise<boolean> {
  if (promises.length === 0) return true;
  let timer: NodeJS.Timeout | undefined;
  const all = Promise.allSettled(promises).then(() => true);
  const expired = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), Math.max(0, ms))));
  const done = await Promise.race([all, expired]);
  clearTimeout(timer);
  return done;
}
