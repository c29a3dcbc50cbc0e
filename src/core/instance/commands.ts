/** Effects the instance actor performs after the events that caused them are durable. */
import type { StepTask } from '../step-runtime.js';
import type { InstanceChange } from './view.js';

export type InstanceCommand =
  | { c: 'dispatch'; task: StepTask }
  | { c: 'cancel'; attemptId: string }
  | { c: 'set-timer'; timerId: string; atMs: number }
  | { c: 'clear-timer'; timerId: string }
  | { c: 'changed'; change: InstanceChange }
  | { c: 'finished' };
