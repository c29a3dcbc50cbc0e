/**
 * maestro.v1.SignalService over the EngineApi (signals, maestro-semantics §8.1–8.2), and
 * SignalInstance <-> proto both ways (the client returns the engine's own SignalInstance).
 * A duplicate announcement is ALREADY_EXISTS with Maestro's message (its REST API answers 409).
 */
import type { EngineApi } from '../workflow/engine-api.js';
import type { SignalInstance, SignalRequest, SignalValue } from '../core/signals/model.js';
import type { SignalInstance as PbSignalInstance, SignalParamValue as PbValue, SignalServiceServer } from '../gen/maestro/v1/signals.js';
import { AlreadyExistsError, MaestroError, ValidationError } from '../core/errors.js';
import { duplicateSignalMessage } from '../core/signals/encode.js';
import { requireString, unaryHandlers } from './handlers.js';
import { fromValueMap, toValueMap } from './value-mapping.js';
import type { Logger } from '../log/logger.js';

export const SIGNAL_SERVICE = 'maestro.v1.SignalService';

export function signalValueToProto(v: SignalValue): PbValue {
  return typeof v === 'string' ? { stringValue: v } : { longValue: v };
}

export function signalParamsToProto(params: Record<string, SignalValue>): Record<string, PbValue> {
  return Object.fromEntries(Object.entries(params).map(([k, v]) => [k, signalValueToProto(v)]));
}

/** Proto params -> engine params; a value with neither long nor string set names its field. */
export function signalParamsFromProto(params: Record<string, PbValue> | undefined, field = 'params'): Record<string, SignalValue> {
  const out: Record<string, SignalValue> = {};
  for (const [k, v] of Object.entries(params ?? {})) {
    let value: SignalValue;
    if (v?.stringValue !== undefined) value = v.stringValue;
    else if (v?.longValue !== undefined) value = Number(v.longValue);
    else throw new ValidationError(`${field}.${k}`, 'needs long_value or string_value');
    Object.defineProperty(out, k, { value, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

export function signalInstanceToProto(s: SignalInstance): PbSignalInstance {
  return {
    name: s.name,
    seqId: s.seqId,
    instanceId: s.instanceId,
    params: signalParamsToProto(s.params),
    payload: toValueMap(s.payload, 'payload'),
    requestTimeMs: s.requestTimeMs,
    createTimeMs: s.createTimeMs,
  };
}

export function signalInstanceFromProto(p: PbSignalInstance | undefined): SignalInstance {
  if (!p) throw new MaestroError('internal', 'server sent no signal instance');
  return {
    name: p.name,
    seqId: Number(p.seqId),
    instanceId: p.instanceId,
    params: signalParamsFromProto(p.params),
    payload: fromValueMap(p.payload),
    requestTimeMs: Number(p.requestTimeMs),
    createTimeMs: Number(p.createTimeMs),
  };
}

export function signalService(api: EngineApi, log: Logger): SignalServiceServer {
  const unary = unaryHandlers(log);
  return {
    sendSignal: unary(async (req) => {
      const signal: SignalRequest = { params: signalParamsFromProto(req.params), payload: fromValueMap(req.payload) };
      if (req.requestId !== '') signal.requestId = req.requestId;
      const at = Number(req.requestTimeMs);
      if (at !== 0) signal.requestTimeMs = at;
      const r = await api.sendSignal(requireString(req.name, 'name'), signal);
      if (r.duplicate) throw new AlreadyExistsError(duplicateSignalMessage(r.instance));
      return { instance: signalInstanceToProto(r.instance) };
    }),
    getSignal: unary(async (req) => {
      const seq = Number(req.seqId);
      return { instance: signalInstanceToProto(await api.getSignal(requireString(req.name, 'name'), seq === 0 ? undefined : seq)) };
    }),
    listSignals: unary(async (req) => {
      const r = await api.listSignals(requireString(req.name, 'name'), Number(req.afterSeq), req.limit === 0 ? undefined : req.limit);
      return { instances: r.instances.map(signalInstanceToProto), latestSeq: r.latestSeq };
    }),
  };
}
