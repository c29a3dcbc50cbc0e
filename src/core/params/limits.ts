/** Maestro's param limits: names, entries per user-supplied map, serialized size. */
import { checkParamName } from '../definition/ids.js';
import { PARAM_MAP_SIZE_LIMIT } from '../definition/limits.js';
import { ParamLimitError } from './errors.js';

export { PARAM_MAP_SIZE_LIMIT };

/** Maestro's JSONIFIED_PARAMS_STRING_SIZE_LIMIT: a workflow's or a step's params, as JSON, in chars. */
export const JSONIFIED_PARAMS_STRING_SIZE_LIMIT = 750_000;

/** Checks a user-supplied params map (run, restart or output params): entry count and names. */
export function checkUserParams(params: Record<string, unknown>, path: string, what: string): void {
  const n = Object.keys(params).length;
  if (n > PARAM_MAP_SIZE_LIMIT) {
    throw new ParamLimitError(path, `${what} have ${n} params, more than the limit of ${PARAM_MAP_SIZE_LIMIT}`, PARAM_MAP_SIZE_LIMIT, n);
  }
  for (const name of Object.keys(params)) checkParamName(name, `${path}.${name}`);
}

/** Checks the serialized size of evaluated params against JSONIFIED_PARAMS_STRING_SIZE_LIMIT. */
export function checkTotalSize(values: unknown, path: string): void {
  const size = JSON.stringify(values).length;
  if (size > JSONIFIED_PARAMS_STRING_SIZE_LIMIT) {
    throw new ParamLimitError(
      path,
      `params' total size [${size}] chars is larger than the limit [${JSONIFIED_PARAMS_STRING_SIZE_LIMIT}]`,
      JSONIFIED_PARAMS_STRING_SIZE_LIMIT,
      size,
    );
  }
}
