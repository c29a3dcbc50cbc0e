/** StepView signal dependencies / outputs <-> proto (instance.proto SignalDependencies, SignalOutputs). */
import type { SignalDependenciesView, SignalOutputsView } from '../core/instance/view.js';
import type * as pb from '../gen/maestro/v1/instance.js';
import type { Value } from '../gen/maestro/v1/value.js';
import { fromValueMap } from './value-mapping.js';
/** value-mapping.ts toValueMap. */
type ToValues = (r: Record<string, unknown>, path: string) => Record<string, Value>;

export function signalDependenciesToProto(v: SignalDependenciesView | undefined, toValueMap: ToValues): pb.SignalDependencies | undefined {
  if (!v) return undefined;
  return {
    info: v.info ?? '',
    dependencies: v.dependencies.map((d) => ({
      name: d.name,
      status: d.status,
      matchParams: d.matchParams ? toValueMap(d.matchParams, 'match_params') : {},
      signalId: d.signalId ?? 0,
    })),
  };
}

export function signalDependenciesFromProto(p: pb.SignalDependencies | undefined): SignalDependenciesView | undefined {
  if (!p) return undefined;
  const v: SignalDependenciesView = {
    dependencies: p.dependencies.map((d) => {
      const out: SignalDependenciesView['dependencies'][number] = { name: d.name, status: d.status };
      if (Object.keys(d.matchParams).length > 0) out.matchParams = fromValueMap(d.matchParams) as NonNullable<typeof out.matchParams>;
      if (d.signalId > 0) out.signalId = d.signalId;
      return out;
    }),
  };
  if (p.info !== '') v.info = p.info;
  return v;
}

export function signalOutputsToProto(v: SignalOutputsView | undefined, toValueMap: ToValues): pb.SignalOutputs | undefined {
  if (!v) return undefined;
  return {
    info: v.info ?? '',
    outputs: v.outputs.map((o) => ({
      name: o.name,
      params: toValueMap(o.params, 'params'),
      payload: toValueMap(o.payload, 'payload'),
      announced: o.announced,
      signalId: o.signalId ?? 0,
      announceTime: o.announceTimeMs === undefined ? undefined : new Date(o.announceTimeMs),
    })),
  };
}

export function signalOutputsFromProto(p: pb.SignalOutputs | undefined): SignalOutputsView | undefined {
  if (!p) return undefined;
  const v: SignalOutputsView = {
    outputs: p.outputs.map((o) => {
      const out: SignalOutputsView['outputs'][number] = {
        name: o.name,
        params: fromValueMap(o.params) as Record<string, number | string>,
        payload: fromValueMap(o.payload),
        announced: o.announced,
      };
      if (o.announced) out.signalId = o.signalId;
      if (o.announceTime) out.announceTimeMs = o.announceTime.getTime();
      return out;
    }),
  };
  if (p.info !== '') v.info = p.info;
  return v;
}
