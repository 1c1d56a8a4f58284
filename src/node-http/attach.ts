import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { MAX_TIMER_MS, timerOption } from '../core/bounds.js';
import type { DrainTarget } from '../core/drain-target.js';
import { InvalidOptionError, showValue } from '../core/errors.js';
import type { HealthCore } from '../core/health.js';
import { checkPath, type HttpOptions, type NormalizedHttp, normalizeHttpOptions } from '../http/contract.js';
import { Endpoint } from '../http/endpoint.js';
import { matchProbePath, splitUrl, statusPagePart } from '../http/paths.js';
import { type ProbeLike, ServerTracker } from './drain.js';
import { type AnyHttp2Server, Http2Tracker, isHttp2Server } from './drain-h2.js';
import { BAD_REQUEST, handleProbe, send } from './node.js';

/** Options of `health.attach(server, options)`. */
export interface AttachOptions extends HttpOptions<IncomingMessage> {
  /** Answer the probe paths on the server's `request` event, before the app (Express, ...) sees them. Default false. */
  serveProbes?: boolean;
  /**
   * The path this server serves Prometheus metrics at (`/metrics`), if any: a scrape there is no traffic for the
   * adaptive shutdown delay, whatever its `User-Agent` (`Prometheus/...` is told apart on every path anyway).
   * Default none. The Fastify plugin passes its `metrics` path itself.
   */
  metricsPath?: string;
  /**
   * Sets the server's `keepAliveTimeout` (ms; Node's default is 5000), and its `headersTimeout` to 1 s above it unless
   * it is higher already. Behind a load balancer that reuses its connections to the app, it must be above the
   * balancer's idle timeout (AWS ALB: 60 s, so 65000; GCP HTTP(S) load balancers: 600 s, so 620000), else the server
   * closes a connection the balancer is about to send on, and the client gets a 502. node:http(s) servers only
   * (Fastify: set it on `Fastify({ keepAliveTimeout })`). Default: the server's own.
   */
  keepAliveTimeout?: number;
}

/** Sets `keepAliveTimeout`, with a headers timeout above it (Node's advice; an older Node cut keep-alive sockets). */
function applyKeepAlive(server: Server | AnyHttp2Server, value: unknown): void {
  const ms = timerOption('keepAliveTimeout', value);
  if (isHttp2Server(server)) {
    throw new InvalidOptionError(
      '`keepAliveTimeout` applies to node:http(s) servers; an HTTP/2 server has no keep-alive timeout (see `server.setTimeout()`)',
    );
  }
  // Setting the timeouts is what the caller asked for: the one write to its server.
  server.keepAliveTimeout = ms;
  if (!(server.headersTimeout > ms)) server.headersTimeout = Math.min(ms + 1000, MAX_TIMER_MS);
}

type Listener = (...args: unknown[]) => void;

function assertServer(server: unknown): asserts server is Server {
  if (server === null || typeof server !== 'object' || typeof (server as Server).listeners !== 'function') {
    throw new InvalidOptionError(
      `Expected \`server\` to be a node:http, node:https or node:http2 server, got \`${showValue(server)}\``,
    );
  }
}

/**
 * Puts `first` in front of the server's request handlers: the handlers present now are taken off and called only
 * for requests `first` did not answer. Returns a function that puts them back.
 */
function intercept(server: Server, first: (req: IncomingMessage, res: ServerResponse) => boolean): () => void {
  const app = server.listeners('request') as Listener[];
  for (const l of app) server.removeListener('request', l);
  const dispatch = (req: IncomingMessage, res: ServerResponse) => {
    if (first(req, res)) return;
    for (const l of app) l.call(server, req, res);
  };
  server.on('request', dispatch);
  return () => {
    server.removeListener('request', dispatch);
    for (const l of app) server.on('request', l);
  };
}

/**
 * Follows `server` for the drain and, with `serveProbes`, puts the probe answers in front of its request handlers.
 * @throws InvalidOptionError for something that is not a server, bad HTTP options, a bad `keepAliveTimeout`, or
 *   `serveProbes` on an HTTP/2 server without the compatibility API.
 */
export function attachServer(
  health: HealthCore,
  server: Server | AnyHttp2Server,
  options: AttachOptions,
): { target: DrainTarget; detach(): void } {
  assertServer(server);
  if (options === null || typeof options !== 'object') throw new InvalidOptionError('Expected `options` to be an object');
  const { serveProbes, metricsPath, keepAliveTimeout, ...httpOptions } = options;
  const http = normalizeHttpOptions<IncomingMessage>(httpOptions);
  const metrics = metricsPath === undefined ? undefined : checkPath('metricsPath', metricsPath, false, '/metrics');
  if (serveProbes === true && isHttp2Server(server) && server.listenerCount('request') === 0) {
    throw new InvalidOptionError(
      "`serveProbes` on an HTTP/2 server needs its compatibility API (a 'request' handler); with the stream API alone, answer the probes in the app",
    );
  }
  if (keepAliveTimeout !== undefined) applyKeepAlive(server, keepAliveTimeout);
  const isProbe = (req: ProbeLike) => isProbeRequest(http, metrics, req);
  // An HTTP/2 server's compatibility API hands the same request handlers a req and res that the probe answers use
  // in the same way (`setHeader`, `writeHead`, `end`): `serveProbes` works there too.
  const tracker = isHttp2Server(server)
    ? new Http2Tracker(server, isProbe, http.envoy)
    : new ServerTracker(server, isProbe, http.envoy);
  if (serveProbes !== true) return { target: tracker, detach: () => tracker.detach() };
  const endpoint = new Endpoint(health, http);
  const restore = intercept(server as Server, (req, res) => {
    const [path, search] = splitUrl(req.url);
    return handleProbe(endpoint, req, res, path, search);
  });
  return {
    target: tracker,
    detach: () => {
      restore();
      endpoint.close();
      tracker.detach();
    },
  };
}

/**
 * Not traffic, for the adaptive shutdown delay: a request to a probe path or a status page path of these options, or
 * to the metrics path, each by its exact path (`/healthcare/orders` beside `/health` is traffic); or, whatever the
 * path, the kubelet's prober (`User-Agent: kube-probe/...`) or a Prometheus scrape (`Prometheus/...`). These keep
 * coming while a pod terminates: counting them would hold the drain until `max`.
 */
function isProbeRequest(http: NormalizedHttp<IncomingMessage>, metricsPath: string | undefined, req: ProbeLike): boolean {
  const ua = req.headers['user-agent'];
  if (ua !== undefined && (ua.startsWith('kube-probe/') || ua.startsWith('Prometheus/'))) return true;
  const path = splitUrl(req.url)[0];
  if (path === metricsPath || statusPagePart(http.statusPage, path) !== undefined) return true;
  // `/<probe>` and `/<probe>/<name>` only: `/ready/a/b` is no probe's path.
  return matchProbePath(http.byPath, path)?.kind === 'probe';
}

/**
 * For a framework whose router rejects a malformed URL before any plugin code runs (Fastify answers `/ready/%`
 * with its own 400, without `Cache-Control: no-store`): answers such probe paths with the contract's 400 instead.
 * Every other request goes on to the framework untouched; a URL without `%` costs one `indexOf`.
 */
export function guardMalformed(server: Server, http: NormalizedHttp<unknown>): () => void {
  assertServer(server);
  return intercept(server, (req, res) => {
    const url = req.url;
    if (url === undefined || !url.includes('%') || (req.method !== 'GET' && req.method !== 'HEAD')) return false;
    const match = matchProbePath(http.byPath, splitUrl(url)[0]);
    if (match?.kind !== 'malformed') return false;
    send(res, BAD_REQUEST, req.method === 'HEAD');
    return true;
  });
}
