// Peer: @fastify/under-pressure's status route on `/ready`, its `healthCheck` running the same ten checks on
// every hit (`--checks free|slow`) and returning them, serialised through the route's response schema.
import underPressure from '@fastify/under-pressure';
import Fastify from 'fastify';
import { checkEntries, HOST, makeChecks, parseServerArgs, runAll, serve } from './common.js';

const { port, checks: mode } = parseServerArgs();
const checks = makeChecks(mode);
const result = { checks: checkEntries() };
const app = Fastify({ logger: false });
await app.register(underPressure, {
  exposeStatusRoute: {
    url: '/ready',
    routeOpts: {},
    routeResponseSchemaOpts: { checks: { type: 'object', additionalProperties: true } },
  },
  healthCheck: async () => {
    await runAll(checks);
    return result;
  },
});

await serve({
  listen: async () => {
    await app.listen({ host: HOST, port });
  },
  close: () => app.close(),
});
