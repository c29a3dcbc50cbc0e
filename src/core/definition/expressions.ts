/**
 * Every SEL source text a definition carries, with the JSON path it came from: param
 * expressions and validators (nested MAP params too), transition conditions, while conditions,
 * signal-trigger conditions and dedup expressions, signal dependency and output params. The
 * engine compiles them all when a definition is created or validated, so a syntax error is
 * reported up front, naming the field, line and column.
 */
import type { ParamDefinitions, Step, WorkflowCreateRequest } from './model.js';

export interface ExpressionSite {
  path: string;
  source: string;
}

/** Validators written as annotations (`@NotEmpty`, `@Min(1)`) are not SEL. */
const isSelValidator = (v: string) => !v.trim().startsWith('@');

export function listExpressions(req: WorkflowCreateRequest): ExpressionSite[] {
  const out: ExpressionSite[] = [];
  const params = (defs: ParamDefinitions | undefined, path: string) => {
    for (const [name, d] of Object.entries(defs ?? {})) {
      const p = `${path}.${name}`;
      if (d.expression !== undefined) out.push({ path: `${p}.expression`, source: d.expression });
      if (d.validator !== undefined && isSelValidator(d.validator)) out.push({ path: `${p}.validator`, source: d.validator });
      if (d.type === 'MAP' && d.value && typeof d.value === 'object') params(d.value as ParamDefinitions, `${p}.value`);
    }
  };
  const steps = (list: Step[], path: string) => {
    list.forEach((step, i) => {
      const p = `${path}[${i}].${step.kind}`;
      params(step.params, `${p}.params`);
      for (const [to, cond] of Object.entries(step.transition.successors)) {
        const c = cond.trim();
        if (c !== 'true' && c !== 'false') out.push({ path: `${p}.transition.successors.${to}`, source: cond });
      }
      step.signalDependencies.forEach((d, j) => {
        for (const [name, m] of Object.entries(d.matchParams)) params({ [name]: m.param }, `${p}.signal_dependencies[${j}].match_params`);
      });
      step.signalOutputs.forEach((o, j) => params(o.params, `${p}.signal_outputs[${j}].params`));
      if (step.kind === 'while') out.push({ path: `${p}.condition`, source: step.condition });
      if (step.kind === 'foreach' || step.kind === 'while') steps(step.steps, `${p}.steps`);
    });
  };
  params(req.workflow.params, 'workflow.params');
  steps(req.workflow.steps, 'workflow.steps');
  req.workflow.signalTriggers.forEach((t, i) => {
    const p = `workflow.signal_triggers[${i}]`;
    if (t.condition !== undefined) out.push({ path: `${p}.condition`, source: t.condition });
    if (t.dedupExpr !== undefined) out.push({ path: `${p}.dedup_expr`, source: t.dedupExpr });
    params(t.params, `${p}.params`);
  });
  return out;
}
