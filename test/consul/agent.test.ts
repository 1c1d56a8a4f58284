// The stand-in agent itself, driven over its HTTP API with plain fetch, so that the registration tests rest on an
// agent that behaves as Consul's docs say: the HTTP check's status mapping (2xx passing, 429 warning, else critical)
// and request, the API's errors, maintenance, the aggregated health endpoint and DeregisterCriticalServiceAfter.
import type { IncomingHttpHeaders } from 'node:http';
import t from 'tap';
import { waitFor } from '../helpers/wait.js';
import { type StandInAgent, startAgent } from './agent.js';
import { freePort, pollUntil, readBack, startApp, waitForCheck } from './helpers.js';

async function put(agent: StandInAgent, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${agent.url}${path}`, {
    method: 'PUT',
    headers,
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  return { status: res.status, text: await res.text() };
}

const httpService = (name: string, url: string, extra: Record<string, unknown> = {}) => ({
  Name: name,
  Port: 1,
  Check: { HTTP: url, Interval: '20ms', Timeout: '1s', ...extra },
});

t.test('HTTP check: 2xx passing, 429 warning, anything else or no answer critical; Consul request headers', async (t) => {
  const agent = await startAgent({ minInterval: 10 });
  t.teardown(() => agent.close());
  const app = await startApp(t);
  let seen: IncomingHttpHeaders = {};
  app.server.prependListener('request', (req) => {
    seen = req.headers;
  });
  t.equal((await put(agent, '/v1/agent/service/register', httpService('app', `http://127.0.0.1:${app.port}/ready`))).status, 200);
  const table: [number, string][] = [
    [200, 'passing'],
    [429, 'warning'],
    [204, 'passing'],
    [503, 'critical'],
    [299, 'passing'],
    [404, 'critical'],
    [300, 'critical'],
    [500, 'critical'],
  ];
  for (const [code, status] of table) {
    app.status = code;
    await waitForCheck(agent, 'app', 'app', status);
    t.pass(`${code} reads ${status}`);
  }
  t.equal(seen['user-agent'], 'Consul Health Check');
  t.equal(seen.accept, 'text/plain, text/*, */*');
  t.equal(seen.connection, 'close', 'no keep-alive');
  await app.close();
  await pollUntil(async () => {
    const [entry] = await readBack(agent, 'app');
    const check = entry?.Checks.find((c) => c.CheckID === 'service:app');
    return check?.Status === 'critical' && /^Get "http:\/\/127\.0\.0\.1:\d+\/ready": .*ECONNREFUSED/.test(check.Output);
  }, 'no answer to read critical, with the transport error as output');
});

t.test('HTTP check: a redirect is followed; a slow answer times out (critical); the output is capped at 4 KiB', async (t) => {
  const agent = await startAgent({ minInterval: 10 });
  t.teardown(() => agent.close());
  const app = await startApp(t);
  app.server.removeAllListeners('request');
  app.server.on('request', (req, res) => {
    if (req.url === '/old') return void res.writeHead(302, { location: '/new' }).end();
    if (req.url === '/slow') return void setTimeout(() => res.end('late'), 300);
    res.end('x'.repeat(10_000));
  });
  await put(agent, '/v1/agent/service/register', httpService('moved', `http://127.0.0.1:${app.port}/old`));
  await put(
    agent,
    '/v1/agent/service/register',
    httpService('slow', `http://127.0.0.1:${app.port}/slow`, { Interval: '50ms', Timeout: '30ms' }),
  );
  await waitForCheck(agent, 'moved', 'moved', 'passing');
  const [moved] = await readBack(agent, 'moved');
  const output = moved?.Checks.find((c) => c.CheckID === 'service:moved')?.Output ?? '';
  t.equal(output.length, output.indexOf('Output: ') + 'Output: '.length + 4096, 'the body kept is 4 KiB');
  await pollUntil(async () => {
    const [slow] = await readBack(agent, 'slow');
    const check = slow?.Checks.find((c) => c.CheckID === 'service:slow');
    return check?.Status === 'critical' && /Client\.Timeout exceeded after 30ms/.test(check.Output);
  }, 'the slow check to time out');
});

t.test('the API: 400 for a bad body, 404 for an unknown service, 403 without the token, deregister a no-op', async (t) => {
  const agent = await startAgent({ token: 'tok' });
  t.teardown(() => agent.close());
  const auth = { 'x-consul-token': 'tok' };
  const svc = httpService('a', 'http://127.0.0.1:1/');
  t.match(await put(agent, '/v1/agent/service/register', svc), { status: 403, text: 'Permission denied' });
  t.match(await put(agent, '/v1/agent/service/register', svc, { 'x-consul-token': 'nope' }), { status: 403 });
  t.match(await put(agent, '/v1/agent/service/register', { Port: 1 }, auth), { status: 400, text: 'Missing service name' });
  t.match(await put(agent, '/v1/agent/service/register', { ...svc, Check: { HTTP: 'http://x/', Interval: 10 } }, auth), {
    status: 400,
    text: /invalid duration 10/,
  });
  t.match(await put(agent, '/v1/agent/service/register', { ...svc, Check: { HTTP: 'http://x/' } }, auth), {
    status: 400,
    text: /Interval must be > 0/,
  });
  t.match(await put(agent, '/v1/agent/service/register', { ...svc, Nmae: 'x' }, auth), {
    status: 400,
    text: /unknown field Nmae/,
  });
  t.match(await put(agent, '/v1/agent/service/maintenance/a?enable=true', undefined, auth), {
    status: 404,
    text: 'Unknown service ID "a"',
  });
  t.match(await put(agent, '/v1/agent/service/deregister/a', undefined, auth), { status: 200, text: '' });
  t.match(await put(agent, '/v1/agent/service/register', svc, auth), { status: 200, text: '' });
  t.match(await put(agent, '/v1/agent/service/maintenance/a', undefined, auth), {
    status: 400,
    text: 'Missing value for enable',
  });
  t.match(await put(agent, '/v1/agent/service/maintenance/a?enable=yes', undefined, auth), { status: 400 });
  const res = await fetch(`${agent.url}/v1/agent/checks`, { headers: auth });
  t.match(await res.json(), { 'service:a': { Status: 'critical', ServiceID: 'a', Type: 'http', Name: "Service 'a' check" } });
});

t.test(
  'maintenance: a critical _service_maintenance check with the reason; kept across a re-registration; off again',
  async (t) => {
    const agent = await startAgent({ minInterval: 10 });
    t.teardown(() => agent.close());
    const app = await startApp(t);
    await put(agent, '/v1/agent/service/register', { ...httpService('m', `http://127.0.0.1:${app.port}/`), ID: 'm-1' });
    await waitForCheck(agent, 'm', 'm-1', 'passing');
    const byId = async (format = '') => {
      const res = await fetch(`${agent.url}/v1/agent/health/service/id/m-1${format}`);
      return { status: res.status, text: await res.text() };
    };
    t.match(await byId('?format=text'), { status: 200, text: 'passing' });
    t.equal((await put(agent, '/v1/agent/service/maintenance/m-1?enable=true&reason=deploy%201')).status, 200);
    t.match(await byId('?format=text'), { status: 503, text: 'critical' });
    t.match(JSON.parse((await byId()).text), { AggregatedStatus: 'critical' });
    const [entry] = await readBack(agent, 'm');
    t.match(entry?.Checks.at(-1), {
      CheckID: '_service_maintenance:m-1',
      Status: 'critical',
      Notes: 'deploy 1',
      ServiceID: 'm-1',
    });
    await put(agent, '/v1/agent/service/register', { ...httpService('m', `http://127.0.0.1:${app.port}/`), ID: 'm-1' });
    t.ok(
      (await readBack(agent, 'm'))[0]?.Checks.some((c) => c.CheckID === '_service_maintenance:m-1'),
      'still in maintenance',
    );
    await put(agent, '/v1/agent/service/maintenance/m-1?enable=false');
    await waitForCheck(agent, 'm', 'm-1', 'passing');
    t.match(await byId('?format=text'), { status: 200, text: 'passing' });
    app.status = 429;
    await waitForCheck(agent, 'm', 'm-1', 'warning');
    t.match(await byId('?format=text'), { status: 429, text: 'warning' });
  },
);

t.test('DeregisterCriticalServiceAfter: the reaper removes a service critical for that long, raised to the floor', async (t) => {
  const agent = await startAgent({ minInterval: 10, deregisterMin: 100, reapInterval: 20 });
  t.teardown(() => agent.close());
  const app = await startApp(t);
  const dead = `http://127.0.0.1:${await freePort()}/`;
  const began = performance.now();
  await put(agent, '/v1/agent/service/register', httpService('dead', dead, { DeregisterCriticalServiceAfter: '300ms' }));
  await put(agent, '/v1/agent/service/register', httpService('floor', dead, { DeregisterCriticalServiceAfter: '1ms' }));
  await put(agent, '/v1/agent/service/register', httpService('kept', dead));
  await put(
    agent,
    '/v1/agent/service/register',
    httpService('alive', `http://127.0.0.1:${app.port}/`, { DeregisterCriticalServiceAfter: '1ms' }),
  );
  await waitFor(() => agent.timeline.some((e) => e.id === 'floor' && e.status === 'gone'), 'floor reaped');
  const floorGone = agent.timeline.find((e) => e.id === 'floor' && e.status === 'gone')!.at - began;
  t.ok(floorGone >= 100, `1ms raised to the 100 ms floor: reaped after ${Math.round(floorGone)} ms`);
  await waitFor(() => agent.timeline.some((e) => e.id === 'dead' && e.status === 'gone'), 'dead reaped');
  const deadGone = agent.timeline.find((e) => e.id === 'dead' && e.status === 'gone')!.at - began;
  t.ok(deadGone >= 300 && deadGone < 2000, `reaped after ${Math.round(deadGone)} ms`);
  t.same(await readBack(agent, 'dead'), []);
  t.equal((await readBack(agent, 'kept')).length, 1, 'no DeregisterCriticalServiceAfter: kept, critical');
  t.equal((await readBack(agent, 'alive')).length, 1, 'passing: never reaped');
});
