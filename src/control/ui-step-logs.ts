/**
 * GET /api/instances/WF/ID/steps/STEP/logs?attempt=N — an attempt's stdout/stderr as server-sent
 * events, from the same source as gRPC LogService.StreamStepLogs with follow (log-service.ts
 * `streamStepLogs`): this node's live tails of the attempt (every node subscribes to the attempt-
 * log topic, so the attempt may run on any node or worker), the kept logs of an ended attempt.
 *
 * Events: `attempt` {attempt, attemptId} once the attempt exists (a step with none yet waits for
 * it); `log` {stream, text, truncated} per chunk, what is held first, then lines as the attempt
 * writes them; `end` {attempt, status} after the attempt ended (status '' and attempt 0 when the
 * instance ended before the attempt existed). The stream closes after `end`; an error after the
 * first event is a `failure` event {kind, message}, then the stream closes. `attempt` absent or 0:
 * the latest attempt. Bad input (unknown step, bad attempt) answers JSON before any event.
 */
import type { ServerResponse } from 'node:http';
import { MaestroError, ValidationError } from '../core/errors.js';
import type { LogChunk } from '../gen/maestro/v1/logs.js';
import type { HttpRoute } from './http-server.js';
import { streamStepLogs } from './log-service.js';
import { instanceId, optInt, sendError, uiRoute, type UiApiDeps } from './ui-http.js';

const KEEPALIVE_MS = 15_000;

export function stepLogRoutes(deps: UiApiDeps): HttpRoute[] {
  return [
    uiRoute(deps, 'GET', /^\/api\/instances\/([^/]+)\/([^/]+)\/steps\/([^/]+)\/logs$/, async (req, res, m, url) => {
      const live = deps.live;
      if (!live) throw new MaestroError('unavailable', `node ${deps.nodeId} keeps no live task logs (no log reader configured)`);
      const attempt = optInt(url, 'attempt') ?? 0;
      const request = { workflowId: m[1]!, instanceId: instanceId(m[2]!), stepId: m[3]!, attempt, follow: true };
      if (!request.stepId) throw new ValidationError('stepId', 'is required');
      const cancel = new AbortController();
      const sse = new LazySse(res);
      res.once('close', () => {
        cancel.abort();
        sse.close();
      });
      try {
        await streamStepLogs({ api: deps.api, live }, request, (c) => sse.chunk(c), cancel.signal);
      } catch (err) {
        if (!sse.started) throw err; // answered as JSON naming the field (uiRoute)
        // mid-stream: a `failure` event says why, internal errors are logged (sendError), the stream ends
        sse.failure(err);
        sendError(deps, res, err);
        return;
      }
      sse.close();
    }),
  ];
}

/** Writes the SSE head with the first event, so an error before it can still answer as JSON. */
class LazySse {
  started = false;
  private keepAlive: NodeJS.Timeout | undefined;
  private sentAttempt = false;

  constructor(private readonly res: ServerResponse) {}

  chunk(c: LogChunk): void {
    if (this.res.destroyed || this.res.writableEnded) return;
    if (!this.sentAttempt && c.attemptId !== '') {
      this.sentAttempt = true;
      this.event('attempt', { attempt: c.attempt, attemptId: c.attemptId });
    }
    if (c.text !== '') this.event('log', { stream: c.stream, text: c.text, truncated: c.truncated });
    if (c.end) this.event('end', { attempt: c.attempt, status: c.status });
  }

  failure(err: unknown): void {
    if (this.res.destroyed || this.res.writableEnded) return;
    this.event('failure', { kind: err instanceof MaestroError ? err.kind : 'internal', message: err instanceof Error ? err.message : String(err) });
  }

  close(): void {
    clearInterval(this.keepAlive);
    if (!this.res.writableEnded && !this.res.destroyed) {
      if (!this.started) this.start(); // nothing was sent: still an (empty) event stream
      this.res.end();
    }
  }

  private start(): void {
    this.started = true;
    this.res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' });
    this.keepAlive = setInterval(() => this.res.write(': keep-alive\n\n'), KEEPALIVE_MS);
    this.keepAlive.unref();
  }

  private event(name: string, data: unknown): void {
    if (!this.started) this.start();
    this.res.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
  }
}
