/** Maestro's definition limits and reserved names (maestro-common Constants.java / Defaults.java). */

export const ID_LENGTH_LIMIT = 128;
export const NAME_LENGTH_LIMIT = 256;
/** Descriptions. */
export const FIELD_SIZE_LIMIT = 16384;
/** Steps in one workflow, nested foreach/while steps included. */
export const STEP_LIST_SIZE_LIMIT = 300;
/** Entries in one params map. */
export const PARAM_MAP_SIZE_LIMIT = 128;
export const MAX_RETRY_LIMIT = 99;
/** Retry backoff and backoff caps, in seconds (one day). */
export const MAX_RETRY_WAIT_SECS = 24 * 3600;
export const MAX_TIMEOUT_MS = 120 * 24 * 3600 * 1000;
export const FOREACH_CONCURRENCY_MAX_LIMIT = 500;
export const STEP_CONCURRENCY_MAX_LIMIT = 1000;
export const WORKFLOW_CONCURRENCY_MAX_LIMIT = 1000;
/** instance_step_concurrency must be strictly below this. */
export const INSTANCE_STEP_CONCURRENCY_MAX_LIMIT = 1000;
/** Nesting depth of a workflow (the workflow itself counts as 1). */
export const WORKFLOW_DEPTH_LIMIT = 10;
/** Minimal interval between two firings of a time trigger. */
export const TIME_TRIGGER_MINIMUM_INTERVAL_MS = 2 * 60 * 1000;
export const MAX_SIGNAL_NAMES_IN_A_TRIGGER = 8;
/** Maestro's default workflow_concurrency for a PARALLEL run strategy without one. */
export const DEFAULT_PARALLELISM = 20;

export const MAESTRO_PREFIX = 'maestro_';
export const MAESTRO_SUFFIX = '_maestro';
/** Separator of step-scoped param references (`job1__sleep_seconds`); not allowed in step ids. */
export const STEP_PARAM_SEPARATOR = '__';
export const LOOP_PARAMS_NAME = 'loop_params';

export const RESERVED_PARAM_NAMES: readonly string[] = [
  'maestro',
  'Maestro',
  'MAESTRO',
  'scheduler',
  'Scheduler',
  'SCHEDULER',
  'util',
  'Util',
  'UTIL',
  'params',
  'Params',
  'PARAMS',
  'AUTH_BLOB',
  'AUTH_DATA',
  'AUTH_ACTING_ON_BEHALF_OF_BLOB',
  'AUTH_TRIGGERING_ON_BEHALF_OF_BLOB',
  'AUTHORIZED_MANAGERS',
];

/** Unknown top-level fields of a create request kept as its `extra_info`: at most this many... */
export const EXTRA_INFO_FIELD_LIMIT = 64;
/** ...and at most this many bytes of JSON together. */
export const EXTRA_INFO_SIZE_LIMIT = 64 * 1024;
