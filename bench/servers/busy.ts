// The overload scenario's app: one CPU-bound route (`GET /work`, 20 ms of synchronous work per request) and a
// liveness probe, served by `--kind`:
//   probekit          probekit's Fastify plugin, /live on the app's own server (the main thread answers)
//   probekit-worker   the same app with `probeServer` on `--probe-port` (a worker thread answers)
//   terminus          @godaddy/terminus on node:http, `healthChecks: { '/live': fn }`
//   under-pressure    @fastify/under-pressure's status route on /live (no thresholds set)
//   lightship         lightship's own server on `--probe-port` (/live), in the app's thread
import { createServer } from 'node:http';
import underPressure from '@fastify/under-pressure';
import { createTerminus } from '@godaddy/terminus';
import Fastify from 'fastify';
import { createLightship } from 'lightship';
import probekit from 'probekit/fastify';
import { HOST, nodeLifecycle, serve } from './common.js';

const KINDS = ['probekit', 'probekit-worker', 'terminus', 'under-pressure', 'lightship'] as const;

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? undefined : process.argv[i + 1];
}

const port = Number(arg('port'));
const kind = arg('kind') as (typeof KINDS)[number];
const probePort = Number(arg('probe-port') ?? 0);
if (!Number.isInteger(port) || !KINDS.includes(kind)) {
  process.stderr.write(`busy server: expected --port <n> --kind ${KINDS.join('|')} [--probe-port <n>]\n`);
  process.exit(2);
}

/** 20 ms of synchronous work: the event loop does nothing else meanwhile. */
function spin(): string {
  const until = performance.now() + 20;
  while (performance.now() < until) {
    // Busy on purpose.
  }
  return 'done';
}

if (kind === 'terminus') {
  const server = createServer((req, res) => {
    if (req.url === '/work') res.end(spin());
    else res.writeHead(404).end();
  });
  createTerminus(server, { healthChecks: { '/live': async () => ({}) }, signals: ['SIGUSR2'] });
  await serve(nodeLifecycle(server, port));
} else if (kind === 'lightship') {
  const server = createServer((req, res) => {
    if (req.url === '/work') res.end(spin());
    else res.writeHead(404).end();
  });
  // Its own server on its own port, as lightship is meant to run, but in the app's thread.
  const lightship = await createLightship({ port: probePort, detectKubernetes: false, signals: [] });
  const lifecycle = nodeLifecycle(server, port);
  await serve({
    listen: async () => {
      await lifecycle.listen();
      lightship.signalReady();
    },
    close: async () => {
      await lightship.shutdown();
      await lifecycle.close();
    },
  });
} else {
  const app = Fastify({ logger: false });
  if (kind === 'under-pressure') {
    await app.register(underPressure, { exposeStatusRoute: '/live' });
  } else {
    await app.register(probekit, {
      checks: [{ name: 'dep', interval: 1000, run: async () => {} }],
      shutdown: false,
      ...(kind === 'probekit-worker' && { probeServer: { port: probePort, host: HOST } }),
    });
  }
  app.get('/work', async () => spin());
  await serve({
    listen: async () => {
      await app.listen({ host: HOST, port });
      await app.health?.probeServer?.listening;
    },
    close: () => app.close(),
  });
}
