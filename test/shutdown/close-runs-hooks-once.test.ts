// The cleanup hooks run once however the end comes: app.close() runs them as a signal would, a shutdown that closes
// the app does not run them again from onClose, and health.close() on a bare registry runs them once.
import Fastify from 'fastify';
import t from 'tap';
import probekit from '../../src/fastify/index.js';
import { createHealth } from '../../src/health.js';
import { recordingLogger } from '../helpers/logger.js';

t.test('app.close() runs the cleanup hooks once, as a signal would', async (t) => {
  const listeners = process.listenerCount('SIGTERM');
  const app = Fastify({ logger: false });
  await app.register(probekit, { shutdown: { exit: false }, logger: recordingLogger() });
  let runs = 0;
  app.health.onShutdown(() => {
    runs++;
  }, 'pool');
  await app.ready();
  await app.close();
  t.equal(runs, 1, 'the hook ran on app.close()');
  t.notOk(app.health.isRunning, 'the checks stopped');
  t.equal(process.listenerCount('SIGTERM'), listeners, 'no signal listener left behind');
});

t.test('a shutdown that closes the app runs the hooks once, not again from onClose', async (t) => {
  const app = Fastify({ logger: false });
  await app.register(probekit, { shutdown: { exit: false }, logger: recordingLogger() });
  let runs = 0;
  let closed = 0;
  app.health.onShutdown(() => {
    runs++;
  }, 'pool');
  app.addHook('onClose', async () => {
    closed++;
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const result = await app.health.shutdown('test');
  t.equal(result.code, 0);
  t.equal(runs, 1, 'the hook ran once');
  t.equal(closed, 1, "the app's own onClose ran once");
  await app.close();
  t.equal(runs, 1, 'a later app.close() does not run it again');
});

t.test('health.close() on a bare registry runs the hooks once and stops the checks', async (t) => {
  const health = createHealth({ shutdown: false, logger: recordingLogger() });
  let runs = 0;
  health.onShutdown(() => {
    runs++;
  });
  health.start();
  await health.close();
  await health.close();
  t.equal(runs, 1);
  t.notOk(health.isRunning);
});
