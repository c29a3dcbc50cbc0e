/**
 * The worker protocol's messages as the gateway reads and writes them (worker.proto): a hello's
 * checks (errors name the field), a StepTask as a Task, a TaskResult as a StepResult (its texts
 * kept to their last RESULT_TEXT_MAX_BYTES).
 */
import { ValidationError } from '../core/errors.js';
import type { StepResult, StepResultStatus, StepTask } from '../executor/runtime.js';
import { TailBuffer } from '../executor/runtimes/text-bounds.js';
import { TaskStatus, type Task, type TaskResult } from '../gen/maestro/v1/worker.js';
import { fromValueMap, toValueMap } from './value-mapping.js';

/** stdout and stderr of a result are kept to their last 64 KiB (as the Shell runtime does). */
export const RESULT_TEXT_MAX_BYTES = 64 * 1024;
export const WORKER_CAPACITY_MAX = 10_000;
const TYPE_PATTERN = /^[A-Za-z][A-Za-z0-9._-]*$/;

export interface Hello {
  workerId: string;
  types: string[];
  capacity: number;
  sdk: string;
}

export function validateHello(h: Hello): Hello {
  if (h.types.length === 0) throw new ValidationError('hello.types', 'name at least one step type');
  h.types.forEach((t, i) => {
    if (!TYPE_PATTERN.test(t) || t.length > 256) {
      throw new ValidationError(`hello.types[${i}]`, `${JSON.stringify(t)} is not a step type (letters, digits, '.', '-' and '_', starting with a letter)`);
    }
  });
  if (!Number.isInteger(h.capacity) || h.capacity < 1 || h.capacity > WORKER_CAPACITY_MAX) {
    throw new ValidationError('hello.capacity', `must be within 1..${WORKER_CAPACITY_MAX}, got ${h.capacity}`);
  }
  return h;
}

export function toTask(t: StepTask): Task {
  return {
    attemptId: t.attemptId,
    type: t.stepType,
    subType: t.subType ?? '',
    workflowId: t.workflowId,
    instanceId: t.instanceId,
    runId: t.runId,
    stepId: t.stepId,
    attempt: t.attempt,
    params: toValueMap(t.params, 'params'),
    startedAt: new Date(t.startedAtMs),
    timeoutMs: t.timeoutMs ?? 0,
    partition: t.partition,
    epoch: t.epoch,
  };
}

const STATUS: Partial<Record<number, StepResultStatus>> = {
  [TaskStatus.TASK_STATUS_UNSPECIFIED]: 'SUCCEEDED',
  [TaskStatus.TASK_STATUS_SUCCEEDED]: 'SUCCEEDED',
  [TaskStatus.TASK_STATUS_USER_FAILED]: 'USER_FAILED',
  [TaskStatus.TASK_STATUS_PLATFORM_FAILED]: 'PLATFORM_FAILED',
  [TaskStatus.TASK_STATUS_FATALLY_FAILED]: 'FATALLY_FAILED',
};

export function toStepResult(r: TaskResult): StepResult {
  const status = STATUS[r.status] ?? 'PLATFORM_FAILED';
  const out: StepResult = { status };
  if (Object.keys(r.outputs).length > 0) out.outputs = fromValueMap(r.outputs);
  if (r.error) out.error = r.error;
  else if (status === 'PLATFORM_FAILED' && STATUS[r.status] === undefined) out.error = `unknown task status ${r.status}`;
  if (r.stdout) out.stdout = tail(r.stdout);
  if (r.stderr) out.stderr = tail(r.stderr);
  return out;
}

export function tail(s: string): string {
  if (s.length * 3 <= RESULT_TEXT_MAX_BYTES) return s; // cannot be over the bound in UTF-8
  const buf = new TailBuffer(RESULT_TEXT_MAX_BYTES);
  buf.push(Buffer.from(s, 'utf8'));
  return buf.text();
}
