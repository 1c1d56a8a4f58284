// Baseline: a bare Fastify route answering a static body of the size and headers of probekit's `/ready`.
import Fastify from 'fastify';
import { HOST, JSON_BODY, JSON_HEADERS, parseServerArgs, serve } from './common.js';

const { port } = parseServerArgs();
const app = Fastify({ logger: false });
app.get('/ready', (_request, reply) => reply.code(200).headers(JSON_HEADERS).send(JSON_BODY));

await serve({
  listen: async () => {
    await app.listen({ host: HOST, port });
  },
  close: () => app.close(),
});
