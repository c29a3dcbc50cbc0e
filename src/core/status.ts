/** Maestro's workflow instance statuses, exactly. */
export const WORKFLOW_STATUSES = [
  'CREATED',
  'IN_PROGRESS',
  'PAUSED',
  'SUCCEEDED',
  'FAILED',
  'STOPPED',
  'TIMED_OUT',
] as const;
export type WorkflowStatus = (typeof WORKFLOW_STATUSES)[number];

export function isWorkflowTerminal(s: WorkflowStatus): boolean {
  return s === 'SUCCEEDED' || s === 'FAILED' || s === 'STOPPED' || s === 'TIMED_OUT';
}

/** Maestro's step instance statuses, exactly. */
export const STEP_STATUSES = [
  'NOT_CREATED',
  'CREATED',
  'INITIALIZED',
  'PAUSED',
  'WAITING_FOR_SIGNALS',
  'EVALUATING_PARAMS',
  'WAITING_FOR_PERMITS',
  'STARTING',
  'RUNNING',
  'FINISHING',
  'DISABLED',
  'UNSATISFIED',
  'SKIPPED',
  'SUCCEEDED',
  'COMPLETED_WITH_ERROR',
  'USER_FAILED',
  'PLATFORM_FAILED',
  'FATALLY_FAILED',
  'INTERNALLY_FAILED',
  'STOPPED',
  'TIMEOUT_FAILED',
  'TIMED_OUT',
] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];

/** Terminal statuses of a step attempt (USER/PLATFORM/TIMEOUT_FAILED may still be retried as a new attempt). */
export function isStepTerminal(s: StepStatus): boolean {
  switch (s) {
    case 'DISABLED':
    case 'UNSATISFIED':
    case 'SKIPPED':
    case 'SUCCEEDED':
    case 'COMPLETED_WITH_ERROR':
    case 'USER_FAILED':
    case 'PLATFORM_FAILED':
    case 'FATALLY_FAILED':
    case 'INTERNALLY_FAILED':
    case 'STOPPED':
    case 'TIMEOUT_FAILED':
    case 'TIMED_OUT':
      return true;
    default:
      return false;
  }
}

/** A step in one of these has an attempt under way (created, waiting, evaluating, running, finishing). */
const ACTIVE_STEP_STATUSES: ReadonlySet<StepStatus> = new Set(STEP_STATUSES.slice(STEP_STATUSES.indexOf('CREATED'), STEP_STATUSES.indexOf('FINISHING') + 1));
export function isStepActive(s: StepStatus): boolean {
  return ACTIVE_STEP_STATUSES.has(s);
}

/** Statuses that hold a permit of instance_step_concurrency. */
export function isStepRunning(s: StepStatus): boolean {
  return s === 'STARTING' || s === 'RUNNING' || s === 'FINISHING';
}

/** Statuses that count as "done well" for successors: the DAG continues past them. */
export function isStepComplete(s: StepStatus): boolean {
  return s === 'SUCCEEDED' || s === 'COMPLETED_WITH_ERROR' || s === 'SKIPPED' || s === 'DISABLED';
}

export function isStepFailed(s: StepStatus): boolean {
  return (
    s === 'USER_FAILED' ||
    s === 'PLATFORM_FAILED' ||
    s === 'FATALLY_FAILED' ||
    s === 'INTERNALLY_FAILED' ||
    s === 'TIMEOUT_FAILED' ||
    s === 'TIMED_OUT' ||
    s === 'STOPPED'
  );
}

export const RUN_POLICIES = [
  'START_FRESH_NEW_RUN',
  'RESTART_FROM_BEGINNING',
  'RESTART_FROM_INCOMPLETE',
  'RESTART_FROM_SPECIFIC',
] as const;
export type RunPolicy = (typeof RUN_POLICIES)[number];
