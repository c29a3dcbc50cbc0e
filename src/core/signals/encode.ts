/**
 * Signal values, names, limits and encodings (maestro-semantics §8.1–8.2):
 * - `normalizeSignalRequest`: checks an announced signal and reads its params as Maestro does
 *   (a number is read with asLong: 1.5 -> 1; only numbers and strings; a long must be a safe
 *   integer here);
 * - `dedupKeyJson`: the exact JSON text Maestro hashes into a signal's instance id when no
 *   request_id is given (Jackson's output of the cleaned SignalCreateRequest); the UUID itself
 *   (MD5, type 3) is computed outside core (it needs node:crypto);
 * - `signalSubjectOf` / `signalNameOfSubject`: the NATS subject of a signal name;
 * - `signalInstanceJson`: Maestro's SignalInstance JSON (snake_case), for NATS and the CLI.
 */
import { ValidationError } from '../errors.js';
import type { SignalInstance, SignalRequest, SignalValue } from './model.js';

/** Longest signal name (Maestro's name size limit). */
export const SIGNAL_NAME_MAX_CHARS = 256;
/** Most params one signal may carry. */
export const SIGNAL_PARAMS_MAX = 64;
/** Longest param name and longest string param value. */
export const SIGNAL_PARAM_NAME_MAX_CHARS = 128;
export const SIGNAL_STRING_VALUE_MAX_CHARS = 1024;
/** Largest payload, as compact JSON (UTF-16 code units). */
export const SIGNAL_PAYLOAD_MAX_CHARS = 64 * 1024;
/** Longest request_id. */
export const SIGNAL_REQUEST_ID_MAX_CHARS = 256;

/** Maestro's name rule (MaestroNameConstraint): word characters, spaces and `.,:@&='(){}$+[]-/\`. */
const NAME = /^[\w .,:@&='(){}$+[\]\-/\\]+$/;

/**
 * A signal name: Maestro's name rule, at most 256 characters, and (ours) no empty `/` segment,
 * since each segment becomes one NATS subject token. Throws ValidationError(field).
 */
export function checkSignalName(name: unknown, field = 'name'): string {
  if (typeof name !== 'string' || name.trim() === '') throw new ValidationError(field, 'signal name is required');
  if (name.length > SIGNAL_NAME_MAX_CHARS) throw new ValidationError(field, `signal name must be at most ${SIGNAL_NAME_MAX_CHARS} characters, got ${name.length}`);
  if (!NAME.test(name)) throw new ValidationError(field, `signal name '${name}' may only contain letters, digits, '_', spaces and .,:@&='(){}$+[]-/\\`);
  if (name.split('/').some((s) => s === '')) throw new ValidationError(field, `signal name '${name}' must not have an empty '/' segment (leading, trailing or doubled '/')`);
  return name;
}

/**
 * One param value as Maestro reads it (SignalParamValue): a string as is; a number with
 * asLong (truncated toward zero: 1.5 -> 1, -1.5 -> -1). Anything else, a non-finite number or a
 * long outside the safe integers throws ValidationError(field).
 */
export function readSignalValue(v: unknown, field: string): SignalValue {
  if (typeof v === 'string') {
    if (v.length > SIGNAL_STRING_VALUE_MAX_CHARS) throw new ValidationError(field, `a string value must be at most ${SIGNAL_STRING_VALUE_MAX_CHARS} characters, got ${v.length}`);
    return v;
  }
  if (typeof v === 'bigint') {
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) throw new ValidationError(field, `a long value must be a safe integer (|v| <= 2^53-1), got ${v}`);
    return Number(v);
  }
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new ValidationError(field, `must be a finite number, got ${v}`);
    const n = Math.trunc(v) || 0; // -0 -> 0
    if (!Number.isSafeInteger(n)) throw new ValidationError(field, `a long value must be a safe integer (|v| <= 2^53-1), got ${v}`);
    return n;
  }
  throw new ValidationError(field, `a signal param must be a number (long) or a string, got ${v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v}`);
}

/** The params of a signal, checked and read (see readSignalValue); keys kept in their order. */
export function readSignalParams(params: unknown, field = 'params'): Record<string, SignalValue> {
  if (params === undefined || params === null) return {};
  if (typeof params !== 'object' || Array.isArray(params)) throw new ValidationError(field, 'must be an object of name -> long or string');
  const entries = Object.entries(params as Record<string, unknown>);
  if (entries.length > SIGNAL_PARAMS_MAX) throw new ValidationError(field, `at most ${SIGNAL_PARAMS_MAX} params, got ${entries.length}`);
  const out: Record<string, SignalValue> = {};
  for (const [k, v] of entries) {
    if (k === '') throw new ValidationError(field, 'a param name must not be empty');
    if (k.length > SIGNAL_PARAM_NAME_MAX_CHARS) throw new ValidationError(`${field}.${k.slice(0, 40)}…`, `a param name must be at most ${SIGNAL_PARAM_NAME_MAX_CHARS} characters`);
    Object.defineProperty(out, k, { value: readSignalValue(v, `${field}.${k}`), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** A payload: a JSON object of at most SIGNAL_PAYLOAD_MAX_CHARS as compact JSON. */
export function readSignalPayload(payload: unknown, field = 'payload'): Record<string, unknown> {
  if (payload === undefined || payload === null) return {};
  if (typeof payload !== 'object' || Array.isArray(payload)) throw new ValidationError(field, 'must be a JSON object');
  let size: number;
  try {
    size = JSON.stringify(payload).length;
  } catch (err) {
    throw new ValidationError(field, `is not JSON: ${(err as Error).message}`);
  }
  if (size > SIGNAL_PAYLOAD_MAX_CHARS) throw new ValidationError(field, `must be at most ${SIGNAL_PAYLOAD_MAX_CHARS} characters as JSON, got ${size}`);
  return payload as Record<string, unknown>;
}

/** A checked request: params read as Maestro, payload bounded, request id and time checked. */
export function normalizeSignalRequest(req: SignalRequest): SignalRequest {
  const out: SignalRequest = { params: readSignalParams(req.params), payload: readSignalPayload(req.payload) };
  if (req.requestId !== undefined) {
    if (typeof req.requestId !== 'string' || req.requestId === '') throw new ValidationError('request_id', 'must be a non-empty string when given');
    if (req.requestId.length > SIGNAL_REQUEST_ID_MAX_CHARS) throw new ValidationError('request_id', `must be at most ${SIGNAL_REQUEST_ID_MAX_CHARS} characters, got ${req.requestId.length}`);
    out.requestId = req.requestId;
  }
  if (req.requestTimeMs !== undefined) {
    if (!Number.isSafeInteger(req.requestTimeMs) || req.requestTimeMs < 0) throw new ValidationError('request_time', `must be epoch milliseconds (an integer >= 0), got ${req.requestTimeMs}`);
    out.requestTimeMs = req.requestTimeMs;
  }
  return out;
}

/** Jackson's string escaping: `"`, `\`, \b \t \n \f \r, other controls as \u00XX (upper-case hex). */
export function jacksonString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += '\\\\';
    else if (c < 0x20) {
      if (c === 0x08) out += '\\b';
      else if (c === 0x09) out += '\\t';
      else if (c === 0x0a) out += '\\n';
      else if (c === 0x0c) out += '\\f';
      else if (c === 0x0d) out += '\\r';
      else out += '\\u00' + c.toString(16).toUpperCase().padStart(2, '0');
    } else out += s[i];
  }
  return out + '"';
}

/**
 * The text Maestro hashes into a signal's instance id when no request_id is given
 * (MaestroSignalBrokerDao.getOrCreateInstanceId): Jackson's compact JSON of a SignalCreateRequest
 * holding only the name, the params sorted by key (TreeMap: UTF-16 code unit order, as JS sort)
 * and request_time 0. NON_EMPTY drops empty params and the (empty) payload; request_time 0
 * stays (Jackson >= 2.7 keeps primitive defaults). Its id is UUID.nameUUIDFromBytes(UTF-8 bytes).
 */
export function dedupKeyJson(name: string, params: Readonly<Record<string, SignalValue>>): string {
  let out = `{"name":${jacksonString(name)}`;
  const keys = Object.keys(params).sort();
  if (keys.length > 0) {
    out += ',"params":{';
    out += keys.map((k) => `${jacksonString(k)}:${typeof params[k] === 'string' ? jacksonString(params[k]) : String(params[k])}`).join(',');
    out += '}';
  }
  return out + ',"request_time":0}';
}

// ---- NATS subjects ------------------------------------------------------------------------

/** Announce subjects: `maestro.signals.<encoded name>` (a request gets a JSON reply). */
export const SIGNALS_SUBJECT_PREFIX = 'maestro.signals';
/** Where malformed announcements go: JSON {subject, reason, data | data_base64}. */
export const SIGNALS_DEAD_LETTER_SUBJECT = 'maestro.signals-dead-letter';
/** Stored signals are published (JSON) on `maestro.signal-instances.<encoded name>`. */
export const SIGNAL_INSTANCES_SUBJECT_PREFIX = 'maestro.signal-instances';
/** The queue group of the announce subscribers (one node handles each message). */
export const SIGNALS_QUEUE_GROUP = 'maestro-signals';

const ESCAPED = /[.*>%\s]/gu;

/** One `/`-segment as a subject token: `.` `*` `>` `%` and whitespace percent-encoded (UTF-8, upper-case hex). */
export function signalTokenOf(segment: string): string {
  return segment.replace(ESCAPED, (ch) => Array.from(new TextEncoder().encode(ch), (b) => '%' + b.toString(16).toUpperCase().padStart(2, '0')).join(''));
}

/** The subject suffix of a signal name: `db/test/table1` -> `db.test.table1`. */
export function signalSubjectTokens(name: string): string {
  return name.split('/').map(signalTokenOf).join('.');
}

export function signalSubjectOf(name: string): string {
  return `${SIGNALS_SUBJECT_PREFIX}.${signalSubjectTokens(name)}`;
}

export function signalInstancesSubjectOf(name: string): string {
  return `${SIGNAL_INSTANCES_SUBJECT_PREFIX}.${signalSubjectTokens(name)}`;
}

/**
 * The signal name of an announce subject (the inverse of signalSubjectOf); ValidationError('subject')
 * when it is not under the prefix, has an empty token or a bad percent-escape.
 */
export function signalNameOfSubject(subject: string): string {
  const prefix = `${SIGNALS_SUBJECT_PREFIX}.`;
  if (!subject.startsWith(prefix)) throw new ValidationError('subject', `must start with '${prefix}', got '${subject}'`);
  const tokens = subject.slice(prefix.length).split('.');
  const segments = tokens.map((t) => {
    if (t === '') throw new ValidationError('subject', `has an empty token: '${subject}'`);
    try {
      return decodeURIComponent(t);
    } catch {
      throw new ValidationError('subject', `token '${t}' has a bad %-escape`);
    }
  });
  return checkSignalName(segments.join('/'), 'subject');
}

// ---- JSON shapes ---------------------------------------------------------------------------

/** Maestro's SignalInstance JSON (snake_case; NON_EMPTY drops empty params and payload). */
export function signalInstanceJson(s: SignalInstance): Record<string, unknown> {
  const out: Record<string, unknown> = { name: s.name, seq_id: s.seqId, instance_id: s.instanceId };
  if (Object.keys(s.params).length > 0) out.params = s.params;
  if (Object.keys(s.payload).length > 0) out.payload = s.payload;
  out.request_time = s.requestTimeMs;
  out.create_time = s.createTimeMs;
  return out;
}

/** Maestro's 409 text for a duplicate announcement. */
export function duplicateSignalMessage(s: SignalInstance): string {
  return `Signal instance [${JSON.stringify(signalInstanceJson(s))}] already exists. If needed, please set a different request_id to announce it again`;
}
