// metricsHandler(): the same handler on node:http, Express 5 and Express 4; methods, HEAD, and a collect() of the
// app's own that throws (500, no error text).
import express5 from 'express';
import express4 from 'express4';
import Fastify from 'fastify';
import { Gauge, prometheusContentType, Registry } from 'prom-client';
import t from 'tap';
import probekit from '../../src/fastify/index.js';
import { healthMetrics, metricsHandler } from '../../src/metrics/index.js';
import { request } from '../helpers/http-client.js';
import { listen, quietHealth, steeredCheck } from './fixtures.js';

type Tap = Parameters<Parameters<typeof t.test>[0]>[0];

function metricsFor(t: Tap, registry?: Registry) {
  const health = quietHealth(t, { checks: [steeredCheck('db').check] });
  const m = healthMetrics(health, registry === undefined ? {} : { registry });
  t.teardown(() => m.close());
  return m;
}

t.test('node:http: GET, HEAD and other methods', async (t) => {
  const m = metricsFor(t);
  const handle = metricsHandler(m);
  const { base } = await listen(t, (req, res) => {
    if (req.url === '/metrics') return handle(req, res);
    res.writeHead(404).end();
  });
  const get = await request(base, '/metrics');
  t.equal(get.statusCode, 200);
  t.equal(get.headers['content-type'], prometheusContentType);
  t.equal(get.headers['cache-control'], 'no-store');
  t.equal(Number(get.headers['content-length']), Buffer.byteLength(get.body));
  t.equal(get.body, await m.text());
  t.match(get.body, /probekit_check_up\{check="db"\} 0/);

  const head = await request(base, '/metrics', { method: 'HEAD' });
  t.equal(head.statusCode, 200);
  t.equal(head.body, '');
  t.equal(head.headers['content-type'], prometheusContentType);

  for (const method of ['POST', 'PUT', 'DELETE']) {
    const r = await request(base, '/metrics', { method });
    t.equal(r.statusCode, 405, method);
    t.equal(r.headers.allow, 'GET, HEAD');
  }
});

for (const [label, make] of [
  ['Express 5', () => express5()],
  ['Express 4', () => express4()],
] as [string, () => express5.Express][]) {
  t.test(`${label}: app.get('/metrics', metricsHandler(m))`, async (t) => {
    const m = metricsFor(t);
    const app = make();
    app.get('/metrics', metricsHandler(m));
    const { base } = await listen(t, app);
    const r = await request(base, '/metrics');
    t.equal(r.statusCode, 200);
    t.equal(r.headers['content-type'], prometheusContentType);
    t.match(r.body, /# TYPE probekit_check_runs_total counter/);
    t.equal((await request(base, '/other')).statusCode, 404, 'routes nothing else');
  });
}

t.test('Fastify: a route that answers with text() and contentType (the README example)', async (t) => {
  const app = Fastify({ logger: false });
  await app.register(probekit, { checks: [steeredCheck('db').check], shutdown: false });
  const metrics = healthMetrics(app.health);
  app.get('/metrics', { logLevel: 'warn' }, async (_req, reply) => reply.type(metrics.contentType).send(await metrics.text()));
  app.addHook('onClose', async () => metrics.close());
  await app.ready();
  const r = await app.inject({ method: 'GET', url: '/metrics' });
  t.equal(r.statusCode, 200);
  t.equal(r.headers['content-type'], prometheusContentType);
  t.match(r.body, /probekit_check_runs_total\{check="db",result="success"\} 0/);
  const listeners = app.health.listenerCount('run');
  await app.close();
  t.equal(app.health.listenerCount('run'), listeners - 1, 'onClose: metrics.close() stopped listening');
  t.same(metrics.registry.getMetricsAsArray(), []);
});

t.test('a collect() of the app’s own that throws: 500 with a fixed line, and the next scrape works', async (t) => {
  const registry = new Registry();
  let broken = true;
  new Gauge({
    name: 'app_flaky',
    help: 'throws while broken',
    registers: [registry],
    collect() {
      if (broken) throw new Error('secret dsn postgres://u:p@db');
      this.set(1);
    },
  });
  const m = metricsFor(t, registry);
  const { base } = await listen(t, metricsHandler(m));
  const r = await request(base, '/');
  t.equal(r.statusCode, 500);
  t.equal(r.body, 'metrics collection failed\n');
  t.notMatch(r.body, /secret/);
  broken = false;
  const ok = await request(base, '/');
  t.equal(ok.statusCode, 200);
  t.match(ok.body, /app_flaky 1/);
});

t.test('metricsHandler() of something else throws an InvalidOptionError', async (t) => {
  for (const bad of [undefined, null, {}, { text: 'x', contentType: 'y' }]) {
    t.throws(() => metricsHandler(bad as never), { code: 'PROBEKIT_ERR_OPTION_INVALID' });
  }
});
