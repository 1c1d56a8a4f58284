// redisCheck against a real Redis (test/services), with ioredis and node-redis, from a Fastify app's point of view.
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import t from 'tap';
import { redisCheck } from '../../plugins/redis.js';
import { CheckFailedError, CheckTimeoutError, InvalidOptionError } from '../../src/core/errors.js';
import type { TransitionEvent } from '../../src/core/types.js';
import { get, probeLoad, ready, rejectionSpy, startApp, waitFor, waitForReady, watchRuns } from '../helpers/integration.js';
import { SERVICES, skipReason, startService, stopService } from '../services/services.js';
import { startProxy } from './silent-server.js';

const SERVER = SERVICES.redis;
const CFG = { interval: 500, timeout: 300, failureThreshold: 2 } as const;
const FAIL_WITHIN = CFG.interval * CFG.failureThreshold + CFG.timeout + 2000;
// ioredis backs off up to 2 s between reconnects, node-redis up to 0.5 s.
const RECOVER_WITHIN = CFG.interval * 1 + 2000 + 8000;

/** A tap test object, as far as these helpers use it. */
interface Tap {
  teardown(fn: () => unknown): void;
}

function ioredis(t: Tap, port: number = SERVER.port): Redis {
  const client = new Redis({ host: SERVER.host, port, lazyConnect: true });
  client.on('error', () => {}); // The app's business: without a listener ioredis logs every reconnect failure.
  t.teardown(() => client.disconnect());
  return client;
}

function nodeRedis(t: Tap, port: number = SERVER.port) {
  const client = createClient({ socket: { host: SERVER.host, port } });
  client.on('error', () => {}); // node-redis throws on an unhandled 'error' event.
  t.teardown(() => (client.isOpen ? client.destroy() : undefined));
  return client;
}

t.test('options', async (t) => {
  const io = new Redis({ lazyConnect: true });
  const nr = createClient();
  const check = redisCheck({ client: io, interval: 1000, probes: ['live', 'ready'] });
  t.equal(check.name, 'redis');
  t.equal(check.interval, 1000);
  t.same(check.probes, ['live', 'ready']);
  t.equal(redisCheck({ client: nr, name: 'cache' }).name, 'cache');
  const bads = [undefined, null, {}, { client: 'redis://:secret@host' }, { client: {} }, { client: { ping() {} } }];
  bads.forEach((bad, i) => {
    t.throws(() => redisCheck(bad as never), InvalidOptionError, `bad options #${i}`);
  });
  t.throws(() => redisCheck({ client: 'redis://:secret@host' as never }), { message: /got `string`/ });
});

t.test('a client that is not ready fails at once, sending nothing', async (t) => {
  const io = new Redis({ host: '127.0.0.1', port: 1, lazyConnect: true }); // status 'wait': never connected
  const nr = createClient({ socket: { host: '127.0.0.1', port: 1 } }); // never opened
  const signal = new AbortController().signal;
  const started = performance.now();
  await t.rejects(redisCheck({ client: io }).run(signal), new CheckFailedError('client not ready (status wait)'));
  await t.rejects(redisCheck({ client: nr }).run(signal), new CheckFailedError('client closed'));
  t.ok(performance.now() - started < 100, 'no wait for a timeout');
  t.equal(io.status, 'wait', 'ioredis was not made to connect by a queued command');
});

const reason = await skipReason(['redis']);
if (reason) {
  t.skip(reason, async () => {});
} else {
  t.test('server stopped and started again, with ioredis and node-redis', async (t) => {
    const rejections = rejectionSpy(t);
    const io = ioredis(t);
    const nr = nodeRedis(t);
    await io.connect();
    await nr.connect();
    const { url } = await startApp(t, [
      redisCheck({ client: io, name: 'ioredis', ...CFG }),
      redisCheck({ client: nr, name: 'node-redis', ...CFG }),
    ]);
    await waitForReady(url, 200, 5000);
    const healthy = (await ready(url)).json.checks;
    t.equal(healthy.ioredis?.status, 'pass');
    t.equal(healthy['node-redis']?.status, 'pass');

    try {
      await stopService('redis');
      const failMs = await waitFor(
        'both checks fail',
        async () => {
          const r = await ready(url);
          return r.status === 503 && r.json.checks.ioredis?.status === 'fail' && r.json.checks['node-redis']?.status === 'fail';
        },
        FAIL_WITHIN,
      );
      t.pass(`both checks failed ${failMs} ms after the server stopped`);
      const checks = (await ready(url)).json.checks;
      t.match(checks.ioredis?.output, /^client not ready \(status (connecting|reconnecting|connect)\)$/);
      t.match(checks['node-redis']?.output, /^client not ready \(reconnecting\)$/);
      t.equal((await get(`${url}/hello`, 1000)).status, 200, 'the app keeps serving other routes');
    } finally {
      await startService('redis');
    }
    const upMs = await waitForReady(url, 200, RECOVER_WITHIN);
    t.pass(`200 again ${upMs} ms after the server started`);
    t.equal(await io.set('probekit:k', 'v'), 'OK', 'ioredis works for the app');
    t.equal(await nr.get('probekit:k'), 'v', 'node-redis works for the app');
    t.same(rejections, [], 'no unhandled rejection');
  });

  for (const flavour of ['ioredis', 'node-redis'] as const) {
    t.test(`hung server (${flavour}): the run times out, one PING is ever outstanding`, async (t) => {
      const rejections = rejectionSpy(t);
      const proxy = await startProxy({ target: SERVER, protocol: 'redis', match: (cmd) => cmd === 'PING' });
      t.teardown(async () => {
        proxy.resume();
        await proxy.close();
      });
      let client: Redis | ReturnType<typeof nodeRedis>;
      if (flavour === 'ioredis') {
        client = ioredis(t, proxy.port);
        await client.connect();
      } else {
        client = nodeRedis(t, proxy.port);
        await client.connect();
      }
      const { check, log } = watchRuns(redisCheck({ client, ...CFG }));
      const { app, url } = await startApp(t, [check]);
      const transitions: TransitionEvent[] = [];
      app.health.on('transition', (e: TransitionEvent) => transitions.push(e));
      await waitForReady(url, 200, 5000);

      proxy.stall();
      const pingsBefore = proxy.count;
      const runsBefore = log.runs;
      await waitForReady(url, 503, FAIL_WITHIN + CFG.timeout);
      await waitFor(
        'four runs against the hung server',
        () => log.runs >= runsBefore + 4,
        4 * (CFG.interval + CFG.timeout) + 2000,
      );
      t.equal(transitions.at(-1)?.to, 'fail');
      t.equal(transitions.at(-1)?.error?.message, `timed out after ${CFG.timeout} ms`);
      t.equal((await ready(url)).json.checks.redis?.output, `timed out after ${CFG.timeout} ms`);
      const hung = log.signals.slice(runsBefore, -1);
      t.ok(
        hung.every((s) => s.aborted && s.reason instanceof CheckTimeoutError),
        'each run against the hung server had its signal aborted by the timeout',
      );
      t.equal(log.maxInFlight, 1, 'at most one run in flight');
      proxy.resume();
      await waitForReady(url, 200, 5000);
      // One PING held by the stall (the runs shared it), plus at most the one of the run after the resume.
      t.ok(proxy.count - pingsBefore <= 2, `${proxy.count - pingsBefore} PING(s) sent for ${log.runs - runsBefore} runs`);
      t.equal(await (client as { ping(): Promise<unknown> }).ping(), 'PONG', 'the app can still use its client');
      t.same(rejections, [], 'no unhandled rejection');
    });
  }

  t.test('200 concurrent probe requests for 5 s: one PING per interval reaches the server', async (t) => {
    const proxy = await startProxy({ target: SERVER, protocol: 'redis', match: (cmd) => cmd === 'PING' });
    t.teardown(() => proxy.close());
    const client = ioredis(t, proxy.port);
    await client.connect();
    const { check, log } = watchRuns(redisCheck({ client, ...CFG }));
    const { url } = await startApp(t, [check]);
    await waitForReady(url, 200, 5000);
    const pings0 = proxy.count;
    const runs0 = log.runs;
    const load = await probeLoad(url, '/ready', 200, 5000);
    const pings = proxy.count - pings0;
    const runs = log.runs - runs0;
    t.equal(load.errors, 0);
    t.equal(load.statuses[200], load.requests, `${load.requests} probe requests, all 200`);
    t.ok(Math.abs(pings - runs) <= 1, `${pings} PINGs reached the server for ${runs} runs`);
    t.ok(runs >= 3 && runs <= 5000 / CFG.interval + 1, `${runs} runs in 5 s at a ${CFG.interval} ms interval`);
  });
}
