import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ProbeResponse } from '../core/aggregate.js';
import { badPath, fromSearch } from '../http/contract.js';
import type { Endpoint } from '../http/endpoint.js';
import { matchProbePath } from '../http/paths.js';

/** An answer as it goes on the wire: the flat header list `writeHead` takes, and the body already encoded. */
interface Wire {
  readonly headers: string[];
  readonly body: Buffer;
}

// Answers are cached by the registry and shared by every hit until the next change, so their wire form is made
// once per answer: a hit then skips setHeader's per-header validation, Buffer.byteLength and the UTF-8 encoding
// of the body (measurably slower for a 1-2 KiB body at tens of thousands of hits a second).
const wires = new WeakMap<ProbeResponse, Wire>();

function wire(r: ProbeResponse): Wire {
  let w = wires.get(r);
  if (w === undefined) {
    const body = Buffer.from(r.body, 'utf8');
    const headers: string[] = [];
    for (const key in r.headers) headers.push(key, r.headers[key] as string);
    headers.push('content-length', String(body.length));
    w = { headers, body };
    wires.set(r, w);
  }
  return w;
}

/**
 * The answer's body as bytes, encoded once per answer and shared by every write of it (a framework handed a Buffer
 * neither measures nor copies it again: 600 KB of status page at 1,000 checks).
 */
export function encodedBody(r: ProbeResponse): Buffer {
  return wire(r).body;
}

/**
 * Writes a probe answer on a bare `ServerResponse`: no framework, no ETag, no freshness check
 * (a 304 to a health probe would hide a state change). HEAD gets the headers and no body.
 * Headers the app set on `res` before (a middleware's) are kept.
 */
export function send(res: ServerResponse, r: ProbeResponse, head: boolean): void {
  const w = wire(r);
  if (res.getHeaderNames().length > 0) {
    // Some middleware set headers already: merge through setHeader so that none is lost.
    res.statusCode = r.statusCode;
    for (let i = 0; i < w.headers.length; i += 2) res.setHeader(w.headers[i] as string, w.headers[i + 1] as string);
    res.end(head ? undefined : w.body);
    return;
  }
  res.writeHead(r.statusCode, w.headers);
  if (head) res.end();
  else res.end(w.body);
}

/** The answer to a probe path with malformed percent-encoding, the same on every adapter. */
export const BAD_REQUEST: ProbeResponse = Object.freeze({
  statusCode: 400,
  status: 'error',
  headers: Object.freeze({ 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }),
  body: '{"status":"error","error":"Bad Request","message":"Malformed percent-encoding in the path"}',
});

/**
 * Answers a request when its path is a probe path (or the status page); returns false (and touches nothing)
 * otherwise. Used by `health.attach(server, { serveProbes: true })` and the Express router.
 * @param path The request path without query string, relative to any mount point.
 */
export function handleProbe<Req extends IncomingMessage>(
  endpoint: Endpoint<Req>,
  req: Req,
  res: ServerResponse,
  path: string,
  search: string,
): boolean {
  const method = req.method;
  if (method !== 'GET' && method !== 'HEAD') return false;
  const head = method === 'HEAD';
  const part = endpoint.pagePart(path);
  if (part !== undefined) {
    const r = endpoint.page(part, fromSearch(search).watch, req, { req, res });
    if (r !== undefined) send(res, r, head);
    return true;
  }
  const match = matchProbePath(endpoint.http.byPath, path);
  if (match === undefined) return false;
  if (match.kind === 'bad-path') send(res, badPath(), head);
  else if (match.kind === 'malformed') send(res, BAD_REQUEST, head);
  else {
    // URLSearchParams never throws: malformed percent-encoding is kept as is.
    const query = fromSearch(search);
    const r = endpoint.probe(match.probe, match.check, query, req.headers.accept, req, { req, res });
    if (r !== undefined) send(res, r, head);
  }
  return true;
}

export { splitUrl } from '../http/paths.js';
