import type { IncomingMessage } from 'node:http';
import express, { type Request, type Response, type Router } from 'express';
import { InvalidOptionError, showValue } from '../core/errors.js';
import { Health } from '../health.js';
import { type HttpOptions, normalizeHttpOptions } from '../http/contract.js';
import { Endpoint } from '../http/endpoint.js';
import { handleProbe, splitUrl } from '../node-http/node.js';

/** Options of {@link probekitExpress}: the HTTP options of the contract. */
export type ProbekitExpressOptions = HttpOptions<Request>;

/**
 * An Express (4 or 5) router serving the probekit HTTP contract: GET and HEAD on `/live`, `/ready`, `/startup`
 * and `/<probe>/<name>`, exactly as the Fastify plugin does. Mount it with `app.use(router)` (or under a path).
 * The answer is written on the raw response (no ETag, no 304). For the graceful shutdown's drain, also call
 * `health.attach(server)`; for probes that skip the app's middleware, `health.attach(server, { serveProbes: true })`.
 * @throws InvalidOptionError for bad HTTP options, or when `health` is not a Health.
 */
export function probekitExpress(health: Health, options: ProbekitExpressOptions = {}): Router {
  if (!(health instanceof Health)) {
    throw new InvalidOptionError(`Expected \`health\` to be a Health created by createHealth(), got \`${showValue(health)}\``);
  }
  if (options === null || typeof options !== 'object') {
    throw new InvalidOptionError(
      `Expected the options of probekitExpress(health, options) to be an object, got \`${showValue(options)}\``,
    );
  }
  const http = normalizeHttpOptions<IncomingMessage>(options as HttpOptions<IncomingMessage>);
  const router = express.Router();
  // Lives as long as the app: its watch streams end when the shutdown drains.
  const endpoint = new Endpoint(health, http);
  // One middleware rather than one route per path: the probe paths are matched by the same code as the
  // node:http layer, so the two can not drift apart (and Express 4 and 5 path syntaxes do not matter).
  router.use((req: Request, res: Response, next: (err?: unknown) => void) => {
    const [path, search] = splitUrl(req.url);
    if (!handleProbe(endpoint, req, res, path, search)) next();
  });
  return router;
}

export default probekitExpress;
export { createHealth, Health } from '../health.js';
