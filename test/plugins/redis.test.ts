// redisCheck against a real Redis (test/services), with ioredis and node-redis, from a Fastify app's point of view.
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import t from 'tap';
import { redisCheck } from '../../plugins/redis.js';
import { CheckFailedError, CheckTimeoutError, InvalidOptionError } from '../../src/core/errors.js';
import type { CheckSnapshot } from '../../src/core/snapshot.js';
import type { Check, TransitionEvent } from '../../src/core/types.js';
import probekit from '../../src/fastify/index.js';
import { createHealth } from '../../src/health.js';
import { exclusive } from '../helpers/exclusive.js';
import { get, probeLoad, ready, rejectionSpy, startApp, waitFor, waitForReady, watchRuns } from '../helpers/integration.js';
import { recordingLogger } from '../helpers/logger.js';
import { SERVICES, skipReason, startService, stopService } from '../services/services.js';
import { startProxy } from './silent-server.js';

// The shared servers it uses are its alone while it runs: test/helpers/exclusive.ts.
await exclusive('redis');

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

t.test('a client that cannot connect fails at once, with nothing queued', async (t) => {
  // status 'wait' (lazyConnect): the run makes it connect and fails with the refused connect itself, which is fatal.
  const io = new Redis({ host: '127.0.0.1', port: 1, lazyConnect: true, retryStrategy: () => null });
  io.on('error', () => {});
  t.teardown(() => io.disconnect());
  const nr = createClient({ socket: { host: '127.0.0.1', port: 1 } }); // never opened
  const signal = new AbortController().signal;
  const started = performance.now();
  const check = redisCheck({ client: io });
  await t.rejects(check.run(signal), { code: 'ECONNREFUSED' });
  await t.rejects(redisCheck({ client: nr }).run(signal), new CheckFailedError('client closed'));
  t.ok(performance.now() - started < 1000, 'no wait for a timeout');
  t.equal(check.fatal?.(Object.assign(new Error('x'), { code: 'ECONNREFUSED' })), true, 'a refused connect is fatal');
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
      t.match(checks.ioredis?.output, /^client not connected \(status (connecting|reconnecting|connect|close)\)$/);
      t.match(checks['node-redis']?.output, /^client not connected \(reconnecting\)$/);
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

  t.test('100 concurrent probe requests for 5 s: one PING per interval reaches the server', async (t) => {
    const proxy = await startProxy({ target: SERVER, protocol: 'redis', match: (cmd) => cmd === 'PING' });
    t.teardown(() => proxy.close());
    const client = ioredis(t, proxy.port);
    await client.connect();
    const { check, log } = watchRuns(redisCheck({ client, ...CFG }));
    const { url } = await startApp(t, [check]);
    await waitForReady(url, 200, 5000);
    const pings0 = proxy.count;
    const runs0 = log.runs;
    const load = await probeLoad(url, '/ready', 100, 5000);
    const pings = proxy.count - pings0;
    const runs = log.runs - runs0;
    t.equal(load.errors, 0, `no client error (${load.errors}: ${load.errorSample.join('; ')})`);
    t.equal(load.statuses[200], load.requests, `${load.requests} probe requests, all 200 (${JSON.stringify(load.statuses)})`);
    t.ok(Math.abs(pings - runs) <= 1, `${pings} PINGs reached the server for ${runs} runs`);
    t.ok(runs >= 3 && runs <= 5000 / CFG.interval + 1, `${runs} runs in 5 s at a ${CFG.interval} ms interval`);
  });

  // Issue 8, item 11: ioredis used to report `client not ready (status reconnecting)` as an ordinary failure, so
  // `/ready` stayed 200 for `failureThreshold` runs. A client that lost its connection, or can not make it, must fail
  // fatally on its first failing run. The proof is read in the `transition` listener itself, synchronously, so that
  // later runs can not have moved the count on.
  t.test('connection lost or never made: fail on the first failing run, whatever failureThreshold says', async (t) => {
    const FATAL_CFG = { interval: 300, timeout: 200, failureThreshold: 4 } as const;
    const WITHIN = 10_000;

    /** Stops Redis; it is started again on teardown (also when the test fails) unless `start()` already did. */
    async function stopRedis(t: Tap): Promise<() => Promise<void>> {
      let started = false;
      const start = async () => {
        if (started) return;
        started = true;
        await startService('redis');
      };
      t.teardown(start);
      await stopService('redis');
      return start;
    }

    /**
     * A running Fastify app serving the probes of an empty registry. `watch(check)` registers the check, which runs at
     * once (synchronously, in that call), and resolves with its snapshot at its first transition to `fail`, taken
     * inside the listener, which is in place before that first run.
     */
    async function startWatched(t: Tap): Promise<{ url: string; watch(check: Check): Promise<CheckSnapshot> }> {
      const health = createHealth({ logger: recordingLogger(), shutdown: false });
      const app = Fastify({ logger: false });
      await app.register(probekit, { health, details: 'always' });
      t.teardown(() => app.close());
      await app.listen({ host: '127.0.0.1', port: 0 });
      const watch = (check: Check) => {
        const firstFail = new Promise<CheckSnapshot>((resolve, reject) => {
          const timer = setTimeout(() => {
            health.off('transition', onTransition);
            reject(new Error(`no transition to fail within ${WITHIN} ms`));
          }, WITHIN);
          const onTransition = (e: TransitionEvent) => {
            if (e.name !== check.name || e.to !== 'fail') return;
            clearTimeout(timer);
            health.off('transition', onTransition);
            const snapshot = health.snapshot().checks[check.name];
            if (snapshot) resolve(snapshot);
            else reject(new Error(`${check.name}: not in the snapshot`));
          };
          health.on('transition', onTransition);
        });
        firstFail.catch(() => {}); // Awaited later; a test that fails before then must not leave an unhandled rejection.
        health.register(check);
        return firstFail;
      };
      return { url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, watch };
    }

    for (const flavour of ['ioredis', 'node-redis'] as const) {
      t.test(`${flavour}: the server stops under a connected client`, async (t) => {
        const rejections = rejectionSpy(t);
        let client: Redis | ReturnType<typeof nodeRedis>;
        if (flavour === 'ioredis') {
          client = ioredis(t);
          await client.connect();
        } else {
          client = nodeRedis(t);
          await client.connect();
        }
        const { url, watch } = await startWatched(t);
        const firstFail = watch(redisCheck({ client, ...FATAL_CFG }));
        await waitForReady(url, 200, 5000);

        const start = await stopRedis(t);
        const failMs = await waitForReady(url, 503, WITHIN);
        t.pass(`/ready 503 ${failMs} ms after the server stopped`);
        const first = await firstFail;
        t.equal(first.consecutiveFailures, 1, 'failed on the first failing run (failureThreshold is 4)');
        t.equal(first.status, 'fail');
        t.match(first.error, /^client not connected \((status (reconnecting|close|end|connecting|connect)|reconnecting)\)$/);
        t.equal((await ready(url)).json.checks.redis?.status, 'fail', '/ready names the check as failing');

        await start();
        const upMs = await waitForReady(url, 200, RECOVER_WITHIN);
        t.pass(`/ready 200 again ${upMs} ms after the server started`);
        t.equal(await (client as { ping(): Promise<unknown> }).ping(), 'PONG', 'the app can use its client again');
        t.same(rejections, [], 'no unhandled rejection');
      });
    }

    // Made while the server is down: checked once ioredis saw its first connection attempt refused, or made with
    // `lazyConnect`, so that the check's first PING is what makes ioredis connect.
    for (const lazyConnect of [false, true]) {
      const how = lazyConnect ? 'with lazyConnect, its first PING starts the connect' : 'its first connect was refused';
      t.test(`ioredis: a client made while the server is stopped (${how})`, async (t) => {
        const rejections = rejectionSpy(t);
        const start = await stopRedis(t);
        const { url, watch } = await startWatched(t);
        const client = new Redis({ host: SERVER.host, port: SERVER.port, lazyConnect });
        client.on('error', () => {});
        t.teardown(() => client.disconnect());
        let first: CheckSnapshot;
        if (!lazyConnect) {
          await waitFor('ioredis saw the connection refused', () => client.status === 'reconnecting', 5000, 1);
          first = await watch(redisCheck({ client, ...FATAL_CFG }));
          t.equal(first.consecutiveFailures, 1, 'failed on the first run (failureThreshold is 4)');
        } else {
          t.equal(client.status, 'wait');
          first = await watch(redisCheck({ client, ...FATAL_CFG }));
          t.equal(first.consecutiveFailures, 1, 'failed on the first run: the refused connect itself is fatal');
        }
        t.match(first.error, lazyConnect ? /ECONNREFUSED/ : /^client not connected \(status reconnecting\)$/);
        const body = await ready(url);
        t.equal(body.status, 503);
        t.equal(body.json.checks.redis?.status, 'fail');

        await start();
        const upMs = await waitForReady(url, 200, RECOVER_WITHIN);
        t.pass(`/ready 200 ${upMs} ms after the server started: the client connected at last`);
        t.same(rejections, [], 'no unhandled rejection');
      });
    }
  });
}
