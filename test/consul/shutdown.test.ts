// probekit/consul in the shutdown sequence, against the stand-in agent: maintenance the moment it begins (before
// the delay and the drain: the Consul twin of readiness 503), deregistration at the end (after the cleanup hooks),
// the agent's read-back going passing -> critical (maintenance) -> gone; bounded when the agent hangs; and the
// app's own close() (no sequence) deregistering through the cleanup hook.
import t from 'tap';
import { consulRegistration } from '../../src/consul/index.js';
import { waitFor } from '../helpers/wait.js';
import { startAgent } from './agent.js';
import { freePort, logged, quietHealth, readBack, startApp, waitForCheck, waitForRequests, webOptions } from './helpers.js';

const MAINTENANCE = '/v1/agent/service/maintenance/';
const DEREGISTER = '/v1/agent/service/deregister/';

t.test(
  'health.shutdown(): maintenance at once, before any drain; deregistration last; passing -> critical -> gone',
  async (t) => {
    const agent = await startAgent({ minInterval: 10 });
    t.teardown(() => agent.close());
    const app = await startApp(t);
    const { health } = quietHealth(t, { shutdown: { exit: false, delay: 300 } });
    const order: string[] = [];
    agent.on('request', (r: { method: string; path: string }) => {
      if (r.method === 'PUT') order.push(r.path.split('/')[4] ?? r.path);
    });
    health.addDrainTarget({
      drain: async () => void order.push('drain'),
      destroy() {},
      openWork: () => ({ requests: [], connections: 0 }),
    });
    let atHook: string[] = [];
    health.onShutdown(async () => {
      order.push('cleanup hook');
      // The agent's view while the cleanup hooks run: still there, critical through the maintenance check.
      const [entry] = await readBack(agent, 'web');
      atHook = entry?.Checks.map((c) => `${c.CheckID}=${c.Status}`) ?? ['gone'];
    }, 'pool');
    const reg = consulRegistration(health, webOptions(agent.url, app.port));
    health.start();
    await reg.ready();
    await waitForCheck(agent, 'web', 'web-1', 'passing');
    t.same(
      (await readBack(agent, 'web', undefined))[0]?.Checks.map((c) => c.Status),
      ['passing', 'passing'],
      'serfHealth and the check',
    );

    const began = performance.now();
    const done = health.shutdown();
    await waitForRequests(agent, MAINTENANCE, 1, 1000);
    const maintenance = agent.received(MAINTENANCE)[0]!;
    t.ok(
      maintenance.at - began < 150,
      `maintenance ${Math.round(maintenance.at - began)} ms after the shutdown began (delay 300 ms)`,
    );
    t.same(order, ['register', 'maintenance'], 'before the delay ended, so before any drain');
    t.equal(maintenance.path, '/v1/agent/service/maintenance/web-1');
    t.same(maintenance.query, { enable: 'true', reason: 'probekit: shutting down (manual)' });
    await waitFor(() => reg.state === 'maintenance', 'the maintenance to be confirmed');
    const [inMaintenance] = await readBack(agent, 'web');
    t.match(
      inMaintenance?.Checks.find((c) => c.CheckID === '_service_maintenance:web-1'),
      {
        Status: 'critical',
        Name: 'Service Maintenance Mode',
        Notes: 'probekit: shutting down (manual)',
      },
    );
    const passingOnly = (await (await fetch(`${agent.url}/v1/health/service/web?passing`)).json()) as unknown[];
    t.same(passingOnly, [], 'out of discovery at once (`?passing` is what clients query)');
    t.equal(reg.registered, true, 'still registered, in maintenance');

    const result = await done;
    t.match(result, { code: 0, timedOut: false });
    t.same(order, ['register', 'maintenance', 'drain', 'cleanup hook', 'deregister']);
    t.same(atHook, ['serfHealth=passing', 'service:web-1=passing', '_service_maintenance:web-1=critical']);
    t.equal(agent.received(DEREGISTER)[0]?.path, '/v1/agent/service/deregister/web-1');
    t.same(await readBack(agent, 'web'), [], 'gone');
    t.equal(reg.state, 'deregistered');
    t.equal(reg.registered, false);
    const statuses = agent.timeline.filter((e) => e.id === 'web-1').map((e) => e.status);
    t.same(
      statuses,
      ['critical', 'passing', 'critical', 'gone'],
      'new checks start critical, then passing -> maintenance -> gone',
    );
  },
);

t.test('a shutdown before the agent was ever reached sends nothing; ready() rejects', async (t) => {
  const port = await freePort();
  const { health, logger } = quietHealth(t);
  const reg = consulRegistration(health, webOptions(`http://127.0.0.1:${port}`, 3000));
  const ready = reg.ready();
  // Never started: no attempt was made, so there is nothing to put in maintenance or remove.
  t.match(await health.shutdown(), { code: 0 });
  await t.rejects(ready, { code: 'PROBEKIT_ERR_CONSUL_CLOSED' });
  t.equal(reg.state, 'closed');
  t.same(logged(logger, 'warn', 'Consul'), []);
});

t.test('a hung agent cannot hold the shutdown: maintenance and deregistration are bounded by requestTimeout', async (t) => {
  const agent = await startAgent();
  t.teardown(() => agent.close());
  const { health, logger } = quietHealth(t, { shutdown: { exit: false, delay: 0, timeout: 10_000 } });
  const reg = consulRegistration(health, { ...webOptions(agent.url, 3000), requestTimeout: 200 });
  health.start();
  await reg.ready();
  agent.intercept = (r) => (r.method === 'PUT' ? 'hang' : undefined);
  const result = await health.shutdown();
  t.match(result, { code: 0, timedOut: false });
  t.ok(result.durationMs < 1500, `done in ${result.durationMs} ms`);
  t.equal(agent.received(MAINTENANCE).length, 1);
  t.equal(agent.received(DEREGISTER).length, 1, 'deregistration still tried after the maintenance timed out');
  t.match(logged(logger, 'warn', 'Consul maintenance failed')[0]?.obj, { error: 'timed out after 200 ms' });
  t.match(logged(logger, 'warn', 'Consul deregistration failed')[0]?.obj, { error: 'timed out after 200 ms' });
  t.equal(reg.state, 'closed');
});

t.test(
  'the app closing itself (health.close(), no sequence) deregisters through the cleanup hook, without maintenance',
  async (t) => {
    const agent = await startAgent();
    t.teardown(() => agent.close());
    const { health } = quietHealth(t);
    const reg = consulRegistration(health, webOptions(agent.url, 3000));
    health.start();
    await reg.ready();
    await health.close();
    t.equal(agent.received(MAINTENANCE).length, 0);
    t.equal(agent.received(DEREGISTER).length, 1);
    t.same(await readBack(agent, 'web'), []);
    t.equal(reg.state, 'deregistered');
  },
);

t.test('a registration created during the shutdown registers nothing', async (t) => {
  const agent = await startAgent();
  t.teardown(() => agent.close());
  const { health } = quietHealth(t, { shutdown: { exit: false, delay: 200 } });
  health.start();
  const done = health.shutdown();
  const reg = consulRegistration(health, webOptions(agent.url, 3000));
  await t.rejects(reg.ready(), { code: 'PROBEKIT_ERR_CONSUL_CLOSED' });
  await done;
  t.equal(agent.requests.length, 0);
  t.equal(reg.state, 'closed');
});
