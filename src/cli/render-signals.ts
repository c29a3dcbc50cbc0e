/** `maestro get`: one line per step with signal dependencies or outputs (after the step table). */
import type { InstanceView, SignalDependenciesView, SignalOutputsView } from '../core/instance/view.js';

function matchText(m: NonNullable<SignalDependenciesView['dependencies'][number]['matchParams']>): string {
  return Object.entries(m)
    .map(([k, c]) => `${k} ${c.operator} ${JSON.stringify(c.value)}`)
    .join(', ');
}

function dependenciesLine(stepId: string, d: SignalDependenciesView): string {
  const deps = d.dependencies.map((x) => {
    const seq = x.signalId === undefined ? '' : ` #${x.signalId}`;
    const match = x.status === 'PENDING' && x.matchParams ? ` [${matchText(x.matchParams)}]` : '';
    return `${x.name} ${x.status}${seq}${match}`;
  });
  return `  ${stepId} signal dependencies: ${deps.join('; ')}${d.info ? ` (${d.info})` : ''}`;
}

function outputsLine(stepId: string, o: SignalOutputsView): string {
  const outs = o.outputs.map((x) => (!x.announced ? `${x.name} not announced yet` : `${x.name} #${x.signalId}${x.announceTimeMs === undefined ? ' (duplicate)' : ''}`));
  return `  ${stepId} signal outputs: ${outs.join('; ')}`;
}

export function signalLines(view: InstanceView): string[] {
  const lines: string[] = [];
  for (const s of view.steps) {
    if (s.signalDependencies) lines.push(dependenciesLine(s.stepId, s.signalDependencies));
    if (s.signalOutputs) lines.push(outputsLine(s.stepId, s.signalOutputs));
  }
  return lines;
}
