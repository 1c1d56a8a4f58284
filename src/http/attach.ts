import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { InvalidOptionError, showValue } from '../core/errors.js';
import type { HealthCore } from '../core/health.js';
import { checkPath, type HttpOptions, type NormalizedHttp, normalizeHttpOptions } from './contract.js';
import { ServerTracker } from './drain.js';
import { Endpoint } from './endpoint.js';
import { BAD_REQUEST, handleProbe, send } from './node.js';
import { matchProbePath, splitUrl, statusPagePart } from './paths.js';

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
}

type Listener = (...args: unknown[]) => void;

function assertServer(server: unknown): asserts server is Server {
  if (server === null || typeof server !== 'object' || typeof (server as Server).listeners !== 'function') {
    throw new InvalidOptionError(`Expected \`server\` to be a node:http or node:https server, got \`${showValue(server)}\``);
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
 * @throws InvalidOptionError for something that is not a server, or bad HTTP options.
 */
export function attachServer(
  health: HealthCore,
  server: Server,
  options: AttachOptions,
): { target: ServerTracker; detach(): void } {
  assertServer(server);
  if (options === null || typeof options !== 'object') throw new InvalidOptionError('Expected `options` to be an object');
  const { serveProbes, metricsPath, ...httpOptions } = options;
  const http = normalizeHttpOptions<IncomingMessage>(httpOptions);
  const metrics = metricsPath === undefined ? undefined : checkPath('metricsPath', metricsPath, false, '/metrics');
  const tracker = new ServerTracker(server, (req) => isProbeRequest(http, metrics, req));
  if (serveProbes !== true) return { target: tracker, detach: () => tracker.detach() };
  const endpoint = new Endpoint(health, http);
  const restore = intercept(server, (req, res) => {
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
function isProbeRequest(http: NormalizedHttp<IncomingMessage>, metricsPath: string | undefined, req: IncomingMessage): boolean {
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
