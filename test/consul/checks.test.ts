// The check Consul runs, end to end: the stand-in agent GETs `/ready` of a real Fastify app with the probekit plugin
// (`statusCodes: { warn: 429 }`), so a failing non-critical check reads as warning and a failing critical one as
// critical; and a gRPC check (grpc.health.v1.Health/Check on a grpc-js server) going passing and critical.
import * as grpc from '@grpc/grpc-js';
import Fastify from 'fastify';
import { HealthImplementation } from 'grpc-health-check';
import t from 'tap';
import { consulRegistration } from '../../src/consul/index.js';
import type { Check } from '../../src/core/types.js';
import probekit from '../../src/fastify/index.js';
import { recordingLogger } from '../helpers/logger.js';
import { waitFor } from '../helpers/wait.js';
import { startAgent } from './agent.js';
import { quietHealth, readBack, waitForCheck } from './helpers.js';

/** A check whose result the test sets. */
function flag(name: string, critical = true) {
  const control = { ok: true };
  const check: Check = {
    name,
    critical,
    interval: 50,
    failureThreshold: 1,
    run: async () => {
      if (!control.ok) throw new Error(`${name} down`);
    },
  };
  return { check, control };
}

t.test(
  'an HTTP check on /ready of a Fastify app: passing, warning (429) on a non-critical failure, critical, passing',
  async (t) => {
    const agent = await startAgent({ minInterval: 10 });
    t.teardown(() => agent.close());
    const db = flag('db');
    const cache = flag('cache', false);
    const app = Fastify({ logger: false });
    await app.register(probekit, {
      checks: [db.check, cache.check],
      statusCodes: { warn: 429 },
      logger: recordingLogger(),
      shutdown: { exit: false, signals: ['SIGUSR2'] },
    });
    t.teardown(() => app.close());
    await app.listen({ port: 0, host: '127.0.0.1' });
    const port = (app.server.address() as { port: number }).port;
    // Both checks have run once: /ready answers 200 from the agent's first run on, never an early 503 or 429.
    await waitFor(() => app.health.evaluate('ready') === 'pass', '/ready to pass');
    const reg = consulRegistration(app.health, {
      agent: agent.url,
      service: { name: 'shop', address: '127.0.0.1', port, tags: ['fastify'] },
      check: {
        http: `http://127.0.0.1:${port}/ready`,
        interval: '300ms',
        timeout: '250ms',
        deregisterCriticalServiceAfter: '1m',
      },
    });
    await reg.ready();
    t.match(agent.received('/v1/agent/service/register')[0]?.body, { Check: { HTTP: `http://127.0.0.1:${port}/ready` } });

    await waitForCheck(agent, 'shop', 'shop', 'passing');
    cache.control.ok = false;
    await waitForCheck(agent, 'shop', 'shop', 'warning');
    const [warned] = await readBack(agent, 'shop');
    t.match(warned?.Checks.find((c) => c.CheckID === 'service:shop')?.Output, /: 429 Too Many Requests Output: /);
    db.control.ok = false;
    await waitForCheck(agent, 'shop', 'shop', 'critical');
    const [failed] = await readBack(agent, 'shop');
    t.match(failed?.Checks.find((c) => c.CheckID === 'service:shop')?.Output, /: 503 Service Unavailable Output: /);
    // One at a time, so that each step has one answer: the critical check first (503 -> 429), then the other (200).
    db.control.ok = true;
    await waitForCheck(agent, 'shop', 'shop', 'warning');
    cache.control.ok = true;
    await waitForCheck(agent, 'shop', 'shop', 'passing');
    const statuses = agent.timeline.filter((e) => e.id === 'shop').map((e) => e.status);
    t.same(statuses, ['critical', 'passing', 'warning', 'critical', 'warning', 'passing'], 'new checks start critical');

    // The app closing itself runs the cleanup hooks, and the registration's hook deregisters.
    await app.close();
    t.same(await readBack(agent, 'shop'), []);
    t.equal(reg.state, 'deregistered');
  },
);

t.test('a gRPC check: grpc.health.v1.Health/Check, SERVING passing, anything else critical', async (t) => {
  const agent = await startAgent({ minInterval: 10 });
  t.teardown(() => agent.close());
  const impl = new HealthImplementation({ 'shop.Orders': 'SERVING' });
  const server = new grpc.Server();
  impl.addToServer(server);
  const grpcPort = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  t.teardown(() => server.forceShutdown());
  const { health } = quietHealth(t);
  const reg = consulRegistration(health, {
    agent: agent.url,
    service: { name: 'orders', address: '127.0.0.1', port: grpcPort },
    check: { grpc: `127.0.0.1:${grpcPort}/shop.Orders`, interval: 100, timeout: 90, deregisterCriticalServiceAfter: '1m' },
  });
  health.start();
  await reg.ready();
  t.match(agent.received('/v1/agent/service/register')[0]?.body, {
    Check: { GRPC: `127.0.0.1:${grpcPort}/shop.Orders`, Interval: '100ms', Timeout: '90ms' },
  });
  await waitForCheck(agent, 'orders', 'orders', 'passing');
  const [ok] = await readBack(agent, 'orders');
  t.equal(
    ok?.Checks.find((c) => c.CheckID === 'service:orders')?.Output,
    `gRPC check 127.0.0.1:${grpcPort}/shop.Orders: success`,
  );
  impl.setStatus('shop.Orders', 'NOT_SERVING');
  await waitForCheck(agent, 'orders', 'orders', 'critical');
  impl.setStatus('shop.Orders', 'SERVING');
  await waitForCheck(agent, 'orders', 'orders', 'passing');
  server.forceShutdown();
  await waitForCheck(agent, 'orders', 'orders', 'critical');
  await reg.close();
});
