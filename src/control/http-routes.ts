/**
 * What the node's HTTP server (http-server.ts) serves. Each feature adds its routes here, in
 * one place, so every node (embedded `maestro dev`, cluster `maestro node`) serves the same.
 */
import type { ClusterApi, EngineApi } from '../workflow/engine-api.js';
import type { Logger } from '../log/logger.js';
import type { LiveLogs } from '../workflow/live-logs.js';
import { sendJson, type HttpRoute } from './http-server.js';
import { uiRoutes } from './ui-api.js';
import { metricsRoutes, type MetricsText } from './metrics-route.js';

export interface HttpDeps {
  api: EngineApi & Partial<ClusterApi>;
  nodeId: string;
  log: Logger;
  /** The node's Prometheus registry (src/node/prometheus.ts); absent: no /metrics. */
  metrics?: MetricsText;
  /** The node's live task-log tails (task-logs.ts), for the UI's step-logs stream; absent: it answers 503. */
  live?: LiveLogs;
}

export function httpRoutes(deps: HttpDeps): HttpRoute[] {
  return [...healthRoutes(deps), ...metricsRoutes(deps.metrics), ...uiRoutes(deps)];
}

/** GET /healthz: 200 with the node id while the node serves. */
function healthRoutes(deps: HttpDeps): HttpRoute[] {
  return [{ method: 'GET', path: '/healthz', handle: (_req, res) => sendJson(res, 200, { status: 'SERVING', node: deps.nodeId }) }];
}
