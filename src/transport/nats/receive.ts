/**
 * The NATS half of the trust boundary: a received message's bytes become a body only through
 * `received`, which decodes them (not msgpack: refused) and hands the body to a Boundary check.
 * Core NATS does not say who published a message; the closest thing to a sender is the
 * requester's reply inbox (`_INBOX.<nuid>.<token>` -> `_INBOX.<nuid>`), so rejections are
 * reported per subject and reply inbox.
 */
import type { Msg } from 'nats';
import { decode } from '../../nats/codec.js';
import { InvalidMessageError } from '../../protocol/errors.js';
import type { Boundary } from '../boundary.js';
import type { WireKind } from '../port.js';

export function sourceOf(msg: Msg): string | undefined {
  if (!msg.reply) return undefined;
  const dot = msg.reply.lastIndexOf('.');
  return (dot > 0 ? msg.reply.slice(0, dot) : msg.reply).slice(0, 200);
}

/** Decodes `msg` and applies `check`; throws the (counted, reported) InvalidMessageError. */
export function received<T>(boundary: Boundary, kind: WireKind, msg: Msg, check: (body: unknown, source: string | undefined) => T): T {
  const source = sourceOf(msg);
  let body: unknown;
  try {
    body = decode(msg.data);
  } catch (cause) {
    const problem = `undecodable (${cause instanceof Error ? cause.message.slice(0, 200) : 'not msgpack'})`;
    throw boundary.reject(kind, msg.subject, source, new InvalidMessageError(`${kind} message`, '', problem, { cause }));
  }
  return check(body, source);
}
