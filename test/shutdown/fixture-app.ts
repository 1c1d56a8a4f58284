// An app for the shutdown tests, on Fastify, Express or plain node:http (FRAMEWORK: fastify, express, node), with
// cleanup hooks that behave as told by env. Express serves the probes below the app (attach with serveProbes), or
// with EXPRESS_ROUTER=1 through the probekit router, the server attached for the drain only. It logs how many connections are still open when the drain begins.
import { createServer, type Server } from 'node:http';
import express from 'express';
import Fastify from 'fastify';
import { probekitExpress } from '../../src/express/index.js';
import probekit from '../../src/fastify/index.js';
import { createHealth } from '../../src/health.js';

const env = process.env;
const shutdown = {
  delay: Number(env.SHUTDOWN_DELAY ?? 0),
  timeout: Number(env.SHUTDOWN_TIMEOUT ?? 25_000),
  hookTimeout: Number(env.HOOK_TIMEOUT ?? 5000),
};
const checks = [{ name: 'ok', run: async () => {}, interval: 1000 }];
const port = Number(env.PORT);

/** Added before the server is attached, so that its drain runs first and sees the connections left by the delay. */
function countAtDrain(health: ReturnType<typeof createHealth>, server: Server) {
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

function hooks(health: ReturnType<typeof createHealth>) {
  health.onShutdown(() => health.logger.info({ hook: 'first' }, 'hook first ran'), 'first-registered');
  if (env.HANG_HOOK === '1') health.onShutdown(() => new Promise(() => {}), 'hanging-hook');
  if (env.THROW_HOOK === '1') {
    health.onShutdown(() => {
      throw new Error('hook blew up');
    }, 'throwing-hook');
  }
  health.onShutdown(() => health.logger.info({ hook: 'last' }, 'hook last ran'), 'last-registered');
}

if (env.FRAMEWORK === 'node') {
  const health = createHealth({ checks, shutdown });
  const body = JSON.stringify({ hello: 'world' });
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end(body);
  });
  countAtDrain(health, server);
  health.attach(server, { serveProbes: true });
  hooks(health);
  health.start();
  server.listen(port, '127.0.0.1');
} else if (env.FRAMEWORK === 'express') {
  const health = createHealth({ checks, shutdown });
  const app = express();
  if (env.EXPRESS_ROUTER === '1') app.use(probekitExpress(health));
  app.get('/', (_req, res) => {
    res.json({ hello: 'world' });
  });
  app.get('/slow', (req, res) => {
    setTimeout(() => res.json({ slow: true }), Number(req.query.ms ?? 2000));
  });
  const server = createServer(app);
  countAtDrain(health, server);
  health.attach(server, { serveProbes: env.EXPRESS_ROUTER !== '1' });
  hooks(health);
  health.start();
  server.listen(port, '127.0.0.1');
} else {
  const app = Fastify({ logger: { level: 'info' } });
  const health = createHealth({ checks, shutdown, logger: app.log.child({ plugin: 'probekit' }) });
  countAtDrain(health, app.server);
  await app.register(probekit, { health });
  app.get('/', async () => ({ hello: 'world' }));
  app.get('/slow', async (req) => {
    await new Promise((r) => setTimeout(r, Number((req.query as { ms?: string }).ms ?? 2000)));
    return { slow: true };
  });
  hooks(app.health);
  await app.listen({ port, host: '127.0.0.1' });
}
