/**
 * Step outputs (Maestro's mergeOutputDataParams): values a step reports, merged into its params.
 * Only MUTABLE params change (a CONSTANT or reserved param such as step_id never does); a value
 * is converted to the param's type; MAP outputs merge key by key, STRING_MAP entries are added.
 * Unlike Maestro, an output the step did not declare is added with the type its value suggests
 * (runtimes such as Http report status_code/body without declarations).
 */
import { checkTotalSize, checkUserParams } from './limits.js';
import { mergeSpec, specFromPlain, type MergeStage } from './merge.js';
import type { ParamSpec } from './spec.js';
import type { ParamValue, ParamValues } from './types.js';

const OUTPUT_STAGE: MergeStage = { source: 'OUTPUT_PARAMETER', what: 'step outputs', restart: false, privileged: false };

/** Returns `current` with `outputs` merged in; `current` is not modified. Errors name `${path}.<name>`. */
export function mergeOutputs(current: ParamValues, outputs: Record<string, unknown>, path: string): ParamValues {
  checkUserParams(outputs, path, 'step outputs');
  const result: ParamValues = { ...current };
  for (const [name, value] of Object.entries(outputs)) {
    const p = `${path}.${name}`;
    const cur = current[name];
    const base: ParamSpec | undefined = cur && {
      type: cur.type,
      value: cur.value,
      final: true,
      mode: cur.mode ?? 'MUTABLE',
      source: cur.source ?? 'SYSTEM',
      ...(cur.tags ? { tags: cur.tags } : {}),
    };
    const merged = mergeSpec(name, base, specFromPlain(value, base, 'OUTPUT_PARAMETER', true, p), OUTPUT_STAGE, p);
    const pv: ParamValue = { type: merged.type, value: merged.value, mode: merged.mode ?? 'MUTABLE', source: merged.source };
    if (merged.tags?.length) pv.tags = merged.tags;
    result[name] = pv;
  }
  checkTotalSize(result, path);
  return result;
}
