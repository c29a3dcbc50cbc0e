/** A readable line diff (unified format, `context` lines around each change) for `maestro diff`. */

type Op = { kind: ' ' | '-' | '+'; line: string; a: number; b: number };

/** The edit script from `a` to `b` by longest common subsequence (fine for definitions: thousands of lines). */
function editScript(a: readonly string[], b: readonly string[]): Op[] {
  const n = a.length;
  const m = b.length;
  // lcs[i][j]: length of the LCS of a[i..] and b[j..], in one flat array.
  const lcs = new Uint32Array((n + 1) * (m + 1));
  const at = (i: number, j: number): number => i * (m + 1) + j;
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[at(i, j)] = a[i] === b[j] ? lcs[at(i + 1, j + 1)]! + 1 : Math.max(lcs[at(i + 1, j)]!, lcs[at(i, j + 1)]!);
    }
  }
  const out: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) out.push({ kind: ' ', line: a[i]!, a: i++, b: j++ });
    else if (j < m && (i === n || lcs[at(i, j + 1)]! >= lcs[at(i + 1, j)]!)) out.push({ kind: '+', line: b[j]!, a: i, b: j++ });
    else out.push({ kind: '-', line: a[i]!, a: i++, b: j });
  }
  return out;
}

/** Unified diff lines (`@@ -a,n +b,m @@` hunks) from `a` to `b`; [] when they are equal. */
export function unifiedDiff(a: readonly string[], b: readonly string[], context = 3): string[] {
  const ops = editScript(a, b);
  const changed = ops.map((o, k) => (o.kind !== ' ' ? k : -1)).filter((k) => k >= 0);
  if (changed.length === 0) return [];
  const out: string[] = [];
  let k = 0;
  while (k < changed.length) {
    const start = Math.max(0, changed[k]! - context);
    let end = Math.min(ops.length - 1, changed[k]! + context);
    while (k + 1 < changed.length && changed[k + 1]! - context <= end + 1) end = Math.min(ops.length - 1, changed[++k]! + context);
    k++;
    const hunk = ops.slice(start, end + 1);
    const aCount = hunk.filter((o) => o.kind !== '+').length;
    const bCount = hunk.filter((o) => o.kind !== '-').length;
    const aStart = aCount === 0 ? hunk[0]!.a : hunk[0]!.a + 1;
    const bStart = bCount === 0 ? hunk[0]!.b : hunk[0]!.b + 1;
    out.push(`@@ -${aStart},${aCount} +${bStart},${bCount} @@`);
    for (const o of hunk) out.push(`${o.kind}${o.line}`);
  }
  return out;
}
