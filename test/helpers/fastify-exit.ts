// Child process of test/contract/fastify.test.ts: a Fastify app with probekit and a few checks (one of them hung,
// ignoring its signal), serving one request, then app.close(). The process must then exit on its own, code 0:
// no timer, socket or signal listener of probekit may keep it alive. It never calls process.exit.
import Fastify from 'fastify';
import { eventLoopCheck } from '../../plugins/event-loop.js';
import { httpCheck } from '../../plugins/http.js';
import { tcpCheck } from '../../plugins/tcp.js';
import probekit from '../../src/fastify/index.js';
import { request } from './http-client.js';
import { startUpstream } from './upstream.js';
import { waitFor } from './wait.js';

const upstream = await startUpstream((_req, res) => {
  res.end('ok');
});
const app = Fastify({ logger: false });
await app.register(probekit, {
  checks: [
    eventLoopCheck({ interval: 200 }),
    httpCheck({ name: 'upstream', url: upstream.origin, expectBody: 'ok', interval: 200 }),
    tcpCheck({ name: 'tcp', host: '127.0.0.1', port: upstream.port, interval: 200 }),
    { name: 'hung', interval: 200, timeout: 50, run: () => new Promise<void>(() => {}) },
  ],
});
const address = await app.listen({ port: 0, host: '127.0.0.1' });
await waitFor(() => app.health.snapshot().checks.hung?.error === 'previous run still pending', 'the hung check to be pending');
await waitFor(() => app.health.snapshot().checks.upstream?.status === 'pass', 'the upstream check to pass');
const res = await request(address, '/ready?verbose');
process.stdout.write(`status ${res.statusCode}\n${res.body}`);
await app.close();
await upstream.close();
process.stdout.write('closed\n');
