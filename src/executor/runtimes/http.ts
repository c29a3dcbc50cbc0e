/**
 * Http: one HTTP request per attempt, described by the map param `http`
 * ({url, method = GET, headers: string map, body: string}).
 *
 * Verdicts: 2xx -> SUCCEEDED with outputs {status_code, body, response_body} (body cut to
 * maxOutputBytes; `response_body` is Maestro's name for it); 4xx -> FATALLY_FAILED; 5xx, network
 * errors and timeouts -> PLATFORM_FAILED (retryable); a URL outside the allow-list, a bad `http`
 * param, a body over httpMaxResponseBytes or too many redirects -> FATALLY_FAILED.
 * Redirects are followed by hand so every hop is checked against the allow-list; credentials are
 * dropped on a cross-origin hop. An Http attempt is not idempotent by itself: a redelivered POST
 * is sent again, as in Maestro.
 */
import type { ExecutorOptions } from '../options.js';
import type { StepResult, StepRuntime, StepTask } from '../runtime.js';
import { HttpAllowList } from './http-allow-list.js';
import { fallbackLogger } from '../../log/logger.js';
import { headText } from './text-bounds.js';

interface HttpRequestSpec {
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
}

type HttpOptions = Pick<
  ExecutorOptions,
  'httpAllowList' | 'httpTimeoutMs' | 'httpMaxResponseBytes' | 'httpMaxRedirects' | 'maxOutputBytes'
>;

const CREDENTIAL_HEADERS = new Set(['authorization', 'cookie', 'proxy-authorization']);

export class HttpRuntime implements StepRuntime {
  readonly type = 'Http';
  private readonly allowList: HttpAllowList;

  constructor(private readonly opts: HttpOptions) {
    this.allowList = new HttpAllowList(opts.httpAllowList);
  }

  async run(task: StepTask, signal: AbortSignal): Promise<StepResult> {
    const spec = parseHttpParam(task.params['http']);
    if (typeof spec === 'string') return { status: 'FATALLY_FAILED', error: spec };
    const timeout = AbortSignal.timeout(this.opts.httpTimeoutMs);
    const combined = AbortSignal.any([signal, timeout]);
    const failure = (e: unknown): StepResult => ({
      status: 'PLATFORM_FAILED',
      error: signal.aborted
        ? 'Http step was cancelled'
        : timeout.aborted
          ? `Http ${spec.method} ${spec.url} timed out after ${this.opts.httpTimeoutMs} ms (executor option httpTimeoutMs)`
          : `Http ${spec.method} ${spec.url} failed: ${describe(e)}`,
    });

    let { url, method, body } = spec;
    const headers = { ...spec.headers };
    for (let hop = 0; ; hop++) {
      const check = this.allowList.check(url);
      if (!check.allowed) return { status: 'FATALLY_FAILED', error: check.reason };
      let res: Response;
      try {
        res = await fetch(check.url, { method, headers, body, redirect: 'manual', signal: combined });
      } catch (e) {
        return failure(e);
      }
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location !== null) {
        await discard(res.body);
        if (hop >= this.opts.httpMaxRedirects) {
          return {
            status: 'FATALLY_FAILED',
            error: `Http ${spec.url}: more than ${this.opts.httpMaxRedirects} redirects (executor option httpMaxRedirects)`,
          };
        }
        const next = new URL(location, check.url);
        if (next.origin !== check.url.origin) {
          for (const h of Object.keys(headers)) if (CREDENTIAL_HEADERS.has(h.toLowerCase())) delete headers[h];
        }
        if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === 'POST')) {
          method = 'GET';
          body = undefined;
        }
        url = next.href;
        continue;
      }
      let bytes: Buffer | 'too-large';
      try {
        bytes = await readCapped(res, this.opts.httpMaxResponseBytes);
      } catch (e) {
        return failure(e);
      }
      if (bytes === 'too-large') {
        return {
          status: 'FATALLY_FAILED',
          error: `Http ${method} ${url}: response body exceeds ${this.opts.httpMaxResponseBytes} bytes (executor option httpMaxResponseBytes)`,
          details: { status_code: res.status },
        };
      }
      return verdict(res.status, method, url, headText(bytes, this.opts.maxOutputBytes).text);
    }
  }
}

function verdict(status: number, method: string, url: string, text: string): StepResult {
  const details = { status_code: status, url };
  if (status >= 200 && status < 300) {
    return { status: 'SUCCEEDED', outputs: { status_code: status, body: text, response_body: text }, details };
  }
  const error = `Http ${method} ${url} returned ${status}: ${text.slice(0, 500)}`;
  if (status >= 500) return { status: 'PLATFORM_FAILED', error, details };
  return { status: 'FATALLY_FAILED', error, details };
}

/** The body, or 'too-large' as soon as it passes `max` bytes (reading stops there). */
async function readCapped(res: Response, max: number): Promise<Buffer | 'too-large'> {
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > max) {
    await discard(res.body);
    return 'too-large';
  }
  if (res.body === null) return Buffer.alloc(0);
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await discard(reader);
      return 'too-large';
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, total);
}

/** The `http` param as a request, or an error message naming the offending field. */
export function parseHttpParam(raw: unknown): HttpRequestSpec | string {
  if (raw === undefined || raw === null) return 'Http step needs a map param http with at least http.url';
  if (typeof raw !== 'object' || Array.isArray(raw)) return `param http must be a map, got ${typeName(raw)}`;
  const m = raw as Record<string, unknown>;
  if (typeof m['url'] !== 'string' || m['url'] === '') return 'param http.url must be a non-empty string';
  const method = m['method'] ?? 'GET';
  if (typeof method !== 'string' || !/^[A-Za-z]+$/.test(method)) {
    return `param http.method must be an HTTP method name, got ${JSON.stringify(method)}`;
  }
  const headers: Record<string, string> = {};
  const rawHeaders = m['headers'] ?? {};
  if (typeof rawHeaders !== 'object' || rawHeaders === null || Array.isArray(rawHeaders)) {
    return `param http.headers must be a map of strings, got ${typeName(rawHeaders)}`;
  }
  for (const [k, v] of Object.entries(rawHeaders)) {
    if (typeof v !== 'string') return `param http.headers.${k} must be a string, got ${typeName(v)}`;
    headers[k] = v;
  }
  const body = m['body'];
  if (body !== undefined && body !== null && typeof body !== 'string') {
    return `param http.body must be a string, got ${typeName(body)}`;
  }
  const upper = method.toUpperCase();
  if (typeof body === 'string' && (upper === 'GET' || upper === 'HEAD')) {
    return `param http.body is not allowed with method ${upper}`;
  }
  return { url: m['url'], method: upper, headers, ...(typeof body === 'string' ? { body } : {}) };
}

function typeName(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

function describe(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const cause = e.cause instanceof Error ? `: ${e.cause.message}` : '';
  return `${e.message}${cause}`;
}

/**
 * Frees the connection of a body that will not be read. `cancel()` rejects only with the error
 * the stream already failed with: then the connection is gone and there is nothing to free, and
 * the body is being thrown away — the verdict (a redirect followed, a body too large) stands, and
 * the failure is logged at debug.
 */
async function discard(body: { cancel(): Promise<void> } | null | undefined): Promise<void> {
  try {
    await body?.cancel();
  } catch (err) {
    fallbackLogger().debug({ err, module: 'executor', runtime: 'http' }, 'discarding an unread response body failed: its stream had already failed');
  }
}
