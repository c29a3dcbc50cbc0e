/**
 * What the web UI's route files share (ui-api.ts, ui-breakpoints.ts, ui-step-logs.ts): their
 * dependencies, the route wrapper (decoded path groups, errors answered as JSON with the status
 * the gRPC mapping gives), and the parameter and body readers that name the field in errors.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { MaestroError, ValidationError, type ErrorKind } from '../core/errors.js';
import type { Logger } from '../log/logger.js';
import type { ClusterApi, EngineApi } from '../workflow/engine-api.js';
import type { LiveLogs } from '../workflow/live-logs.js';
import { sendJson, type HttpRoute } from './http-server.js';

export interface UiApiDeps {
  api: EngineApi & Partial<ClusterApi>;
  nodeId: string;
  log: Logger;
  /** Where the bundle is (default: ui/dist of this package). */
  uiDir?: string;
  /** The node's live task-log tails (src/node/task-logs.ts); absent: the step-logs stream answers 503. */
  live?: LiveLogs;
}

const HTTP_OF_KIND: Record<ErrorKind, number> = {
  invalid_argument: 400,
  not_found: 404,
  already_exists: 409,
  failed_precondition: 412,
  unavailable: 503,
  unauthenticated: 401,
  internal: 500,
};

export type UiHandler = (req: IncomingMessage, res: ServerResponse, m: string[], url: URL) => Promise<void>;

/** A route whose path groups arrive decoded and whose errors answer as JSON (sendError). */
export function uiRoute(deps: Pick<UiApiDeps, 'log'>, method: HttpRoute['method'], path: string | RegExp, fn: UiHandler): HttpRoute {
  return {
    method,
    path,
    handle: async (req, res, match, url) => {
      try {
        const m = match ? [...match].map((x, i) => (i === 0 || x === undefined ? x ?? '' : decodeURIComponent(x))) : [];
        await fn(req, res, m, url);
      } catch (err) {
        sendError(deps, res, err);
      }
    },
  };
}

export function sendError(deps: Pick<UiApiDeps, 'log'>, res: ServerResponse, err: unknown): void {
  const kind: ErrorKind = err instanceof MaestroError ? err.kind : 'internal';
  const status = HTTP_OF_KIND[kind];
  if (status >= 500) deps.log.error({ err }, 'UI API request failed');
  const body: { kind: ErrorKind; message: string; field?: string } = { kind, message: err instanceof Error ? err.message : String(err) };
  if (err instanceof ValidationError && err.path) body.field = err.path;
  if (res.headersSent) res.end();
  else sendJson(res, status, { error: body });
}

export function instanceId(s: string): number {
  const n = Number(s);
  if (!/^\d+$/.test(s) || !Number.isSafeInteger(n) || n <= 0) throw new ValidationError('instanceId', `must be a positive integer, got ${JSON.stringify(s)}`);
  return n;
}

export function optInt(url: URL, name: string): number | undefined {
  const s = url.searchParams.get(name);
  if (s === null || s === '') return undefined;
  const n = Number(s);
  if (!/^\d+$/.test(s) || !Number.isSafeInteger(n)) throw new ValidationError(name, `must be a non-negative integer, got ${JSON.stringify(s)}`);
  return n;
}

export function optString(body: Record<string, unknown>, name: string): string | undefined {
  const v = body[name];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw new ValidationError(name, `must be a string, got ${JSON.stringify(v)}`);
  return v;
}

const MAX_BODY = 1 << 20;

export async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > MAX_BODY) throw new ValidationError('body', `is larger than ${MAX_BODY} bytes`);
    chunks.push(c);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return {};
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new ValidationError('body', `is not JSON: ${(err as Error).message}`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ValidationError('body', 'must be a JSON object');
  return v as Record<string, unknown>;
}
