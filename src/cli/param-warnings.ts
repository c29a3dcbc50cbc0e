/**
 * Warnings for a start (`maestro start`, `maestro run`): run params the workflow does not declare,
 * and a `--request-id` reused with other params (the dedup returns the first instance, which runs
 * with its own params, not the ones given now).
 */

/** The names in `params` that the definition's `workflow.params` does not declare. */
export function undeclaredParams(definition: unknown, params: Record<string, unknown>): string[] {
  const declared = (definition as { workflow?: { params?: Record<string, unknown> } } | undefined)?.workflow?.params ?? {};
  return Object.keys(params).filter((name) => !Object.hasOwn(declared, name));
}

export function undeclaredWarning(workflowId: string, version: number, names: string[]): string | undefined {
  if (names.length === 0) return undefined;
  return `warning: workflow ${workflowId} version ${version} declares no param${names.length === 1 ? '' : 's'} ${names.join(', ')}; given anyway (check the name${names.length === 1 ? '' : 's'})`;
}

/** A given value as the run would hold it: `--param` strings of numbers and booleans compare as those. */
function normalize(v: unknown): string {
  if (typeof v === 'string') {
    if (/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(v.trim())) return JSON.stringify(Number(v));
    if (v === 'true' || v === 'false') return v;
  }
  return JSON.stringify(v);
}

/** The given params whose value differs from the instance's (by name, given value, the instance's). */
export function differingParams(given: Record<string, unknown>, actual: Record<string, unknown>): { name: string; given: unknown; actual: unknown }[] {
  return Object.entries(given)
    .filter(([name, value]) => !Object.hasOwn(actual, name) || normalize(value) !== normalize(actual[name]))
    .map(([name, value]) => ({ name, given: value, actual: actual[name] }));
}

export function requestIdWarning(requestId: string, instanceId: number, diffs: ReturnType<typeof differingParams>): string | undefined {
  if (diffs.length === 0) return undefined;
  const show = (v: unknown): string => (v === undefined ? '(none)' : JSON.stringify(v));
  const list = diffs.map((d) => `${d.name} (given ${show(d.given)}, instance has ${show(d.actual)})`).join(', ');
  return `warning: request id ${requestId} is instance ${instanceId}, which runs with other params: ${list}; a start with a request id already used returns the first instance, as it is`;
}
