/**
 * Maestro workflow definitions: parsing and validation of create requests (JSON or YAML),
 * rendering back to Maestro JSON, the dry-run check against available step runtimes, and the
 * compiled DAG of a step list.
 */
export * from './model.js';
export { completeRequest, parseCreateInput, parseWorkflowInput, parseWorkflowObject, parseWorkflowRequest } from './parse.js';
export { toMaestroJson } from './render.js';
export { validateForRuntime, runtimeWarnings, type KnownStepTypes } from './runtime-check.js';
export { listExpressions, type ExpressionSite } from './expressions.js';
export { compileDag, type CompiledDag, type DagEdge } from './dag.js';
export { parseDurationMs, isParamReference } from './duration.js';
export { parseMaestroCron, minFiringGapMs, type MaestroCron } from './cron.js';
export { PREDEFINED_SCHEDULES } from './triggers.js';
export * as limits from './limits.js';
