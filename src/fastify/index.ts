import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest, LogLevel } from 'fastify';
import fp from 'fastify-plugin';
import type { ProbeResponse } from '../core/aggregate.js';
import { InvalidOptionError, showValue } from '../core/errors.js';
import { HEALTH_OPTION_KEYS, type HealthOptions } from '../core/health.js';
import type { Probe } from '../core/types.js';
import { Health } from '../health.js';
import {
  badPath,
  checkPath,
  fromQueryObject,
  type HttpOptions,
  type NormalizedHttp,
  normalizeHttpOptions,
} from '../http/contract.js';
import { Endpoint, type PagePart } from '../http/endpoint.js';
import type { HealthMetricsOptions } from '../metrics/options.js';
import { guardMalformed } from '../node-http/attach.js';
import { encodedBody, send } from '../node-http/node.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The probekit registry: `register`, `hold`, `snapshot`, events. */
    health: Health;
  }
}

/** Options of the Fastify plugin: the registry's options plus the HTTP ones. */
export interface ProbekitFastifyOptions extends Omit<HealthOptions, 'logger'>, HttpOptions<FastifyRequest> {
  /** Use this registry instead of creating one (its own options then apply). */
  health?: Health;
  /** Log level of the probe routes. Default `'warn'`, so probe traffic does not flood the request log. */
  logLevel?: LogLevel;
  /** Logger for the registry. Default: a child of `app.log`. */
  logger?: HealthOptions['logger'];
  /**
   * Serve Prometheus metrics (needs `prom-client`): `true` at `/metrics` on a registry of their own, or
   * `{ path, registry, prefix }` (see `probekit/metrics`). Default off.
   */
  metrics?: boolean | { path?: string; registry?: HealthMetricsOptions['registry']; prefix?: string };
}

type Params = { '*'?: string };

/** The registry's options among the plugin's: each one given, as given (a new object; `opts` is not written to). */
function registryOptions(opts: ProbekitFastifyOptions): HealthOptions {
  const out: Record<string, unknown> = {};
  for (const key of HEALTH_OPTION_KEYS) if (opts[key] !== undefined) out[key] = opts[key];
  return out as HealthOptions;
}

function sendResponse(reply: FastifyReply, r: ProbeResponse) {
  return reply.code(r.statusCode).headers(r.headers).send(r.body);
}

/**
 * Answers through the raw response: a `?watch` stream (or its 503) writes there itself, so Fastify must let go of
 * the reply first. Nothing is written twice: when the endpoint did not stream, the answer goes out the same way.
 */
function rawAnswer(
  reply: FastifyReply,
  answer: (raw: { req: IncomingMessage; res: ServerResponse }) => ProbeResponse | undefined,
) {
  reply.hijack();
  const r = answer({ req: reply.request.raw, res: reply.raw });
  if (r !== undefined) send(reply.raw, r, reply.request.method === 'HEAD');
}

function makeHandler(endpoint: Endpoint<FastifyRequest>, probe: Probe) {
  // Not async: the answer is ready at once, and a promise per hit would cost on the hot path.
  return function probeHandler(request: FastifyRequest<{ Params: Params }>, reply: FastifyReply) {
    const query = fromQueryObject(request.query);
    // A wildcard, not `:name`: the router's `maxParamLength` (100) would answer 414 to a valid 128-character name.
    const check = request.params['*'];
    if (check?.includes('/') && !/%2f/i.test(request.raw.url ?? '')) {
      // `/ready/a/b`: under a probe path but not a check name (an encoded slash, `%2F`, is part of a name).
      return sendResponse(reply, badPath());
    }
    const accept = request.headers.accept;
    if (query.watch && request.method === 'GET') {
      return rawAnswer(reply, (raw) => endpoint.probe(probe, check, query, accept, request, raw));
    }
    return sendResponse(reply, endpoint.probe(probe, check, query, accept, request, undefined) as ProbeResponse);
  };
}

function pageHandler(endpoint: Endpoint<FastifyRequest>, part: PagePart) {
  return function statusPageHandler(request: FastifyRequest, reply: FastifyReply) {
    const watch = part === 'page' && fromQueryObject(request.query).watch && request.method === 'GET';
    if (watch) return rawAnswer(reply, (raw) => endpoint.page(part, true, request, raw));
    const r = endpoint.page(part, false, request, undefined) as ProbeResponse;
    // The page is large (600 KB at 1,000 checks): its bytes are made once per version of it, not per GET.
    if (part === 'page') return reply.code(r.statusCode).headers(r.headers).send(encodedBody(r));
    return sendResponse(reply, r);
  };
}

/**
 * Validates the `metrics` option: `undefined` when off, else its path and the options of `healthMetrics()`.
 * @throws InvalidOptionError for a value that is not a boolean or an object, or a malformed `metrics.path`.
 */
function metricsOption(value: ProbekitFastifyOptions['metrics']): { path: string; options: HealthMetricsOptions } | undefined {
  if (value === undefined || value === false) return undefined;
  const m = value === true ? {} : value;
  if (m === null || typeof m !== 'object') {
    throw new InvalidOptionError(`Expected \`metrics\` to be a boolean or { path, registry, prefix }, got \`${showValue(m)}\``);
  }
  const { path = '/metrics', ...options } = m;
  return { path: checkPath('metrics.path', path, false, '/metrics'), options };
}

/**
 * The Fastify plugin: decorates `app.health`, serves GET and HEAD on `/live`, `/ready`, `/startup`
 * (and `/<probe>/<name>`), starts the checks on `onReady` and stops them on `onClose`.
 * Bad options make `app.ready()` reject with an InvalidOptionError.
 */
/** Every key the plugin reads, plus the ones Fastify's `register()` itself takes; anything else is a typo. */
const PLUGIN_OPTIONS = new Set<string>([
  ...HEALTH_OPTION_KEYS,
  'health',
  'paths',
  'prefix',
  'details',
  'maxWatchers',
  'watchInterval',
  'statusPage',
  'statusCodes',
  'envoy',
  'metrics',
  'logLevel',
  'logSerializers',
]);

const plugin: FastifyPluginAsync<ProbekitFastifyOptions> = async (app: FastifyInstance, opts: ProbekitFastifyOptions) => {
  for (const key of Object.keys(opts)) {
    if (!PLUGIN_OPTIONS.has(key)) throw new InvalidOptionError(`Unknown option \`${key}\``);
  }
  const http = normalizeHttpOptions<FastifyRequest>(opts);
  const metricsRoute = metricsOption(opts.metrics);
  if (opts.health !== undefined && !(opts.health instanceof Health)) {
    throw new InvalidOptionError(
      `Expected \`health\` to be a Health created by createHealth(), got \`${showValue(opts.health)}\``,
    );
  }
  if (opts.health !== undefined) {
    // A shared registry was made with its own options: silently dropping these would hide a mistake.
    const given = HEALTH_OPTION_KEYS.filter((k) => opts[k] !== undefined);
    if (given.length > 0) {
      throw new InvalidOptionError(`\`${given.join('`, `')}\` cannot be combined with \`health\`: pass them to createHealth()`);
    }
  }
  const logLevel = opts.logLevel ?? 'warn';
  const health =
    opts.health ?? new Health({ ...registryOptions(opts), logger: opts.logger ?? app.log.child({ plugin: 'probekit' }) });

  app.decorate('health', health);
  // The shutdown sequence drains app.server itself (Fastify's close() would answer 503 to requests still arriving),
  // then closes the app after the cleanup hooks, which runs the app's own onClose hooks (pools, ...).
  // The same paths, so that the adaptive shutdown delay tells these probes and the metrics scrapes from traffic.
  const detach = health.attach(app.server, {
    ...(opts.paths !== undefined && { paths: opts.paths }),
    ...(opts.prefix !== undefined && { prefix: opts.prefix }),
    ...(opts.statusPage !== undefined && { statusPage: opts.statusPage }),
    ...(metricsRoute !== undefined && { metricsPath: metricsRoute.path }),
    ...(opts.envoy !== undefined && { envoy: opts.envoy }),
  });
  const unguard = guardMalformed(app.server, http as NormalizedHttp<unknown>);
  // The app's own close (its onClose hooks: pools, ...) is a participant of the shutdown, after the cleanup hooks.
  const leave = health.addParticipant({ name: 'fastify app', phase: 'app', close: () => app.close() });
  const endpoint = new Endpoint(health, http);
  await app.register(async (routes) => {
    // HEAD is asked for explicitly: the app may have turned `exposeHeadRoutes` off, and probes need it.
    const options = { logLevel, exposeHeadRoute: true };
    for (const { probe, path } of http.routes) {
      const handler = makeHandler(endpoint, probe);
      routes.get(path, options, handler);
      routes.get(`${path}/*`, options, handler);
    }
    if (metricsRoute !== undefined) {
      // Loaded only when asked for: prom-client is an optional peer dependency.
      const { healthMetrics } = await import('../metrics/index.js');
      const metrics = healthMetrics(health, metricsRoute.options);
      routes.addHook('onClose', async () => metrics.close());
      routes.get(metricsRoute.path, { logLevel, exposeHeadRoute: true }, async (_request, reply) => {
        const text = await metrics.text();
        return reply.header('content-type', metrics.contentType).header('cache-control', 'no-store').send(text);
      });
    }
    const page = http.statusPage;
    if (page !== undefined) {
      routes.get(page, options, pageHandler(endpoint, 'page'));
      routes.get(`${page}/status.css`, options, pageHandler(endpoint, 'css'));
      routes.get(`${page}/status.js`, options, pageHandler(endpoint, 'js'));
    }
  });
  app.addHook('onReady', async () => {
    health.start();
  });
  app.addHook('preClose', async () => {
    // The app is closing (by itself, or as the shutdown's participant above): it is no participant any more.
    leave();
  });
  app.addHook('onClose', async () => {
    endpoint.close();
    unguard();
    detach();
    // The app closing itself (tests, apps with their own signal handling) closes every other participant once, as a
    // signal would; during the shutdown sequence, what the sequence closed already is not closed again.
    await health.close();
  });
};

/** The probekit Fastify plugin (also the default export). */
export const probekit = fp(plugin, { fastify: '5.x', name: 'probekit' });
export default probekit;
export { createHealth, Health } from '../health.js';
