import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ProbeResponse } from '../core/aggregate.js';
import type { Health } from '../core/health.js';
import { badPath, fromSearch, type NormalizedHttp, respond } from './contract.js';

/**
 * Writes a probe answer on a bare `ServerResponse`: no framework, no ETag, no freshness check
 * (a 304 to a health probe would hide a state change). HEAD gets the headers and no body.
 */
export function send(res: ServerResponse, r: ProbeResponse, head: boolean): void {
  res.statusCode = r.statusCode;
  const h = r.headers;
  for (const key in h) res.setHeader(key, h[key] as string);
  res.setHeader('content-length', Buffer.byteLength(r.body));
  if (head) res.end();
  else res.end(r.body);
}

function decode(name: string): string | undefined {
  try {
    return decodeURIComponent(name);
  } catch {
    return undefined;
  }
}

const BAD_REQUEST: ProbeResponse = Object.freeze({
  statusCode: 400,
  status: 'error',
  headers: Object.freeze({ 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }),
  body: '{"status":"error","error":"Bad Request","message":"Malformed check name"}',
});

/**
 * Answers a request when its path is a probe path; returns false (and touches nothing) otherwise.
 * Used by `health.attach(server, { serveProbes: true })` and the Express router.
 * @param path The request path without query string, relative to any mount point.
 */
export function handleProbe<Req extends IncomingMessage>(
  health: Health,
  http: NormalizedHttp<Req>,
  req: Req,
  res: ServerResponse,
  path: string,
  search: string,
): boolean {
  const method = req.method;
  if (method !== 'GET' && method !== 'HEAD') return false;
  let probe = http.byPath.get(path);
  let check: string | undefined;
  if (probe === undefined) {
    const slash = path.lastIndexOf('/');
    if (slash <= 0) return false;
    probe = http.byPath.get(path.slice(0, slash));
    if (probe === undefined) {
      // `/ready/a/b`: under a probe path but not a check name.
      for (const p of http.byPath.keys()) {
        if (path.startsWith(`${p}/`)) {
          send(res, badPath(), method === 'HEAD');
          return true;
        }
      }
      return false;
    }
    check = decode(path.slice(slash + 1));
    if (check === undefined) {
      send(res, BAD_REQUEST, method === 'HEAD');
      return true;
    }
  }
  // URLSearchParams never throws: malformed percent-encoding is kept as is.
  const query = fromSearch(search);
  const accept = req.headers.accept;
  send(
    res,
    respond(health, http, probe, { check, verbose: query.verbose, exclude: query.exclude, accept }, req),
    method === 'HEAD',
  );
  return true;
}

/** Splits `req.url` into path and query string (without `?`). */
export function splitUrl(url: string | undefined): [string, string] {
  if (url === undefined) return ['/', ''];
  const q = url.indexOf('?');
  return q === -1 ? [url, ''] : [url.slice(0, q), url.slice(q + 1)];
}
