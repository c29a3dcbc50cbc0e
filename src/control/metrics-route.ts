/**
 * GET /metrics: the node's Prometheus registry in the text exposition format (README,
 * "Metrics"). The registry is the node's (src/node/prometheus.ts); this layer only serves it.
 */
import { sendText, type HttpRoute } from './http-server.js';

/** What the route needs of a registry (prom-client's Registry has both). */
export interface MetricsText {
  readonly contentType: string;
  text(): Promise<string>;
}

export function metricsRoutes(metrics: MetricsText | undefined): HttpRoute[] {
  if (!metrics) return [];
  return [{ method: 'GET', path: '/metrics', handle: async (_req, res) => sendText(res, 200, await metrics.text(), metrics.contentType) }];
}
