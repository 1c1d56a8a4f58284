// The generic checks against real loopback servers started here: httpCheck, tcpCheck, eventLoopCheck.
import type { ServerResponse } from 'node:http';
import t from 'tap';
import { eventLoopCheck } from '../../plugins/event-loop.js';
import { httpCheck } from '../../plugins/http.js';
import { tcpCheck } from '../../plugins/tcp.js';
import { CheckTimeoutError, InvalidOptionError } from '../../src/core/errors.js';
import { isConnectionError } from '../../src/core/options.js';
import type { Check, TransitionEvent } from '../../src/core/types.js';
import { createHealth } from '../../src/health.js';
import { recordingLogger } from '../helpers/logger.js';
import { closedPort, startTcpUpstream, startUpstream, type Upstream } from '../helpers/upstream.js';
import { nextEvent, waitFor } from '../helpers/wait.js';

/** Runs a check once with a fresh signal (what the scheduler does, without the scheduler). */
function once(check: Check, signal = new AbortController().signal) {
  return check.run(signal);
}

/** A registry with real timers, quiet, no signal handlers. */
function registry(checks: Check[]) {
  return createHealth({ checks, logger: recordingLogger(), shutdown: false });
}

let upstream: Upstream;
/** What the upstream answers next: status, body, and whether to stall (never answer, or stall after the headers). */
const reply = { status: 200, body: 'ok: all good', stall: 'no' as 'no' | 'headers' | 'body' };
const stalled: ServerResponse[] = [];

// One upstream for the httpCheck tests, inside a parent test: a root-level after() would wait for the event loop to
// drain, which the open server prevents.
t.test('httpCheck against a loopback upstream', async (t) => {
  upstream = await startUpstream((_req, res) => {
    if (reply.stall === 'headers') {
      stalled.push(res);
      return;
    }
    res.writeHead(reply.status, { 'content-type': 'text/plain' });
    if (reply.stall === 'body') {
      res.write(reply.body.slice(0, 2));
      stalled.push(res);
      return;
    }
    res.end(reply.body);
  });
  t.teardown(() => upstream.close());
  t.beforeEach(() => {
    reply.status = 200;
    reply.body = 'ok: all good';
    reply.stall = 'no';
  });

  t.test('httpCheck: the default accepts 200-399', async (t) => {
    for (const status of [200, 204, 301, 399]) {
      reply.status = status;
      await t.resolves(once(httpCheck({ url: `${upstream.origin}/health` })), `status ${status}`);
    }
    for (const status of [400, 404, 500, 503]) {
      reply.status = status;
      await t.rejects(once(httpCheck({ url: upstream.origin })), { message: `unexpected status ${status}` });
    }
  });

  t.test('httpCheck: expectStatus as a number, a list or a predicate', async (t) => {
    reply.status = 418;
    await t.resolves(once(httpCheck({ url: upstream.origin, expectStatus: 418 })));
    await t.resolves(once(httpCheck({ url: upstream.origin, expectStatus: [200, 418] })));
    await t.resolves(once(httpCheck({ url: upstream.origin, expectStatus: (s) => s >= 400 })));
    reply.status = 200;
    await t.rejects(once(httpCheck({ url: upstream.origin, expectStatus: 204 })), { message: 'unexpected status 200' });
    await t.rejects(once(httpCheck({ url: upstream.origin, expectStatus: [201, 202] })), { message: 'unexpected status 200' });
  });

  t.test('httpCheck: expectBody as a string, a RegExp or a predicate', async (t) => {
    await t.resolves(once(httpCheck({ url: upstream.origin, expectBody: 'all good' })));
    await t.resolves(once(httpCheck({ url: upstream.origin, expectBody: /^ok:/ })));
    const global = /good/g;
    const check = httpCheck({ url: upstream.origin, expectBody: global });
    await t.resolves(once(check));
    await t.resolves(once(check), 'a global RegExp keeps no lastIndex between runs');
    await t.resolves(once(httpCheck({ url: upstream.origin, expectBody: (b) => b.length === 12 })));
    await t.rejects(once(httpCheck({ url: upstream.origin, expectBody: 'degraded' })), {
      message: 'status 200, body did not match',
    });
    await t.rejects(once(httpCheck({ url: upstream.origin, expectBody: /^down/ })), { message: /body did not match/ });
    await t.rejects(once(httpCheck({ url: upstream.origin, expectBody: () => false })), { message: /body did not match/ });
    reply.body = `${'x'.repeat(100)}needle`;
    await t.rejects(once(httpCheck({ url: upstream.origin, expectBody: 'needle', maxBodyBytes: 50 })), {
      message: /body did not match/,
    });
  });

  t.test('httpCheck: method, headers, and the requested URL', async (t) => {
    const before = upstream.requests.length;
    await once(httpCheck({ url: `${upstream.origin}/status?x=1`, method: 'HEAD', headers: { 'x-probe': 'probekit' } }));
    const req = upstream.requests[before]!;
    t.equal(req.method, 'HEAD');
    t.equal(req.url, '/status?x=1');
    t.equal(req.headers['x-probe'], 'probekit');
  });

  t.test('httpCheck: the signal aborts a slow upstream', async (t) => {
    reply.stall = 'headers';
    const ac = new AbortController();
    const run = once(httpCheck({ url: upstream.origin }), ac.signal);
    const seen = upstream.requests.length;
    await waitFor(() => upstream.requests.length > seen, 'the upstream to get the request');
    const req = upstream.requests.at(-1)!;
    const closed = new Promise<void>((resolve) => req.socket.once('close', () => resolve()));
    ac.abort(new CheckTimeoutError(100));
    await t.rejects(run, CheckTimeoutError, 'rejects with the abort reason');
    await closed;
    t.pass('the connection to the upstream was closed');
  });

  t.test('httpCheck: the signal aborts a body that stalls while expectBody reads it', async (t) => {
    reply.stall = 'body';
    const ac = new AbortController();
    const run = once(httpCheck({ url: upstream.origin, expectBody: 'all good' }), ac.signal);
    await waitFor(() => stalled.length > 0, 'the upstream to stall');
    ac.abort(new CheckTimeoutError(100));
    await t.rejects(run, CheckTimeoutError);
    for (const res of stalled.splice(0)) res.destroy();
  });

  t.test('httpCheck: a slow upstream fails the check on timeout (real timers)', async (t) => {
    reply.stall = 'headers';
    const health = registry([
      httpCheck({ name: 'slow', url: upstream.origin, interval: 1000, timeout: 100, failureThreshold: 1 }),
    ]);
    const failed = nextEvent<TransitionEvent>(health, 'transition', (e) => e.to === 'fail');
    health.start();
    const e = await failed;
    t.type(e.error, CheckTimeoutError);
    t.equal(health.snapshot().checks.slow!.error, 'timed out after 100 ms');
    await health.stop();
    for (const res of stalled.splice(0)) res.destroy();
  });

  t.test('httpCheck: connection refused is fatal', async (t) => {
    const port = await closedPort();
    const err = (await once(httpCheck({ url: `http://127.0.0.1:${port}/` })).catch((e: unknown) => e)) as Error & {
      code?: string;
    };
    t.type(err, Error);
    t.equal(err.code, 'ECONNREFUSED');
    t.ok(isConnectionError(err));
    t.notMatch(err.message, /fetch failed/, 'the network error, not fetch’s generic one');
    const health = registry([httpCheck({ name: 'down', url: `http://127.0.0.1:${port}/`, interval: 1000, failureThreshold: 5 })]);
    const failed = nextEvent<TransitionEvent>(health, 'transition', (e) => e.to === 'fail');
    health.start();
    await failed;
    t.equal(health.snapshot().checks.down!.consecutiveFailures, 1, 'failed on the first run, ignoring failureThreshold 5');
    await health.stop();
  });

  t.test('httpCheck: a URL with credentials is refused at creation, without showing the password', async (t) => {
    const port = await closedPort();
    t.throws(() => httpCheck({ url: `http://user:pa55@127.0.0.1:${port}/` }), InvalidOptionError);
    try {
      httpCheck({ url: `http://user:pa55@127.0.0.1:${port}/` });
    } catch (err) {
      t.notMatch((err as Error).message, /pa55/);
      t.match((err as Error).message, /without credentials/);
    }
  });

  t.test('httpCheck: options are validated at creation', async (t) => {
    const bad: [string, unknown][] = [
      ['missing url', {}],
      ['relative url', { url: '/health' }],
      ['non-http url', { url: 'ftp://127.0.0.1/' }],
      ['bad expectStatus', { url: 'http://127.0.0.1/', expectStatus: '200' }],
      ['bad expectStatus list', { url: 'http://127.0.0.1/', expectStatus: ['200'] }],
      ['bad expectBody', { url: 'http://127.0.0.1/', expectBody: 42 }],
    ];
    for (const [what, options] of bad) {
      t.throws(() => httpCheck(options as never), InvalidOptionError, what);
    }
    const check = httpCheck({ url: 'http://127.0.0.1/', interval: 1000, critical: false });
    t.match(check, { name: 'http', interval: 1000, critical: false });
    t.notOk('url' in check, 'the factory options stay out of the check');
    t.equal(httpCheck({ url: new URL('http://127.0.0.1/'), name: 'api' }).name, 'api');
  });
});

t.test('tcpCheck: connects to a listener and closes the connection', async (t) => {
  const server = await startTcpUpstream();
  t.teardown(() => server.close());
  await t.resolves(once(tcpCheck({ host: '127.0.0.1', port: server.port })));
  t.equal(server.accepted(), 1);
  await waitFor(() => server.sockets.size === 0, 'the check to close its connection');
  const health = registry([tcpCheck({ name: 'tcp', host: '127.0.0.1', port: server.port, interval: 1000 })]);
  const passed = nextEvent<TransitionEvent>(health, 'transition', (e) => e.to === 'pass');
  health.start();
  await passed;
  await health.stop();
});

t.test('tcpCheck: connection refused is fatal', async (t) => {
  const port = await closedPort();
  const err = (await once(tcpCheck({ host: '127.0.0.1', port })).catch((e: unknown) => e)) as Error & { code?: string };
  t.equal(err.code, 'ECONNREFUSED');
  t.ok(isConnectionError(err));
  const health = registry([tcpCheck({ name: 'tcp', host: '127.0.0.1', port, interval: 1000, failureThreshold: 5 })]);
  const failed = nextEvent<TransitionEvent>(health, 'transition', (e) => e.to === 'fail');
  health.start();
  await failed;
  t.equal(health.snapshot().checks.tcp!.consecutiveFailures, 1);
  await health.stop();
});

t.test('tcpCheck: an abort (timeout) destroys the socket and rejects with the reason', async (t) => {
  const server = await startTcpUpstream();
  t.teardown(() => server.close());
  const ac = new AbortController();
  const run = once(tcpCheck({ host: '127.0.0.1', port: server.port }), ac.signal);
  ac.abort(new CheckTimeoutError(50));
  await t.rejects(run, CheckTimeoutError);
  await waitFor(() => server.sockets.size === 0, 'no connection left open');
  const pre = new AbortController();
  pre.abort(new CheckTimeoutError(10));
  const before = server.accepted();
  await t.rejects(
    once(tcpCheck({ host: '127.0.0.1', port: server.port }), pre.signal),
    CheckTimeoutError,
    'an aborted signal rejects',
  );
  t.equal(server.accepted(), before, 'without connecting');
});

t.test('tcpCheck: options are validated at creation', async (t) => {
  for (const options of [
    { port: 80 },
    { host: '', port: 80 },
    { host: 'h', port: 0 },
    { host: 'h', port: 65536 },
    { host: 'h', port: 1.5 },
  ]) {
    t.throws(() => tcpCheck(options as never), InvalidOptionError, JSON.stringify(options));
  }
  t.match(tcpCheck({ host: 'h', port: 1, timeout: 100, interval: 500 }), { name: 'tcp', timeout: 100, interval: 500 });
});

/** Keeps the event loop busy for `ms`. */
function block(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // busy-wait on purpose: this is the event-loop delay the check must see
  }
}

t.test('eventLoopCheck: passes on an idle loop and reports observedValue in ms', async (t) => {
  const check = eventLoopCheck({ maxDelayMs: 200, resolution: 10 });
  t.match(check, { name: 'event-loop', probes: ['live'] });
  t.same(await once(check), { observedValue: 0, observedUnit: 'ms' }, 'the first run starts sampling');
  await new Promise((resolve) => setTimeout(resolve, 50));
  const result = (await once(check)) as { observedValue: number; observedUnit: string };
  t.equal(result.observedUnit, 'ms');
  t.type(result.observedValue, 'number');
  t.ok(result.observedValue >= 0 && result.observedValue < 200, `observed ${result.observedValue} ms`);
  await check.close?.();
});

t.test('eventLoopCheck: a busy-wait longer than maxDelayMs fails the check', async (t) => {
  const check = eventLoopCheck({ maxDelayMs: 100, resolution: 10 });
  await once(check);
  await new Promise((resolve) => setTimeout(resolve, 20));
  block(400);
  // Let the histogram's timer fire (late) and record the delay.
  await new Promise((resolve) => setTimeout(resolve, 20));
  await t.rejects(once(check), { message: /^event loop delay p99 \d+(\.\d+)? ms exceeds 100 ms$/ });
  await check.close?.();
});

t.test('eventLoopCheck: a block that ends just as the run starts, before the histogram ticks, fails the check', async (t) => {
  const check = eventLoopCheck({ maxDelayMs: 100, resolution: 10 });
  await once(check);
  await new Promise((resolve) => setTimeout(resolve, 30));
  // The run reads right after the block, in the same turn: the histogram's timer has not recorded it yet.
  block(300);
  await t.rejects(once(check), { message: /exceeds 100 ms$/ });
  await new Promise((resolve) => setTimeout(resolve, 30));
  const after = (await once(check)) as { observedValue: number };
  t.ok(after.observedValue < 100, `the next interval is clean again (${after.observedValue} ms)`);
  await check.close?.();
});

t.test('eventLoopCheck: a block that starts right after a run, before the first tick, fails the next run', async (t) => {
  const check = eventLoopCheck({ maxDelayMs: 100, resolution: 10 });
  await once(check);
  await new Promise((resolve) => setTimeout(resolve, 30));
  await once(check);
  block(300);
  await new Promise((resolve) => setTimeout(resolve, 30));
  await t.rejects(once(check), { message: /exceeds 100 ms$/ });
  await check.close?.();
});

t.test('eventLoopCheck: through the registry, the live probe fails and recovers', async (t) => {
  const health = registry([eventLoopCheck({ maxDelayMs: 100, resolution: 10, interval: 200, failureThreshold: 1 })]);
  const passed = nextEvent<TransitionEvent>(health, 'transition', (e) => e.to === 'pass');
  health.start();
  await passed;
  t.equal(health.snapshot().checks['event-loop']!.observedUnit, 'ms');
  const failed = nextEvent<TransitionEvent>(health, 'transition', (e) => e.to === 'fail');
  await new Promise((resolve) => setTimeout(resolve, 20));
  block(400);
  await failed;
  t.equal(health.report('live').statusCode, 503);
  t.match(health.snapshot().checks['event-loop']!.error, /exceeds 100 ms/);
  await nextEvent<TransitionEvent>(health, 'transition', (e) => e.to === 'pass');
  const c = health.snapshot().checks['event-loop']!;
  t.type(c.observedValue, 'number');
  t.equal(c.observedUnit, 'ms');
  await health.stop();
});

t.test('eventLoopCheck: options are validated; close() stops sampling', async (t) => {
  for (const options of [
    { maxDelayMs: 0 },
    { maxDelayMs: -1 },
    { percentile: 0 },
    { percentile: 101 },
    { resolution: 0 },
    { resolution: 1.5 },
  ]) {
    t.throws(() => eventLoopCheck(options), InvalidOptionError, JSON.stringify(options));
  }
  t.match(eventLoopCheck({ probes: ['ready'], name: 'loop' }), { name: 'loop', probes: ['ready'] });
  const check = eventLoopCheck();
  await once(check);
  await check.close?.();
  t.same(await once(check), { observedValue: 0, observedUnit: 'ms' }, 'sampling restarts after close');
  await check.close?.();
});
