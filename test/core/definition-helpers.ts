import type { ExecutionContext } from 'ava';
import { ValidationError } from '../../src/core/errors.js';
import { parseWorkflowObject, type WorkflowCreateRequest } from '../../src/core/definition/index.js';

export type Json = Record<string, any>;

export const noop = (id: string, successors: Record<string, string> = {}): Json => ({
  step: { id, type: 'NoOp', transition: { successors } },
});

/** A minimal valid request; `edit` changes it in place before parsing. */
export function request(edit: (r: Json) => void = () => {}): Json {
  const r: Json = {
    properties: { owner: 'tester' },
    workflow: { id: 'wf', steps: [noop('a', { b: 'true' }), noop('b')] },
  };
  edit(r);
  return r;
}

export function accepts(t: ExecutionContext, edit: (r: Json) => void): WorkflowCreateRequest {
  let out: WorkflowCreateRequest | undefined;
  t.notThrows(() => {
    out = parseWorkflowObject(request(edit));
  });
  return out!;
}

/** Asserts the edited request is rejected at exactly `path`, with a message matching `message`. */
export function rejects(t: ExecutionContext, edit: (r: Json) => void, path: string, message: RegExp): void {
  const err = t.throws(() => parseWorkflowObject(request(edit)), { instanceOf: ValidationError });
  t.is(err?.path, path, err?.message);
  t.regex(err?.message ?? '', message);
}

export const steps = (r: Json): Json[] => r.workflow.steps as Json[];
/** The body of the i-th top-level step. */
export const step = (r: Json, i = 0): Json => Object.values(steps(r)[i]!)[0] as Json;
