// The app of bench/watch-soak.ts: Fastify with probekit and one check; on an IPC message it collects garbage and
// answers with the registry's listener count and the heap in use.
import Fastify from 'fastify';
import probekit from 'probekit/fastify';

const app = Fastify({ logger: false });
await app.register(probekit, {
  shutdown: false,
  logger: { info() {}, warn() {}, error() {}, debug() {} },
  checks: [{ name: 'db', interval: 100, timeout: 50, run: async () => {} }],
});
await app.listen({ port: 0, host: '127.0.0.1' });
process.on('message', () => {
  (globalThis as { gc?: () => void }).gc?.();
  const listeners = app.health.listenerCount('run') + app.health.listenerCount('change');
  process.send?.({ listeners, heap: process.memoryUsage().heapUsed / 1024 / 1024 });
});
process.stdout.write(`${JSON.stringify({ port: (app.server.address() as { port: number }).port })}\n`);
