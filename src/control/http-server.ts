/**
 * The node's HTTP server: what people and scrapers look at (the web UI, Prometheus metrics,
 * health), beside the gRPC API. Every node serves it (`maestro dev`, `maestro node`), on
 * `httpPort` (0 picks a free one).
 *
 * - Routes come from providers (http-routes.ts): each is a method, a path (exact string, or a
 *   RegExp whose groups reach the handler) and a handler. The first match wins; no match is 404,
 *   a path that matches with another method 405.
 * - A handler that throws answers 500 with the message (its error is logged), unless it already
 *   started the response (then the connection is ended).
 * - `close()` stops accepting, ends open keep-alive and streaming (SSE) connections, and resolves
 *   when the server is closed.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from '../log/logger.js';

export interface HttpRoute {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string | RegExp;
  handle(req: IncomingMessage, res: ServerResponse, match: RegExpMatchArray | undefined, url: URL): void | Promise<void>;
}

export interface HttpServerOptions {
  /** Default "localhost". */
  host?: string;
  /** 0 picks a free port; the chosen one is returned. */
  port: number;
  routes: HttpRoute[];
  log: Logger;
}

export interface HttpServerHandle {
  port: number;
  /** `http://host:port` as a browser on this machine reaches it. */
  url: string;
  close(): Promise<void>;
}

export async function startHttpServer(opts: HttpServerOptions): Promise<HttpServerHandle> {
  const host = opts.host ?? 'localhost';
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => void answer(opts, req, res));
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : opts.port;
  let closing: Promise<void> | undefined;
  return {
    port,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
      return closing;
    },
  };
}

async function answer(opts: HttpServerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  let pathMatched = false;
  for (const route of opts.routes) {
    const match = typeof route.path === 'string' ? (route.path === url.pathname ? undefined : null) : url.pathname.match(route.path);
    if (match === null) continue;
    pathMatched = true;
    if (route.method !== req.method && !(route.method === 'GET' && req.method === 'HEAD')) continue;
    try {
      await route.handle(req, res, match, url);
    } catch (err) {
      opts.log.error({ err, path: url.pathname }, 'HTTP handler failed');
      if (!res.headersSent) sendText(res, 500, (err as Error).message);
      else res.end();
    }
    return;
  }
  sendText(res, pathMatched ? 405 : 404, pathMatched ? `method ${req.method} not allowed on ${url.pathname}` : `no route ${url.pathname}`);
}

export function sendText(res: ServerResponse, status: number, text: string, contentType = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  sendText(res, status, JSON.stringify(body), 'application/json; charset=utf-8');
}
