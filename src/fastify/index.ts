import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest, LogLevel } from 'fastify';
import fp from 'fastify-plugin';
import { InvalidOptionError } from '../core/errors.js';
import type { HealthOptions } from '../core/health.js';
import type { Probe } from '../core/types.js';
import { Health } from '../health.js';
import { guardMalformed } from '../http/attach.js';
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

type Params = { '*'?: string };

function makeHandler(health: Health, http: NormalizedHttp<FastifyRequest>, probe: Probe) {
  // Not async: the answer is ready at once, and a promise per hit would cost on the hot path.
  return function probeHandler(request: FastifyRequest<{ Params: Params }>, reply: FastifyReply) {
    const { verbose, exclude } = fromQueryObject(request.query);
    // A wildcard, not `:name`: the router's `maxParamLength` (100) would answer 414 to a valid 128-character name.
    const check = request.params['*'];
    if (check?.includes('/') && !/%2f/i.test(request.raw.url ?? '')) {
      // `/ready/a/b`: under a probe path but not a check name (an encoded slash, `%2F`, is part of a name).
      const r = badPath();
      return reply.code(r.statusCode).headers(r.headers).send(r.body);
    }
    const r = respond(health, http, probe, { check, verbose, exclude, accept: request.headers.accept }, request);
    return reply.code(r.statusCode).headers(r.headers).send(r.body);
  };
}

/**
 * The Fastify plugin: decorates `app.health`, serves GET and HEAD on `/live`, `/ready`, `/startup`
 * (and `/<probe>/<name>`), starts the checks on `onReady` and stops them on `onClose`.
 * Bad options make `app.ready()` reject with an InvalidOptionError.
 */
const REGISTRY_OPTIONS = ['checks', 'defaults', 'timers', 'closeTimeout', 'shutdown', 'logger'] as const;
/** Every key the plugin reads, plus the ones Fastify's `register()` itself takes; anything else is a typo. */
const PLUGIN_OPTIONS = new Set<string>([
  ...REGISTRY_OPTIONS,
  'health',
  'paths',
  'prefix',
  'details',
  'logLevel',
  'logSerializers',
]);

const plugin: FastifyPluginAsync<ProbekitFastifyOptions> = async (app: FastifyInstance, opts: ProbekitFastifyOptions) => {
  for (const key of Object.keys(opts)) {
    if (!PLUGIN_OPTIONS.has(key)) throw new InvalidOptionError(`Unknown option \`${key}\``);
  }
  const http = normalizeHttpOptions<FastifyRequest>(opts);
  if (opts.health !== undefined && !(opts.health instanceof Health)) {
    throw new InvalidOptionError('Expected `health` to be a Health created by createHealth()');
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
  // then closes the app after the cleanup hooks, which runs the app's own onClose hooks (pools, ...).
  const detach = health.attach(app.server);
  const unguard = guardMalformed(app.server, http as NormalizedHttp<unknown>);
  let closing = false;
  const removeCloser = health.addCloser(() => (closing ? undefined : app.close()), 'fastify close');
  await app.register(async (routes) => {
    // HEAD is asked for explicitly: the app may have turned `exposeHeadRoutes` off, and probes need it.
    const options = { logLevel, exposeHeadRoute: true };
    for (const { probe, path } of http.routes) {
      const handler = makeHandler(health, http, probe);
      routes.get(path, options, handler);
      routes.get(`${path}/*`, options, handler);
    }
  });
  app.addHook('onReady', async () => {
    health.start();
  });
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onClose', async () => {
    removeCloser();
    unguard();
    detach();
    // The app closing itself (tests, apps with their own signal handling) runs the cleanup hooks once, as a signal
    // would; during the shutdown sequence this does nothing, since the sequence runs them itself.
    await health.close();
  });
};

/** The probekit Fastify plugin (also the default export). */
export const probekit = fp(plugin, { fastify: '5.x', name: 'probekit' });
export default probekit;
export { createHealth, Health } from '../health.js';
