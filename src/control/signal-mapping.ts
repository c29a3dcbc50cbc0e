/** StepView signal dependencies / outputs <-> proto (instance.proto SignalDependencies, SignalOutputs). */
import type { SignalDependenciesView, SignalOutputsView } from '../core/instance/view.js';
import type * as pb from '../gen/maestro/v1/instance.js';
/** mapping.ts toPlainObject (passed in: mapping.ts imports this file). */
type ToStruct = (r: Record<string, unknown>) => { [key: string]: unknown };

export function signalDependenciesToProto(v: SignalDependenciesView | undefined, toPlainObject: ToStruct): pb.SignalDependencies | undefined {
  if (!v) return undefined;
  return {
    info: v.info ?? '',
    dependencies: v.dependencies.map((d) => ({
      name: d.name,
      status: d.status,
      matchParams: d.matchParams ? toPlainObject(d.matchParams) : undefined,
      signalId: d.signalId ?? 0,
    })),
  };
}

export function signalDependenciesFromProto(p: pb.SignalDependencies | undefined): SignalDependenciesView | undefined {
  if (!p) return undefined;
  const v: SignalDependenciesView = {
    dependencies: p.dependencies.map((d) => {
      const out: SignalDependenciesView['dependencies'][number] = { name: d.name, status: d.status };
      if (d.matchParams && Object.keys(d.matchParams).length > 0) out.matchParams = d.matchParams as NonNullable<typeof out.matchParams>;
      if (d.signalId > 0) out.signalId = d.signalId;
      return out;
    }),
  };
  if (p.info !== '') v.info = p.info;
  return v;
}

export function signalOutputsToProto(v: SignalOutputsView | undefined, toPlainObject: ToStruct): pb.SignalOutputs | undefined {
  if (!v) return undefined;
  return {
    info: v.info ?? '',
    outputs: v.outputs.map((o) => ({
      name: o.name,
      params: toPlainObject(o.params),
      payload: toPlainObject(o.payload),
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
        params: (o.params ?? {}) as Record<string, number | string>,
        payload: o.payload ?? {},
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
