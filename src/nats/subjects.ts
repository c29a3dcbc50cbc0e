/**
 * Every NATS subject, header and JetStream name maestro uses, in one place.
 *
 * Core NATS (NatsTransport):
 * - `maestro.actor.<partition>`   request/reply to the node that owns the partition. Only the
 *   owner subscribes (no queue group): two subscribers exist only for a moment during a move,
 *   and the journal fence makes the stale one's writes fail. Headers: `Maestro-To` (actor id),
 *   `Maestro-Msg-Id` (same on every retry, for dedup). Reply: the handler's answer, or the
 *   `Maestro-Error` header with an encoded error.
 * - `maestro.exec.<step type>`    dispatch of a StepTask to queue group `maestro-executors`;
 *   the executor that takes it replies at once with an empty ack (before running it), so a
 *   dispatch with no subscriber fails fast with "no responders".
 * - `maestro.topic.<topic>`       fire-and-forget fan-out (watch streams, attempt cancellation);
 *   a topic's `.`-separated parts become subject tokens.
 *
 * JetStream (JetStreamJournal, JetStreamKv):
 * - stream `MAESTRO_JOURNAL`, subjects `maestro.journal.>`, one subject per partition:
 *   `maestro.journal.<partition>`. Headers: `Maestro-Epoch`, `Maestro-Writer` (unique per
 *   message, to recognise one's own write after a lost ack), `Maestro-Part: i/n` on the parts of
 *   a frame too large for one message, and `Nats-Msg-Id: p<partition>@<expected seq>` (see the
 *   journal's header comment for why the position is the message id).
 * - KV bucket `maestro_meta` (stream `KV_maestro_meta`); a key's `/`-separated parts become
 *   subject tokens, so a prefix ending at `/` is a subject filter. A CAS write carries
 *   `Nats-Msg-Id: <kv key>@<expected revision>`, for the same reason as the journal's.
 *
 * Tokens: characters outside `[A-Za-z0-9_-]` are escaped as `=XX` (UTF-8 bytes, upper-case hex)
 * and an empty token is `=`, so any string maps to a valid token and back (`tokenOf`/`fromToken`).
 */
export const ACTOR_PREFIX = 'maestro.actor';
export const EXEC_PREFIX = 'maestro.exec';
export const TOPIC_PREFIX = 'maestro.topic';
export const EXECUTOR_QUEUE = 'maestro-executors';

export const JOURNAL_STREAM = 'MAESTRO_JOURNAL';
export const JOURNAL_PREFIX = 'maestro.journal';
export const KV_BUCKET = 'maestro_meta';

export const HDR_TO = 'Maestro-To';
export const HDR_MSG_ID = 'Maestro-Msg-Id';
export const HDR_ERROR = 'Maestro-Error';
export const HDR_EPOCH = 'Maestro-Epoch';
export const HDR_WRITER = 'Maestro-Writer';
export const HDR_PART = 'Maestro-Part';

const PLAIN = /^[A-Za-z0-9_-]+$/;
const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

/** Escapes `s` into one subject token (no `.`, `*`, `>` or whitespace; never empty). */
export function tokenOf(s: string): string {
  if (PLAIN.test(s)) return s;
  if (s === '') return '=';
  let out = '';
  for (const ch of s) {
    if (PLAIN.test(ch)) {
      out += ch;
    } else {
      for (const b of utf8.encode(ch)) out += '=' + (b < 16 ? '0' : '') + b.toString(16).toUpperCase();
    }
  }
  return out;
}

/** Inverse of `tokenOf`; throws RangeError on a token `tokenOf` cannot produce. */
export function fromToken(token: string): string {
  if (token === '=') return '';
  if (!token.includes('=')) return token;
  const bytes: number[] = [];
  for (let i = 0; i < token.length; ) {
    if (token[i] === '=') {
      const hex = token.slice(i + 1, i + 3);
      if (!/^[0-9A-F]{2}$/.test(hex)) throw new RangeError(`bad escape in subject token ${token}`);
      bytes.push(parseInt(hex, 16));
      i += 3;
    } else {
      bytes.push(token.charCodeAt(i));
      i += 1;
    }
  }
  return utf8Decoder.decode(new Uint8Array(bytes));
}

export function actorSubject(partition: number): string {
  return `${ACTOR_PREFIX}.${partition}`;
}

export function execSubject(stepType: string): string {
  return `${EXEC_PREFIX}.${tokenOf(stepType.toLowerCase())}`;
}

export function topicSubject(topic: string): string {
  return `${TOPIC_PREFIX}.${topic.split('.').map(tokenOf).join('.')}`;
}

export function journalSubject(prefix: string, partition: number): string {
  return `${prefix}.${partition}`;
}

/** Nats-Msg-Id of the journal message that follows subject sequence `expectedSeq`. */
export function journalPositionId(partition: number, expectedSeq: number): string {
  return `p${partition}@${expectedSeq}`;
}

/** A KV key: `/`-separated parts become `.`-separated tokens. */
export function kvKeyOf(key: string): string {
  return key.split('/').map(tokenOf).join('.');
}

export function keyOfKv(kvKey: string): string {
  return kvKey.split('.').map(fromToken).join('/');
}
