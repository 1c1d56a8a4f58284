import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ProbeResponse } from '../core/aggregate.js';
import type { Reporter } from '../core/registry.js';
import { badPath, fromSearch, type NormalizedHttp, respond } from './contract.js';
import { matchProbePath } from './paths.js';

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

/** The answer to a probe path with malformed percent-encoding, the same on every adapter. */
export const BAD_REQUEST: ProbeResponse = Object.freeze({
  statusCode: 400,
  status: 'error',
  headers: Object.freeze({ 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }),
  body: '{"status":"error","error":"Bad Request","message":"Malformed percent-encoding in the path"}',
});

/**
 * Answers a request when its path is a probe path; returns false (and touches nothing) otherwise.
 * Used by `health.attach(server, { serveProbes: true })`, the Express router, and Fastify's malformed-URL guard.
 * @param path The request path without query string, relative to any mount point.
 */
export function handleProbe<Req extends IncomingMessage>(
  health: Reporter,
  http: NormalizedHttp<Req>,
  req: Req,
  res: ServerResponse,
  path: string,
  search: string,
): boolean {
  const method = req.method;
  if (method !== 'GET' && method !== 'HEAD') return false;
  const match = matchProbePath(http.byPath, path);
  if (match === undefined) return false;
  const head = method === 'HEAD';
  if (match.kind === 'bad-path') send(res, badPath(), head);
  else if (match.kind === 'malformed') send(res, BAD_REQUEST, head);
  else {
    // URLSearchParams never throws: malformed percent-encoding is kept as is.
    const query = fromSearch(search);
    const request = { check: match.check, verbose: query.verbose, exclude: query.exclude, accept: req.headers.accept };
    send(res, respond(health, http, match.probe, request, req), head);
  }
  return true;
}

export { splitUrl } from './paths.js';
