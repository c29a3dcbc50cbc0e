/** What get-instance shows of a step's signal dependencies and outputs (matched params stay internal). */
import type { SignalDependenciesState, SignalOutputsState } from './state.js';
import type { SignalDependenciesView, SignalOutputsView } from './view.js';

export function signalDependenciesView(s: SignalDependenciesState): SignalDependenciesView {
  const v: SignalDependenciesView = {
    dependencies: s.dependencies.map((d) => {
      const out: SignalDependenciesView['dependencies'][number] = { name: d.name, status: d.status };
      if (d.matchParams) out.matchParams = d.matchParams;
      if (d.signalId !== undefined) out.signalId = d.signalId;
      return out;
    }),
  };
  if (s.info !== undefined) v.info = s.info;
  return v;
}

export function signalOutputsView(s: SignalOutputsState): SignalOutputsView {
  const v: SignalOutputsView = {
    outputs: s.outputs.map((o) => {
      const out: SignalOutputsView['outputs'][number] = { name: o.name, params: o.params, payload: o.payload, announced: o.signalId !== undefined };
      if (o.signalId !== undefined) out.signalId = o.signalId;
      if (typeof o.announceTimeMs === 'number') out.announceTimeMs = o.announceTimeMs;
      return out;
    }),
  };
  if (s.info !== undefined) v.info = s.info;
  return v;
}
