// probekit's Fastify plugin with ten registered checks (`--checks free|slow|hang|soak`); the runner loads `/ready`.
import Fastify from 'fastify';
import probekit from 'probekit/fastify';
import { HOST, makeChecks, parseServerArgs, serve } from './common.js';

const { port, checks } = parseServerArgs();
const app = Fastify({ logger: false });
// No graceful shutdown: the runner stops the server with SIGTERM and wants it gone at once.
await app.register(probekit, { checks: makeChecks(checks), shutdown: false });

await serve({
  listen: async () => {
    await app.listen({ host: HOST, port });
  },
  close: () => app.close(),
});
