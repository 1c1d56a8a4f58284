// The Fastify plugin's `metrics` option: `/metrics` from the app's own registry, on a prom-client registry of its own.
import Fastify from 'fastify';
import { register as globalRegistry, Registry } from 'prom-client';
import t from 'tap';
import probekit from '../../src/fastify/index.js';
import { recordingLogger } from '../helpers/logger.js';
import { waitFor } from '../helpers/wait.js';

const checks = [{ name: 'db', interval: 60_000, timeout: 1000, run: async () => {} }];

t.test('metrics: true serves /metrics, never on the global registry', async (t) => {
  const before = (await globalRegistry.getMetricsAsJSON()).length;
  const app = Fastify({ logger: false });
  await app.register(probekit, { checks, shutdown: false, logger: recordingLogger(), metrics: true });
  t.teardown(() => app.close());
  await app.ready();
  await waitFor(() => app.health.snapshot().checks.db?.status === 'pass', 'db to pass');
  const r = await app.inject('/metrics');
  t.equal(r.statusCode, 200);
  t.match(r.headers['content-type'], /^text\/plain/);
  t.match(r.body, /^probekit_check_up\{check="db"\} 1$/m);
  t.match(r.body, /^probekit_probe_up\{probe="ready"\} 1$/m);
  t.equal((await globalRegistry.getMetricsAsJSON()).length, before, 'the global registry is untouched');
  t.equal((await app.inject({ method: 'HEAD', url: '/metrics' })).statusCode, 200);
});

t.test('metrics: { path, registry, prefix }; bad values make app.ready() reject', async (t) => {
  const registry = new Registry();
  const app = Fastify({ logger: false });
  await app.register(probekit, {
    checks,
    shutdown: false,
    logger: recordingLogger(),
    metrics: { path: '/m', registry, prefix: 'shop_' },
  });
  await app.ready();
  await waitFor(() => app.health.snapshot().checks.db?.status === 'pass', 'db to pass');
  t.match((await app.inject('/m')).body, /^shop_check_up\{check="db"\} 1$/m);
  t.match(await registry.metrics(), /shop_check_up/, 'on the given registry');
  await app.close();
  t.notMatch(await registry.metrics(), /shop_check_up/, 'closing the app removes the series');
  for (const bad of [{ path: 'metrics' }, 'yes', { prefix: 'bad' }]) {
    const b = Fastify({ logger: false });
    void b.register(probekit, { checks, shutdown: false, logger: recordingLogger(), metrics: bad as never });
    await t.rejects(
      async () => {
        await b.ready();
      },
      { code: 'PROBEKIT_ERR_OPTION_INVALID' },
      JSON.stringify(bad),
    );
    await b.close().catch(() => {});
  }
});
