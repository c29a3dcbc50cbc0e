/**
 * The Http runtime's URL allow-list. An entry is either
 * - a URL prefix (contains "://"): the URL must have the same origin and its path must start
 *   with the prefix's path (`https://api.example.com/v1/` allows `/v1/...` on that origin only);
 * - a host pattern: `example.com` (any port, either scheme), `example.com:8080`, `*.example.com`
 *   (subdomains only, not the apex), or `*` (any host).
 * Only http: and https: URLs are ever allowed. An empty list allows nothing.
 */
import { ExecutorConfigError } from '../errors.js';

export type AllowCheck = { allowed: true; url: URL } | { allowed: false; reason: string };

export class HttpAllowList {
  private readonly prefixes: URL[] = [];
  private readonly hosts: string[] = [];

  constructor(entries: readonly string[]) {
    for (const raw of entries) {
      const entry = raw.trim().toLowerCase();
      if (entry.includes('://')) {
        let u: URL;
        try {
          u = new URL(entry);
        } catch (cause) {
          throw new ExecutorConfigError(`httpAllowList entry ${JSON.stringify(raw)} is not a valid URL prefix: ${String(cause)}`);
        }
        this.prefixes.push(u);
      } else {
        this.hosts.push(entry);
      }
    }
  }

  check(rawUrl: string): AllowCheck {
    let url: URL;
    try {
      url = new URL(rawUrl);
    } catch (e) {
      if (!(e instanceof TypeError)) throw e; // what the URL parser throws for an invalid URL
      return { allowed: false, reason: `http.url ${JSON.stringify(rawUrl)} is not a valid URL` };
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      return { allowed: false, reason: `http.url scheme ${url.protocol} is not allowed (only http: and https:)` };
    }
    if (this.prefixes.length === 0 && this.hosts.length === 0) {
      return {
        allowed: false,
        reason:
          `http.url ${url.origin} is blocked: the executor's httpAllowList is empty, which blocks all ` +
          'Http steps; add a URL prefix (https://api.example.com/) or a host pattern (api.example.com, ' +
          '*.example.com) to the executor option httpAllowList',
      };
    }
    if (this.prefixes.some((p) => p.origin === url.origin && url.pathname.startsWith(p.pathname))) {
      return { allowed: true, url };
    }
    if (this.hosts.some((h) => hostMatches(h, url))) return { allowed: true, url };
    return {
      allowed: false,
      reason: `http.url ${url.origin}${url.pathname} is not in the executor's httpAllowList; add it (or its host) to allow it`,
    };
  }
}

function hostMatches(pattern: string, url: URL): boolean {
  if (pattern === '*') return true;
  const hasPort = /:\d+$/.test(pattern);
  const subject = hasPort ? `${url.hostname}:${effectivePort(url)}` : url.hostname;
  if (pattern.startsWith('*.')) return subject.endsWith(pattern.slice(1));
  return subject === pattern;
}

function effectivePort(url: URL): string {
  if (url.port !== '') return url.port;
  return url.protocol === 'https:' ? '443' : '80';
}
