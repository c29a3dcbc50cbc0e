/**
 * Checks across the whole step tree (Maestro's WorkflowConstraint): at most 300 steps counting
 * nested ones; step ids unique across the whole workflow (Maestro's getAllStepIds includes
 * foreach/while bodies, so a nested id may not repeat an outer one either); every step list a
 * valid DAG of siblings (dag.ts); loop param names not reused by an enclosing loop; loops
 * nested at most WORKFLOW_DEPTH_LIMIT deep.
 */
import type { Step } from './model.js';
import { compileDag } from './dag.js';
import { LOOP_PARAMS_NAME, STEP_LIST_SIZE_LIMIT, WORKFLOW_DEPTH_LIMIT } from './limits.js';
import { fail, join } from './reader.js';

interface Located {
  step: Step;
  path: string;
  depth: number;
}

function walk(steps: readonly Step[], path: string, depth: number, out: Located[]): void {
  steps.forEach((step, i) => {
    const p = join(join(path, i), step.kind);
    out.push({ step, path: p, depth });
    if (step.kind === 'foreach' || step.kind === 'while') walk(step.steps, join(p, 'steps'), depth + 1, out);
  });
}

export function checkStepTree(steps: readonly Step[], path: string): void {
  const all: Located[] = [];
  walk(steps, path, 1, all);
  if (all.length > STEP_LIST_SIZE_LIMIT) {
    fail(path, `has ${all.length} steps (nested steps included), more than the limit of ${STEP_LIST_SIZE_LIMIT}`);
  }
  const seen = new Map<string, string>();
  for (const { step, path: p, depth } of all) {
    const first = seen.get(step.id);
    if (first !== undefined) fail(join(p, 'id'), `duplicate step id '${step.id}' (already used at ${first})`);
    seen.set(step.id, p);
    if (depth > WORKFLOW_DEPTH_LIMIT) {
      fail(p, `loops are nested too deep: a workflow may be at most ${WORKFLOW_DEPTH_LIMIT} levels deep`);
    }
  }
  checkLists(steps, path);
  checkLoopParamNames(steps, path, new Map());
}

function checkLists(steps: readonly Step[], path: string): void {
  compileDag(steps, path);
  steps.forEach((step, i) => {
    if (step.kind === 'foreach' || step.kind === 'while') {
      checkLists(step.steps, join(join(join(path, i), step.kind), 'steps'));
    }
  });
}

/** `outer` maps the loop param names of the enclosing loops to the loop step that defines them. */
function checkLoopParamNames(steps: readonly Step[], path: string, outer: Map<string, string>): void {
  steps.forEach((step, i) => {
    if (step.kind !== 'foreach' && step.kind !== 'while') return;
    const p = join(join(path, i), step.kind);
    const loop = step.params[LOOP_PARAMS_NAME]?.value as Record<string, unknown> | undefined;
    const names = Object.keys(loop ?? {});
    for (const name of names) {
      const owner = outer.get(name);
      if (owner !== undefined) {
        fail(
          join(join(join(join(p, 'params'), LOOP_PARAMS_NAME), 'value'), name),
          `loop param '${name}' is already a loop param of the enclosing step '${owner}'`,
        );
      }
    }
    const inner = new Map(outer);
    for (const name of names) inner.set(name, step.id);
    checkLoopParamNames(step.steps, join(p, 'steps'), inner);
  });
}
