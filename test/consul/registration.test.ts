// probekit/consul against the stand-in agent (test/consul/agent.ts, a real node:http server on loopback): the
// registration on the registry's start, the token header, retries while the agent is down or refuses (logged once
// per state change), a hung agent bounded by requestTimeout on injected fake timers, and close().
import Fastify from 'fastify';
import t from 'tap';
import { consulRegistration } from '../../src/consul/index.js';
import probekit from '../../src/fastify/index.js';
import { fakeClock } from '../helpers/clock.js';
import { recordingLogger } from '../helpers/logger.js';
import { waitFor } from '../helpers/wait.js';
import { startAgent } from './agent.js';
import { freePort, logged, quietHealth, readBack, startApp, waitForCheck, waitForRequests, webOptions } from './helpers.js';

const REGISTER = '/v1/agent/service/register';

t.test('registers on the start event, with Name, ID, Address, Port, Tags, Meta and the HTTP check', async (t) => {
  const agent = await startAgent({ minInterval: 10 });
  t.teardown(() => agent.close());
  const app = await startApp(t);
  const { health, logger } = quietHealth(t);
  const reg = consulRegistration(
    health,
    webOptions(agent.url, app.port, {
      service: {
        name: 'web',
        id: 'web-1',
        address: '127.0.0.1',
        port: app.port,
        tags: ['v1', 'blue'],
        meta: { version: '1.2.3' },
      },
      check: { http: '/ready', interval: 200, timeout: '150ms', deregisterCriticalServiceAfter: '1m' },
    }),
  );
  t.equal(reg.state, 'waiting');
  t.equal(reg.registered, false);
  await new Promise((resolve) => setTimeout(resolve, 30));
  t.equal(agent.requests.length, 0, 'nothing is sent before the registry starts');
  health.start();
  await reg.ready();
  t.equal(reg.state, 'registered');
  t.equal(reg.registered, true);
  const [sent] = agent.received(REGISTER);
  t.equal(sent?.method, 'PUT');
  t.equal(sent?.headers['content-type'], 'application/json');
  t.equal(sent?.headers['x-consul-token'], undefined, 'no token header without a token');
  t.same(sent?.body, {
    ID: 'web-1',
    Name: 'web',
    Tags: ['v1', 'blue'],
    Address: '127.0.0.1',
    Port: app.port,
    Meta: { version: '1.2.3' },
    Check: {
      HTTP: `http://127.0.0.1:${app.port}/ready`,
      Interval: '200ms',
      Timeout: '150ms',
      DeregisterCriticalServiceAfter: '1m',
    },
  });
  const services = (await (await fetch(`${agent.url}/v1/agent/services`)).json()) as Record<
    string,
    { Service: string; Port: number }
  >;
  t.match(services['web-1'], { Service: 'web', Port: app.port });
  // Consul runs the check it was given: the app answers 200, so it turns passing.
  await waitForCheck(agent, 'web', 'web-1', 'passing');
  const [entry] = await readBack(agent, 'web');
  t.match(
    entry?.Checks.find((c) => c.CheckID === 'service:web-1')?.Output,
    /^HTTP GET http:\/\/127\.0\.0\.1:\d+\/ready: 200 OK Output: status 200$/,
  );
  t.equal(logged(logger, 'info', 'registered the service with Consul').length, 1);
  t.equal(agent.received(REGISTER).length, 1, 'registered once');
});

t.test('registers at once when the registry runs already; ready() resolves again later', async (t) => {
  const agent = await startAgent();
  t.teardown(() => agent.close());
  const { health } = quietHealth(t);
  health.start();
  const reg = consulRegistration(health, webOptions(agent.url, 3000));
  await reg.ready();
  await reg.ready();
  t.equal(agent.received(REGISTER).length, 1);
});

t.test('the token goes in X-Consul-Token; a refused token is retried and logged once', async (t) => {
  const agent = await startAgent({ token: 's3cr3t-token' });
  t.teardown(() => agent.close());
  const { health, logger } = quietHealth(t);
  health.start();
  const good = consulRegistration(health, webOptions(agent.url, 3000, { token: 's3cr3t-token' }));
  await good.ready();
  t.equal(agent.received(REGISTER)[0]?.headers['x-consul-token'], 's3cr3t-token');
  t.equal(agent.received(REGISTER)[0]?.query.token, undefined, 'never in the URL');

  const bad = consulRegistration(
    health,
    webOptions(agent.url, 3000, { token: 'wrong-token', service: { name: 'other', port: 3001 } }),
  );
  await waitFor(
    () => agent.received(REGISTER).filter((r) => r.headers['x-consul-token'] === 'wrong-token').length >= 4,
    '4 refused attempts',
  );
  t.equal(bad.registered, false);
  t.equal(bad.state, 'registering');
  const errors = logged(logger, 'error', 'Consul registration failed');
  t.equal(errors.length, 1, 'one line for the refusal, not one per attempt');
  t.match(errors[0]?.obj, { service: 'other', error: 'the agent answered 403: Permission denied' });
  t.notMatch(JSON.stringify(logger.entries), /s3cr3t-token|wrong-token/, 'no token in any log line');
  await bad.close();
  const after = agent.received(REGISTER).length;
  await new Promise((resolve) => setTimeout(resolve, 100));
  t.equal(agent.received(REGISTER).length, after, 'close() stopped the retries');
});

t.test('the agent down at start: the app starts without waiting, and registers once the agent is up', async (t) => {
  const port = await freePort();
  const logger = recordingLogger();
  const app = Fastify({ logger: false });
  await app.register(probekit, { logger, shutdown: { exit: false, signals: ['SIGUSR2'] } });
  t.teardown(() => app.close());
  const reg = consulRegistration(app.health, {
    agent: `http://127.0.0.1:${port}`,
    service: { name: 'shop', address: '127.0.0.1', port: 1 },
    check: { http: '/ready', interval: '1s', timeout: '500ms', deregisterCriticalServiceAfter: '1m' },
    retry: { initialDelay: 20, maxDelay: 80 },
  });
  const started = performance.now();
  await app.listen({ port: 0, host: '127.0.0.1' });
  t.ok(performance.now() - started < 1000, 'listen() did not wait for Consul');
  await waitFor(() => logged(logger, 'warn', 'Consul registration failed').length === 1, 'the unreachable agent to be logged');
  t.match(logged(logger, 'warn', 'Consul registration failed')[0]?.obj, { error: /ECONNREFUSED/, attempts: 1 });
  t.equal(reg.state, 'registering');
  // A few more attempts fail meanwhile (20, 40, 80, 80 ms...), and none of them is logged again.
  await new Promise((resolve) => setTimeout(resolve, 300));
  t.equal(logged(logger, 'warn', 'Consul registration failed').length, 1, 'logged once, not per attempt');
  const agent = await startAgent({ port });
  t.teardown(() => agent.close());
  await reg.ready();
  t.equal(agent.received(REGISTER).length, 1);
  const info = logged(logger, 'info', 'registered the service with Consul');
  t.equal(info.length, 1);
  const attempts = (info[0]?.obj as { attempts?: number } | undefined)?.attempts ?? 0;
  t.ok(attempts >= 4, `registered on attempt ${attempts}`);
});

t.test('a change of failure is logged again: unreachable, then 500, then registered', async (t) => {
  const port = await freePort();
  const { health, logger } = quietHealth(t);
  health.start();
  const reg = consulRegistration(health, webOptions(`http://127.0.0.1:${port}`, 3000));
  await waitFor(() => logged(logger, 'warn', 'Consul registration failed').length === 1, 'unreachable logged');
  const agent = await startAgent({ port });
  t.teardown(() => agent.close());
  let refusals = 3;
  agent.intercept = () => (refusals-- > 0 ? 500 : undefined);
  await reg.ready();
  t.equal(agent.received(REGISTER).length, 4);
  const errors = logged(logger, 'error', 'Consul registration failed');
  t.equal(errors.length, 1, 'three 500s, one line');
  t.match(errors[0]?.obj, { error: 'the agent answered 500: intercepted by the test' });
  t.equal(logged(logger, 'warn', 'Consul registration failed').length, 1);
});

t.test('a hung agent: each request is cut at requestTimeout by the injected timers (fake clock), then retried', async (t) => {
  const agent = await startAgent();
  t.teardown(() => agent.close());
  agent.intercept = () => 'hang';
  const fc = fakeClock();
  const { health, logger } = quietHealth(t);
  health.start();
  const reg = consulRegistration(health, {
    ...webOptions(agent.url, 3000),
    timers: fc.timers,
    requestTimeout: 1000,
    retry: { initialDelay: 500, maxDelay: 500 },
  });
  await waitForRequests(agent, REGISTER, 1);
  t.equal(fc.pending(), 1, 'the request timer, on the fake clock');
  await fc.tick(999);
  t.equal(logged(logger, 'warn', 'Consul registration failed').length, 0, 'not yet');
  await fc.tick(1);
  await waitFor(() => logged(logger, 'warn', 'Consul registration failed').length === 1, 'the timeout to be logged');
  t.match(logged(logger, 'warn', 'Consul registration failed')[0]?.obj, { error: 'timed out after 1000 ms' });
  t.equal(fc.pending(), 1, 'the retry timer');
  agent.intercept = undefined;
  await fc.tick(500);
  await reg.ready();
  t.equal(agent.received(REGISTER).length, 2);
  t.equal(fc.pending(), 0, 'no timer left once registered');
});

t.test('close(): deregisters by default, or not with { deregister: false }; before registering, ready() rejects', async (t) => {
  const agent = await startAgent();
  t.teardown(() => agent.close());
  const { health } = quietHealth(t);
  health.start();
  const a = consulRegistration(health, webOptions(agent.url, 3000, { service: { name: 'a', port: 3000 } }));
  const b = consulRegistration(health, webOptions(agent.url, 3000, { service: { name: 'b', port: 3000 } }));
  await Promise.all([a.ready(), b.ready()]);
  await a.close();
  t.equal(a.state, 'deregistered');
  t.equal(a.registered, false);
  t.same(
    agent.received('/v1/agent/service/deregister/').map((r) => r.path),
    ['/v1/agent/service/deregister/a'],
  );
  t.same(await readBack(agent, 'a'), []);
  await b.close({ deregister: false });
  t.equal(b.state, 'closed');
  t.equal((await readBack(agent, 'b')).length, 1, 'b stays on the agent');
  t.equal(agent.received('/v1/agent/service/deregister/').length, 1);
  t.equal(await a.close(), undefined, 'idempotent');

  const fc = fakeClock();
  const { health: other, logger } = quietHealth(t);
  other.start();
  const down = consulRegistration(other, { ...webOptions(`http://127.0.0.1:${await freePort()}`, 3000), timers: fc.timers });
  const ready = down.ready();
  await waitFor(() => logged(logger, 'warn', 'Consul registration failed').length === 1, 'a failed attempt');
  t.equal(fc.pending(), 1, 'a retry is scheduled');
  await down.close();
  t.equal(fc.pending(), 0, 'the retry timer is cleared');
  await t.rejects(ready, {
    name: 'ProbekitError',
    code: 'PROBEKIT_ERR_CONSUL_CLOSED',
    message: /closed before it registered/,
  });
  t.equal(down.state, 'closed');
});
