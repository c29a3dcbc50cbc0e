/** "Did you mean": the names closest to a mistyped one, by edit distance (case-insensitive). */
import { editDistance } from '../core/edit-distance.js';

/**
 * Up to `max` candidates close to `name`, closest first: within a third of the name's length
 * (at least 2 edits), or containing it / contained in it (a prefix, a missing suffix).
 */
export function closest(name: string, candidates: Iterable<string>, max = 3): string[] {
  const limit = Math.max(2, Math.floor(name.length / 3));
  const lower = name.toLowerCase();
  const scored: { c: string; d: number }[] = [];
  for (const c of new Set(candidates)) {
    if (c === name) continue;
    const d = editDistance(lower, c.toLowerCase());
    const contains = lower.length >= 3 && (c.toLowerCase().includes(lower) || lower.includes(c.toLowerCase()));
    if (d <= limit || contains) scored.push({ c, d });
  }
  return scored
    .sort((a, b) => a.d - b.d || a.c.localeCompare(b.c))
    .slice(0, max)
    .map((s) => s.c);
}

/** " (did you mean a, b?)" or "". */
export function didYouMean(name: string, candidates: Iterable<string>): string {
  const near = closest(name, candidates);
  return near.length === 0 ? '' : `; did you mean ${near.join(' or ')}?`;
}
