/**
 * maestro.v1.TagPermitService over the EngineApi (tag permits, maestro-semantics §7), and
 * TagPermit <-> proto both ways (the client returns the engine's own TagPermit).
 */
import type { EngineApi, TagPermit } from '../workflow/engine-api.js';
import type { TagPermit as PbTagPermit, TagPermitServiceServer } from '../gen/maestro/v1/permits.js';
import { MaestroError, ValidationError } from '../core/errors.js';
import { requireString, unaryHandlers } from './handlers.js';
import type { Logger } from '../log/logger.js';

export const TAG_PERMIT_SERVICE = 'maestro.v1.TagPermitService';

export function tagPermitToProto(p: TagPermit): PbTagPermit {
  const out: PbTagPermit = { tag: p.tag, holders: p.holders, waiting: p.waiting };
  if (p.maxAllowed !== undefined) out.maxAllowed = p.maxAllowed;
  return out;
}

export function tagPermitFromProto(p: PbTagPermit | undefined): TagPermit {
  if (!p) throw new MaestroError('internal', 'server sent no tag permit');
  const out: TagPermit = { tag: p.tag, holders: Number(p.holders), waiting: Number(p.waiting) };
  if (p.maxAllowed !== undefined) out.maxAllowed = Number(p.maxAllowed);
  return out;
}

export function tagPermitService(api: EngineApi, log: Logger): TagPermitServiceServer {
  const unary = unaryHandlers(log);
  return {
    setTagPermit: unary(async (req) => {
      const max = Number(req.maxAllowed);
      if (!Number.isSafeInteger(max) || max < 0) throw new ValidationError('max_allowed', `must be an integer >= 0, got ${req.maxAllowed}`);
      return { permit: tagPermitToProto(await api.setTagPermit(requireString(req.tag, 'tag'), max)) };
    }),
    getTagPermit: unary(async (req) => ({ permit: tagPermitToProto(await api.getTagPermit(requireString(req.tag, 'tag'))) })),
    deleteTagPermit: unary(async (req) => ({ permit: tagPermitToProto(await api.deleteTagPermit(requireString(req.tag, 'tag'))) })),
    listTagPermits: unary(async () => ({ permits: (await api.listTagPermits()).map(tagPermitToProto) })),
  };
}
