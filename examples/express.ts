// The Express demo: `npm run demo:express` (port 3000). The same probes as the Fastify demo, served by
// `health.attach(server, { serveProbes: true })` below the Express stack (set PROBES=router to mount the
// Express router instead), and the same graceful shutdown on SIGTERM.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { createHealth } from 'probekit';
import { eventLoopCheck } from 'probekit/event-loop';
import { probekitExpress } from 'probekit/express';
import { httpCheck } from 'probekit/http';

function delayFromEnv(value: string | undefined) {
  return value?.startsWith('{') ? (JSON.parse(value) as { min?: number; max?: number; quiet?: number }) : Number(value ?? 0);
}

let upstreamHealthy = true;
const upstream = createServer((_req, res) => {
  res.writeHead(upstreamHealthy ? 200 : 500, { 'content-type': 'text/plain' }).end(upstreamHealthy ? 'ok' : 'down');
});
await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
const upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/health`;

const health = createHealth({
  checks: [
    eventLoopCheck({ maxDelayMs: 500, interval: 1000 }),
    httpCheck({ name: 'upstream', url: upstreamUrl, expectBody: 'ok', interval: 1000, timeout: 500 }),
  ],
  shutdown: {
    // A number of ms, or the adaptive form as JSON: SHUTDOWN_DELAY='{"min":1000,"max":10000,"quiet":1000}'.
    delay: delayFromEnv(process.env.SHUTDOWN_DELAY),
    timeout: Number(process.env.SHUTDOWN_TIMEOUT ?? 25_000),
  },
});

const app = express();
const details = (req: { socket: { remoteAddress?: string | undefined } }) =>
  req.socket.remoteAddress === '127.0.0.1' || req.socket.remoteAddress === '::1';
if (process.env.PROBES === 'router') app.use(probekitExpress(health, { details }));
app.get('/', (_req, res) => {
  res.json({ hello: 'world' });
});
app.get('/slow', (req, res) => {
  const ms = Math.min(Number(req.query.ms ?? 2000), 30_000);
  setTimeout(() => res.json({ waited: ms }), ms);
});
app.post('/demo/upstream/down', (_req, res) => {
  upstreamHealthy = false;
  res.json({ upstream: 'down' });
});
app.post('/demo/upstream/up', (_req, res) => {
  upstreamHealthy = true;
  res.json({ upstream: 'up' });
});

const server = createServer(app);
health.attach(server, { serveProbes: process.env.PROBES !== 'router', details });
health.onShutdown(() => upstream.close(), 'upstream');
health.start();
server.listen(Number(process.env.PORT ?? 3000), process.env.HOST ?? '127.0.0.1', () => {
  health.logger.info({ port: (server.address() as AddressInfo).port }, 'express demo listening');
});
