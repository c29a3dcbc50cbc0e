/**
 * The output block of a Shell step, as Maestro's Kubernetes/notebook runtimes define it: the
 * process gets env vars MAESTRO_OUTPUT_START / MAESTRO_OUTPUT_END holding marker tokens, prints
 * `$MAESTRO_OUTPUT_START{json}$MAESTRO_OUTPUT_END`, and the text between the LAST start marker
 * and the LAST end marker is the JSON. Writing the literal words MAESTRO_OUTPUT_START /
 * MAESTRO_OUTPUT_END works as well. The JSON is either a plain object (name -> value) or
 * Maestro's `{"params": {name: {"value", "type", "evaluated_result"}}, "artifacts": {...}}`.
 */
export const OUTPUT_START_ENV = 'MAESTRO_OUTPUT_START';
export const OUTPUT_END_ENV = 'MAESTRO_OUTPUT_END';
export const OUTPUT_START_TOKEN = 'MAESTRO_OUTPUT_START_TOKEN';
export const OUTPUT_END_TOKEN = 'MAESTRO_OUTPUT_END_TOKEN';

export type OutputBlock =
  | { kind: 'none' }
  | { kind: 'ok'; outputs: Record<string, unknown>; artifacts?: Record<string, unknown> }
  | { kind: 'error'; error: string };

export function parseOutputBlock(stdout: string): OutputBlock {
  const startAt = stdout.lastIndexOf(OUTPUT_START_ENV);
  const endAt = stdout.lastIndexOf(OUTPUT_END_ENV);
  if (startAt < 0 && endAt < 0) return { kind: 'none' };
  let from = startAt + OUTPUT_START_ENV.length;
  if (stdout.startsWith('_TOKEN', from)) from += '_TOKEN'.length;
  if (startAt < 0) return { kind: 'error', error: `stdout has a ${OUTPUT_END_ENV} marker but no ${OUTPUT_START_ENV}` };
  if (endAt < from) return { kind: 'error', error: `stdout has a ${OUTPUT_START_ENV} marker with no ${OUTPUT_END_ENV} after it` };
  const text = stdout.slice(from, endAt).trim();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return { kind: 'error', error: `output block is not valid JSON: ${(e as Error).message}` };
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return { kind: 'error', error: 'output block must be a JSON object of name -> value' };
  }
  return isMaestroShape(json as Record<string, unknown>)
    ? fromMaestroShape(json as { params?: Record<string, Record<string, unknown>>; artifacts?: unknown })
    : { kind: 'ok', outputs: json as Record<string, unknown> };
}

/**
 * `{params?: {...}, artifacts?: {...}}` (nothing else) where every param is an object with `value`
 * or `evaluated_result`. A plain block that happens to look like this is read as Maestro's shape.
 */
function isMaestroShape(o: Record<string, unknown>): boolean {
  const keys = Object.keys(o);
  if (!keys.every((k) => k === 'params' || k === 'artifacts') || keys.length === 0) return false;
  const params = o['params'] ?? {};
  if (typeof params !== 'object' || params === null || Array.isArray(params)) return false;
  return Object.values(params).every(
    (p) => typeof p === 'object' && p !== null && !Array.isArray(p) && ('value' in p || 'evaluated_result' in p),
  );
}

function fromMaestroShape(o: { params?: Record<string, Record<string, unknown>>; artifacts?: unknown }): OutputBlock {
  const outputs: Record<string, unknown> = {};
  for (const [name, p] of Object.entries(o.params ?? {})) {
    outputs[name] = 'evaluated_result' in p ? p['evaluated_result'] : p['value'];
  }
  const artifacts = o.artifacts;
  if (artifacts !== undefined && (typeof artifacts !== 'object' || artifacts === null || Array.isArray(artifacts))) {
    return { kind: 'error', error: 'output block artifacts must be a JSON object' };
  }
  return artifacts === undefined
    ? { kind: 'ok', outputs }
    : { kind: 'ok', outputs, artifacts: artifacts as Record<string, unknown> };
}
