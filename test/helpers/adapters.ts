// One registry served by each adapter in turn, on a real loopback listener: the Fastify plugin, the Express router
// (with the server attached for the drain, given the router's HTTP options) and the node:http layer. Each factory
// returns the base URL and closes everything in teardown.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import Fastify from 'fastify';
import { probekitExpress } from '../../src/express/index.js';
import probekit from '../../src/fastify/index.js';
import type { Health } from '../../src/health.js';
import type { HttpOptions } from '../../src/http/contract.js';

interface Teardown {
  teardown(fn: () => unknown): void;
}

/** Starts an adapter for `health` with `http` options; resolves with its base URL. */
export type ServeAdapter = (t: Teardown, health: Health, http: HttpOptions) => Promise<string>;

async function listen(t: Teardown, s: Server): Promise<string> {
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  t.teardown(() => {
    s.closeAllConnections();
    s.close();
  });
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

export const ADAPTERS: Record<'fastify' | 'express' | 'node:http', ServeAdapter> = {
  fastify: async (t, health, http) => {
    const app = Fastify({ logger: false });
    await app.register(probekit, { health, ...http });
    t.teardown(() => app.close());
    return app.listen({ port: 0, host: '127.0.0.1' });
  },
  express: async (t, health, http) => {
    const app = express();
    app.use(probekitExpress(health, http));
    const server = createServer(app);
    // The same paths as the router, as the README says: the adaptive shutdown delay then tells its probes from traffic.
    health.attach(server, http);
    health.start();
    return listen(t, server);
  },
  'node:http': async (t, health, http) => {
    const server = createServer((_req, res) => res.end('app'));
    health.attach(server, { serveProbes: true, ...http });
    health.start();
    return listen(t, server);
  },
};
