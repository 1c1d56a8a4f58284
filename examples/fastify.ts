// The demo: `npm run demo`, then try
//   curl -i localhost:3000/ready
//   curl 'localhost:3000/ready?verbose'
//   curl -X POST localhost:3000/demo/upstream/down   (the HTTP check fails after 3 runs; /ready answers 503)
//   curl -X POST localhost:3000/demo/upstream/up
//   curl -N localhost:3000/ready?watch               (Server-Sent Events: one event per change)
//   open http://localhost:3000/health                 (the status page)
// It needs no database: liveness watches the event loop, readiness an HTTP upstream the demo starts itself.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { eventLoopCheck } from 'probekit/event-loop';
import probekit from 'probekit/fastify';
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

const app = Fastify({ logger: { level: process.env.LOG_LEVEL ?? 'info' } });
await app.register(probekit, {
  checks: [
    eventLoopCheck({ maxDelayMs: 500, interval: 1000 }),
    httpCheck({ name: 'upstream', url: upstreamUrl, expectBody: 'ok', interval: 1000, timeout: 500 }),
  ],
  // Error text only for local callers: health URLs are often public.
  details: (request) => request.ip === '127.0.0.1' || request.ip === '::1',
  // The HTML status page at /health, live through /health?watch.
  statusPage: true,
  shutdown: {
    // A number of ms, or the adaptive form as JSON: SHUTDOWN_DELAY='{"min":1000,"max":10000,"quiet":1000}'.
    delay: delayFromEnv(process.env.SHUTDOWN_DELAY),
    timeout: Number(process.env.SHUTDOWN_TIMEOUT ?? 25_000),
  },
});
app.get('/', async () => ({ hello: 'world' }));
app.get('/slow', async (request) => {
  const ms = Math.min(Number((request.query as { ms?: string }).ms ?? 2000), 30_000);
  await new Promise((resolve) => setTimeout(resolve, ms));
  return { waited: ms };
});
app.post('/demo/upstream/down', async () => {
  upstreamHealthy = false;
  return { upstream: 'down' };
});
app.post('/demo/upstream/up', async () => {
  upstreamHealthy = true;
  return { upstream: 'up' };
});
app.addHook('onClose', async () => {
  upstream.close();
});
await app.listen({ port: Number(process.env.PORT ?? 3000), host: process.env.HOST ?? '127.0.0.1' });
