import { ValidationError } from '../core/errors.js';
import type { MemberInfo, MembershipView } from './port.js';

/** Member records as both adapters store them, and the view built from them. */

const NODE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function validateMemberInfo(self: MemberInfo): MemberInfo {
  if (typeof self.nodeId !== 'string' || !NODE_ID.test(self.nodeId)) {
    throw new ValidationError(
      'member.nodeId',
      `must be 1-128 characters of letters, digits, '.', '_', ':' or '-' (got ${JSON.stringify(self.nodeId)})`,
    );
  }
  if (typeof self.grpcAddress !== 'string' || self.grpcAddress.length === 0) {
    throw new ValidationError('member.grpcAddress', 'must be a non-empty host:port');
  }
  if (!Number.isFinite(self.startedAtMs) || self.startedAtMs < 0) {
    throw new ValidationError('member.startedAtMs', `must be a non-negative number (got ${self.startedAtMs})`);
  }
  return { nodeId: self.nodeId, grpcAddress: self.grpcAddress, startedAtMs: self.startedAtMs };
}

export function encodeMember(self: MemberInfo): string {
  return JSON.stringify({ nodeId: self.nodeId, grpcAddress: self.grpcAddress, startedAtMs: self.startedAtMs });
}

/** Parses a stored member record; returns a problem description instead of throwing. */
export function decodeMember(text: string): MemberInfo | string {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    if (!(e instanceof SyntaxError)) throw e;
    return 'value is not JSON';
  }
  if (typeof raw !== 'object' || raw === null) return 'value is not an object';
  const r = raw as Record<string, unknown>;
  if (typeof r.nodeId !== 'string' || typeof r.grpcAddress !== 'string' || typeof r.startedAtMs !== 'number') {
    return 'value lacks nodeId, grpcAddress or startedAtMs';
  }
  return { nodeId: r.nodeId, grpcAddress: r.grpcAddress, startedAtMs: r.startedAtMs };
}

export function makeView(version: number, members: Iterable<MemberInfo>): MembershipView {
  const sorted = [...members].sort((a, b) => (a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : 0));
  return { version, members: sorted };
}

export function sameMembers(a: MembershipView, b: MembershipView): boolean {
  if (a.members.length !== b.members.length) return false;
  return a.members.every((m, i) => {
    const o = b.members[i];
    return o !== undefined && o.nodeId === m.nodeId && o.grpcAddress === m.grpcAddress && o.startedAtMs === m.startedAtMs;
  });
}
