/** The step-runtime contract lives in core (the state machine journals results); see core/step-runtime.ts. */
export type { StepTask, StepResult, StepResultStatus, StepRuntime, RunIo } from '../core/step-runtime.js';
