import type { IncomingMessage, ServerResponse } from 'node:http';
import { InvalidOptionError } from '../core/errors.js';
import type { HealthMetrics } from './metrics.js';

/**
 * A node:http request handler that serves {@link HealthMetrics.text}: for `createServer()`, inside your own routing,
 * and as an Express handler (`app.get('/metrics', metricsHandler(metrics))`; Express 4 and 5). It routes nothing
 * itself: mount it on the path you want.
 *
 * `GET` and `HEAD` answer 200 with the registry's `Content-Type`; any other method 405 with `Allow: GET, HEAD`.
 * If collecting fails (a metric of the app's own whose `collect()` throws) it answers 500 with a fixed line; the
 * error text is not sent. It never rejects.
 * @throws InvalidOptionError when `metrics` is not what {@link healthMetrics} returns.
 */
export function metricsHandler(metrics: HealthMetrics): (req: IncomingMessage, res: ServerResponse) => void {
  const m = metrics as unknown as Record<string, unknown> | null;
  if (m === null || typeof m !== 'object' || typeof m.text !== 'function' || typeof m.contentType !== 'string') {
    throw new InvalidOptionError('metricsHandler(): Expected what healthMetrics() returns');
  }
  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Length': 0 });
      res.end();
      return;
    }
    metrics.text().then(
      (body) => {
        if (res.headersSent || res.destroyed) return;
        res.writeHead(200, {
          'Content-Type': metrics.contentType,
          'Content-Length': Buffer.byteLength(body),
          'Cache-Control': 'no-store',
        });
        res.end(req.method === 'HEAD' ? undefined : body);
      },
      () => {
        if (res.headersSent || res.destroyed) return;
        const body = 'metrics collection failed\n';
        res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
        res.end(req.method === 'HEAD' ? undefined : body);
      },
    );
  };
}
