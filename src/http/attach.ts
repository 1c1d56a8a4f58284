import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { InvalidOptionError } from '../core/errors.js';
import type { Health } from '../core/health.js';
import { type HttpOptions, normalizeHttpOptions } from './contract.js';
import { ServerTracker } from './drain.js';
import { handleProbe, splitUrl } from './node.js';

/** Options of `health.attach(server, options)`. */
export interface AttachOptions extends HttpOptions<IncomingMessage> {
  /** Answer the probe paths on the server's `request` event, before the app (Express, ...) sees them. Default false. */
  serveProbes?: boolean;
}

type Listener = (...args: unknown[]) => void;

/**
 * Follows `server` for the drain and, with `serveProbes`, puts the probe answers in front of its request handlers:
 * the handlers present now are taken off and called only for requests that are not probes.
 * @throws InvalidOptionError for something that is not a server, or bad HTTP options.
 */
export function attachServer(health: Health, server: Server, options: AttachOptions): { tracker: ServerTracker; detach(): void } {
  if (server === null || typeof server !== 'object' || typeof (server as Server).listeners !== 'function') {
    throw new InvalidOptionError('Expected `server` to be a node:http or node:https server');
  }
  const http = options.serveProbes === true ? normalizeHttpOptions<IncomingMessage>(options) : undefined;
  const tracker = new ServerTracker(server);
  if (http === undefined) return { tracker, detach: () => tracker.detach() };
  const app = server.listeners('request') as Listener[];
  for (const l of app) server.removeListener('request', l);
  const dispatch = (req: IncomingMessage, res: ServerResponse) => {
    const [path, search] = splitUrl(req.url);
    if (handleProbe(health, http, req, res, path, search)) return;
    for (const l of app) l.call(server, req, res);
  };
  server.on('request', dispatch);
  return {
    tracker,
    detach: () => {
      server.removeListener('request', dispatch);
      for (const l of app) server.on('request', l);
      tracker.detach();
    },
  };
}
