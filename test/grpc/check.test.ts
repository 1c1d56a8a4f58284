// Check and List through grpc-js's own client, on a real server: the built-in names follow the probes, mapped names
// follow their checks with readiness's gates, warn serves, unknown follows each probe's HTTP rule, NOT_FOUND, the
// List limit, and the Fastify plugin's app.health used the same way.
import * as grpc from '@grpc/grpc-js';
import Fastify from 'fastify';
import t from 'tap';
import probekit from '../../src/fastify/index.js';
import { LIST_LIMIT } from '../../src/grpc/attachment.js';
import { grpcHealth } from '../../src/grpc/index.js';
import { waitFor } from '../helpers/wait.js';
import { client, flag, registry, serve } from './harness.js';

const SERVING = { status: 'SERVING' };
const NOT_SERVING = { status: 'NOT_SERVING' };

t.test('built-in names follow /ready, /live and /startup; mapped names follow their checks', async (t) => {
  const db = flag('db');
  const kafka = flag('kafka');
  const heart = flag('heart', { probes: ['live'] });
  const health = registry(t, [db.check, kafka.check, heart.check]);
  const s = await serve(t, health, { services: { 'shop.Orders': ['db'], 'shop.Events': ['kafka'], 'shop.Alive': 'live' } });
  const c = client(t, s.address);

  t.same(await c.check(''), NOT_SERVING, 'before start: startup not complete, so not ready');
  t.same(await c.check('liveness'), SERVING, 'liveness serves before any result, as /live answers 200');
  t.same(await c.check('startup'), NOT_SERVING);
  health.start();
  await waitFor(() => s.grpc.status('') === 'SERVING', 'the whole server to serve');
  for (const name of ['', 'readiness', 'liveness', 'startup', 'shop.Orders', 'shop.Events', 'shop.Alive']) {
    t.same(await c.check(name), SERVING, `${JSON.stringify(name)} serves`);
  }

  kafka.control.ok = false;
  await waitFor(() => s.grpc.status('shop.Events') === 'NOT_SERVING', 'kafka to fail');
  t.same(await c.check('shop.Events'), NOT_SERVING, 'the service mapped to kafka');
  t.same(await c.check('shop.Orders'), SERVING, 'the service mapped to db only still serves');
  t.same(await c.check(''), NOT_SERVING, 'the whole server follows /ready');
  t.same(await c.check('readiness'), NOT_SERVING);
  t.same(await c.check('liveness'), SERVING, 'a readiness check does not touch liveness');
  t.same(await c.check('startup'), SERVING, 'startup, once passed, stays passed');
  t.equal(health.report('ready').statusCode, 503, 'the same answer as HTTP');

  heart.control.ok = false;
  await waitFor(() => s.grpc.status('liveness') === 'NOT_SERVING', 'liveness to fail');
  t.same(await c.check('shop.Alive'), NOT_SERVING, 'a service mapped to live follows /live');
  heart.control.ok = true;
  kafka.control.ok = true;
  await waitFor(() => s.grpc.status('') === 'SERVING' && s.grpc.status('liveness') === 'SERVING', 'recovery');
  t.same(await c.check('shop.Events'), SERVING);
});

t.test('holds turn readiness and every mapped service NOT_SERVING; liveness stays', async (t) => {
  const db = flag('db');
  const health = registry(t, [db.check]);
  const s = await serve(t, health, { services: { 'shop.Orders': ['db'], 'shop.Alive': 'live' } });
  const c = client(t, s.address);
  health.start();
  await waitFor(() => s.grpc.status('') === 'SERVING', 'ready');
  const release = health.hold('warming cache');
  for (const name of ['', 'readiness', 'shop.Orders']) t.same(await c.check(name), NOT_SERVING, `${JSON.stringify(name)} held`);
  for (const name of ['liveness', 'startup', 'shop.Alive'])
    t.same(await c.check(name), SERVING, `${JSON.stringify(name)} not held`);
  release();
  t.same(await c.check('shop.Orders'), SERVING, 'released at once');
});

t.test('a failing non-critical check warns and serves; an unknown check follows each probe', async (t) => {
  const cache = flag('cache', { critical: false });
  const slow = flag('slow', { interval: 60_000, timeout: 30_000 });
  slow.check.run = () => new Promise(() => {}); // never settles: stays unknown for this test
  const health = registry(t, [cache.check]);
  const s = await serve(t, health, { services: { 'shop.Cache': ['cache'], 'shop.Slow': ['slow'], 'shop.Ghost': ['ghost'] } });
  const c = client(t, s.address);
  health.start();
  await waitFor(() => s.grpc.status('') === 'SERVING', 'ready');
  cache.control.ok = false;
  await waitFor(() => health.evaluate('ready') === 'warn', 'the warn');
  t.same(await c.check(''), SERVING, 'warn is SERVING, as /ready answers 200');
  t.same(await c.check('shop.Cache'), SERVING, 'also for a service mapped to the warning check');
  t.same(await c.check('shop.Ghost'), NOT_SERVING, 'a check that is not registered counts as failing');
  health.register(slow.check);
  await waitFor(() => s.grpc.status('') === 'NOT_SERVING', 'the registration to reach the table');
  t.same(await c.check(''), NOT_SERVING, 'a critical check with no result yet fails readiness');
  t.same(await c.check('shop.Slow'), NOT_SERVING);
  t.same(await c.check('liveness'), SERVING, 'unknown passes liveness');
});

t.test('an unknown service is NOT_FOUND; services can be added and removed later', async (t) => {
  const health = registry(t, [flag('db').check]);
  const s = await serve(t, health);
  const c = client(t, s.address);
  health.start();
  t.same(await c.check('shop.Orders'), { code: grpc.status.NOT_FOUND, details: 'unknown service' });
  s.grpc.setService('shop.Orders', ['db']);
  await waitFor(() => s.grpc.status('shop.Orders') === 'SERVING', 'db to pass');
  t.same(await c.check('shop.Orders'), SERVING);
  s.grpc.removeService('shop.Orders');
  t.same(await c.check('shop.Orders'), { code: grpc.status.NOT_FOUND, details: 'unknown service' });
});

t.test('List: every known service with its status; RESOURCE_EXHAUSTED above 100 services', async (t) => {
  const db = flag('db');
  const health = registry(t, [db.check]);
  const s = await serve(t, health, { services: { 'shop.Orders': ['db'] } });
  const c = client(t, s.address);
  health.start();
  await waitFor(() => s.grpc.status('') === 'SERVING', 'ready');
  t.same(await c.list(), {
    statuses: { '': 'SERVING', liveness: 'SERVING', readiness: 'SERVING', startup: 'SERVING', 'shop.Orders': 'SERVING' },
  });
  db.control.ok = false;
  await waitFor(() => s.grpc.status('shop.Orders') === 'NOT_SERVING', 'db to fail');
  t.match(await c.list(), { statuses: { '': 'NOT_SERVING', liveness: 'SERVING', 'shop.Orders': 'NOT_SERVING' } });
  const fill = LIST_LIMIT - s.grpc.serviceNames.length;
  for (let i = 0; i < fill; i++) s.grpc.setService(`svc.N${i}`, 'live');
  t.equal(s.grpc.serviceNames.length, 100);
  const full = await c.list();
  t.equal(Object.keys((full as { statuses: object }).statuses).length, 100, 'exactly 100 are listed');
  s.grpc.setService('svc.TooMany', 'live');
  t.same(await c.list(), { code: grpc.status.RESOURCE_EXHAUSTED, details: 'too many services to list' }, '101');
  t.same(await c.check('svc.TooMany'), SERVING, 'Check still answers');
});

t.test('the Fastify plugin and createHealth users get it the same way: grpcHealth(app.health)', async (t) => {
  const db = flag('db');
  const app = Fastify({ logger: false });
  await app.register(probekit, { checks: [db.check], shutdown: false });
  t.teardown(() => app.close());
  const s = await serve(t, app.health, { services: { 'shop.Orders': ['db'] } });
  const c = client(t, s.address);
  await app.ready();
  await waitFor(() => s.grpc.status('') === 'SERVING', 'ready');
  t.same(await c.check('shop.Orders'), SERVING);
  const release = app.health.hold('migrating');
  t.same(await c.check(''), NOT_SERVING);
  t.equal((await app.inject('/ready')).statusCode, 503, 'HTTP agrees');
  release();
  t.same(await c.check(''), SERVING);
});

t.test('addToServer: once per server; the returned function takes the service off again', async (t) => {
  const health = registry(t, []);
  const s = await serve(t, health);
  t.throws(() => s.grpc.addToServer(s.server), {
    name: 'InvalidOptionError',
    message: /has the probekit health service already/,
  });
  const other = grpcHealth(health);
  t.throws(() => other.addToServer(s.server), /already provided/, 'grpc-js refuses a second health service');
  const c = client(t, s.address);
  health.start();
  await waitFor(() => s.grpc.status('') === 'SERVING', 'ready');
  t.same(await c.check(''), SERVING);
  s.detach();
  s.detach();
  t.match(await c.check(''), { code: grpc.status.UNIMPLEMENTED }, 'the service is gone');
  const again = s.grpc.addToServer(s.server);
  t.same(await c.check(''), SERVING, 'and can be added again');
  again();
});
