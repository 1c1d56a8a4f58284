import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest, LogLevel } from 'fastify';
import fp from 'fastify-plugin';
import { InvalidOptionError } from '../core/errors.js';
import { Health, type HealthOptions } from '../core/health.js';
import type { Probe } from '../core/types.js';
import {
  badPath,
  fromQueryObject,
  type HttpOptions,
  type NormalizedHttp,
  normalizeHttpOptions,
  respond,
} from '../http/contract.js';

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
}

type Params = { name?: string };

function makeHandler(health: Health, http: NormalizedHttp<FastifyRequest>, probe: Probe) {
  // Not async: the answer is ready at once, and a promise per hit would cost on the hot path.
  return function probeHandler(request: FastifyRequest<{ Params: Params }>, reply: FastifyReply) {
    const { verbose, exclude } = fromQueryObject(request.query);
    const r = respond(
      health,
      http,
      probe,
      { check: request.params.name, verbose, exclude, accept: request.headers.accept },
      request,
    );
    return reply.code(r.statusCode).headers(r.headers).send(r.body);
  };
}

/**
 * The Fastify plugin: decorates `app.health`, serves GET and HEAD on `/live`, `/ready`, `/startup`
 * (and `/<probe>/<name>`), starts the checks on `onReady` and stops them on `onClose`.
 * Bad options make `app.ready()` reject with an InvalidOptionError.
 */
const REGISTRY_OPTIONS = ['checks', 'defaults', 'timers', 'closeTimeout', 'shutdown', 'logger'] as const;

const plugin: FastifyPluginAsync<ProbekitFastifyOptions> = async (app: FastifyInstance, opts: ProbekitFastifyOptions) => {
  const http = normalizeHttpOptions<FastifyRequest>(opts);
  if (opts.health !== undefined && !(opts.health instanceof Health)) {
    throw new TypeError('Expected `health` to be a Health created by createHealth()');
  }
  if (opts.health !== undefined) {
    // A shared registry was made with its own options: silently dropping these would hide a mistake.
    const given = REGISTRY_OPTIONS.filter((k) => opts[k] !== undefined);
    if (given.length > 0) {
      throw new InvalidOptionError(`\`${given.join('`, `')}\` cannot be combined with \`health\`: pass them to createHealth()`);
    }
  }
  const logLevel = opts.logLevel ?? 'warn';
  const health =
    opts.health ??
    new Health({
      ...(opts.checks !== undefined && { checks: opts.checks }),
      ...(opts.defaults !== undefined && { defaults: opts.defaults }),
      ...(opts.timers !== undefined && { timers: opts.timers }),
      ...(opts.closeTimeout !== undefined && { closeTimeout: opts.closeTimeout }),
      ...(opts.shutdown !== undefined && { shutdown: opts.shutdown }),
      logger: opts.logger ?? app.log.child({ plugin: 'probekit' }),
    });

  app.decorate('health', health);
  // The shutdown sequence drains app.server itself (Fastify's close() would answer 503 to requests still arriving),
  // then closes the app as its last hook, which runs the app's own onClose hooks (pools, ...).
  const detach = health.attach(app.server);
  health.onShutdown(() => app.close(), 'fastify close');
  await app.register(async (routes) => {
    // HEAD is asked for explicitly: the app may have turned `exposeHeadRoutes` off, and probes need it.
    const options = { logLevel, exposeHeadRoute: true };
    const notACheck = (_req: FastifyRequest, reply: FastifyReply) => {
      const r = badPath();
      return reply.code(r.statusCode).headers(r.headers).send(r.body);
    };
    for (const { probe, path } of http.routes) {
      const handler = makeHandler(health, http, probe);
      routes.get(path, options, handler);
      routes.get(`${path}/:name`, options, handler);
      routes.get(`${path}/:name/*`, options, notACheck);
    }
  });
  app.addHook('onReady', async () => {
    health.start();
  });
  app.addHook('onClose', async () => {
    detach();
    await health.stop();
  });
};

/** The probekit Fastify plugin (also the default export). */
export const probekit = fp(plugin, { fastify: '5.x', name: 'probekit' });
export default probekit;
export { createHealth, Health } from '../core/health.js';
