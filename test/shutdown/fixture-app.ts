// An app for the shutdown tests, on Fastify, Express or plain node:http (FRAMEWORK: fastify, express, node), with
// cleanup hooks that behave as told by env, served on PORT through the adapters of test/helpers/adapters.ts. Express
// has the probes answered in front of the app (the node:http layer), or with EXPRESS_ROUTER=1 by the probekit router,
// the server attached for the drain only. It logs how many connections are still open when the drain begins.
import type { Server } from 'node:http';
import express, { type Express } from 'express';
import Fastify from 'fastify';
import { createHealth, type Health } from '../../src/health.js';
import { serve } from '../helpers/adapters.js';

const env = process.env;
const shutdown = {
  delay: Number(env.SHUTDOWN_DELAY ?? 0),
  timeout: Number(env.SHUTDOWN_TIMEOUT ?? 25_000),
  hookTimeout: Number(env.HOOK_TIMEOUT ?? 5000),
};
const checks = [{ name: 'ok', run: async () => {}, interval: 1000 }];
const port = Number(env.PORT);

/** Added before the server is attached, so that its drain runs first and sees the connections left by the delay. */
function countAtDrain(health: Health, server: Server) {
  health.addDrainTarget({
    drain: () =>
      new Promise<void>((resolve) => {
        server.getConnections((_err, openAtDrain) => {
          health.logger.info({ openAtDrain }, 'fixture: connections open when the drain began');
          resolve();
        });
      }),
    destroy: () => {},
    openWork: () => ({ requests: [], connections: 0 }),
  });
}

function hooks(health: Health) {
  health.onShutdown(() => health.logger.info({ hook: 'first' }, 'hook first ran'), 'first-registered');
  if (env.HANG_HOOK === '1') health.onShutdown(() => new Promise(() => {}), 'hanging-hook');
  if (env.THROW_HOOK === '1') {
    health.onShutdown(() => {
      throw new Error('hook blew up');
    }, 'throwing-hook');
  }
  health.onShutdown(() => health.logger.info({ hook: 'last' }, 'hook last ran'), 'last-registered');
}

const drainCounter = (health: Health) => (server: Server) => countAtDrain(health, server);

if (env.FRAMEWORK === 'node') {
  const health = createHealth({ checks, shutdown });
  const body = JSON.stringify({ hello: 'world' });
  hooks(health);
  await serve('node:http', health, {
    port,
    handler: (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    },
    beforeAttach: drainCounter(health),
  });
} else if (env.FRAMEWORK === 'express') {
  const health = createHealth({ checks, shutdown });
  const routes = (app: Express) => {
    app.get('/', (_req, res) => {
      res.json({ hello: 'world' });
    });
    app.get('/slow', (req, res) => {
      setTimeout(() => res.json({ slow: true }), Number(req.query.ms ?? 2000));
    });
  };
  hooks(health);
  if (env.EXPRESS_ROUTER === '1') {
    await serve('express', health, { port, express: routes, beforeAttach: drainCounter(health) });
  } else {
    // The node:http layer answers the probes in front of the Express app.
    const app = express();
    routes(app);
    await serve('node:http', health, { port, handler: app, beforeAttach: drainCounter(health) });
  }
} else {
  const app = Fastify({ logger: { level: 'info' } });
  const health = createHealth({ checks, shutdown, logger: app.log.child({ plugin: 'probekit' }) });
  app.get('/', async () => ({ hello: 'world' }));
  app.get('/slow', async (req) => {
    await new Promise((r) => setTimeout(r, Number((req.query as { ms?: string }).ms ?? 2000)));
    return { slow: true };
  });
  hooks(health);
  await serve('fastify', health, { port, fastify: app, beforeAttach: drainCounter(health) });
}
