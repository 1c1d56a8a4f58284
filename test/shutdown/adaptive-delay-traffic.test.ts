// The adaptive shutdown delay on real servers, on each adapter: what counts as traffic. A path that merely starts with
// the status page's path (`/healthcare/orders` beside `/health`) is traffic and keeps the delay going until it has
// been quiet; probes, the status page, metrics scrapes (`User-Agent: Prometheus/...`, or the Fastify `metrics` path)
// are not, so the drain starts `quiet` ms after the signal while they keep coming.
import { setTimeout as sleep } from 'node:timers/promises';
import Fastify from 'fastify';
import t from 'tap';
import probekit from '../../src/fastify/index.js';
import { createHealth, type Health } from '../../src/health.js';
import { ADAPTERS } from '../helpers/adapters.js';
import { request } from '../helpers/http-client.js';
import { type RecordingLogger, recordingLogger } from '../helpers/logger.js';
import { waitFor } from '../helpers/wait.js';

// `quiet` 1 s from the signal; `max` far enough that "stopped at max" and "stopped at quiet" never meet.
const shutdown = { delay: { min: 0, max: 10_000, quiet: 1000 }, timeout: 20_000, exit: false, signals: ['SIGUSR2'] as const };

interface DelayLine {
  delayMs: number;
  delayReason: string;
  requests: number;
  lastRequestMs: number | null;
}

function delayLine(log: RecordingLogger): DelayLine | undefined {
  return log.entries.find((e) => e.msg?.includes('shutdown delay over'))?.obj as DelayLine | undefined;
}

/**
 * Starts the shutdown, then sends `send` requests every 100 ms for `forMs` (or until the delay is over), and
 * resolves with what the delay log line says.
 */
async function shutdownUnder(
  health: Health,
  log: RecordingLogger,
  base: string,
  forMs: number,
  send: { path: string; headers?: Record<string, string> }[],
): Promise<{ line: DelayLine; sent: number }> {
  const done = health.shutdown('test');
  const until = Date.now() + forMs;
  let sent = 0;
  while (Date.now() < until && delayLine(log) === undefined) {
    for (const r of send) {
      // After the drain began, the server refuses: the loop then ends on the log line.
      await request(base, r.path, { headers: r.headers ?? {}, timeout: 2000 }).then(
        () => sent++,
        () => {},
      );
    }
    await sleep(100);
  }
  await waitFor(() => delayLine(log) !== undefined, 'the delay to end', 15_000, 20);
  await done;
  return { line: delayLine(log) as DelayLine, sent };
}

for (const [name, serve] of Object.entries(ADAPTERS)) {
  t.test(`${name}: requests to /healthcare/orders beside a status page at /health are traffic`, async (t) => {
    const log = recordingLogger();
    const health = createHealth({ shutdown, logger: log });
    const base = await serve(t, health, { statusPage: true });
    // 1.5 s of traffic, then silence: the drain waits for 1 s of quiet after the last request.
    const { line, sent } = await shutdownUnder(health, log, base, 1500, [{ path: '/healthcare/orders' }]);
    t.ok(sent >= 5, `requests got answers during the delay (${sent})`);
    t.equal(line.delayReason, 'quiet');
    t.ok(line.requests >= sent, `every one counted (${line.requests} of ${sent})`);
    t.ok(line.lastRequestMs !== null && line.lastRequestMs >= 1000, `the last came late (${line.lastRequestMs} ms)`);
    t.ok(
      line.delayMs >= (line.lastRequestMs ?? 0) + 900,
      `the drain waited for quiet after it (${line.delayMs} ms, last request at ${line.lastRequestMs} ms)`,
    );
  });

  t.test(`${name}: probes, the status page and Prometheus scrapes are not traffic`, async (t) => {
    const log = recordingLogger();
    const health = createHealth({ shutdown, logger: log });
    const base = await serve(t, health, { statusPage: true });
    const prometheus = { 'user-agent': 'Prometheus/2.53.0' };
    const { line, sent } = await shutdownUnder(health, log, base, 4000, [
      { path: '/ready' },
      { path: '/live/any-check' },
      { path: '/health' },
      { path: '/health/status.css' },
      { path: '/healthcare/orders', headers: prometheus },
      { path: '/metrics', headers: prometheus },
      { path: '/orders', headers: { 'user-agent': 'kube-probe/1.31' } },
    ]);
    t.ok(sent >= 7, `they got answers during the delay (${sent})`);
    t.equal(line.requests, 0, 'none counted');
    t.equal(line.delayReason, 'quiet');
    // 1 s expected; had one counted, the delay would have run to 1 s after the sending stopped (>= 4 s).
    t.ok(line.delayMs < 3000, `the drain started after quiet ms, while they kept coming (${line.delayMs} ms)`);
  });
}

t.test('fastify: scrapes of the metrics path are not traffic, whatever their User-Agent', async (t) => {
  const log = recordingLogger();
  const app = Fastify({ logger: false });
  await app.register(probekit, { shutdown, logger: log, metrics: { path: '/internal/metrics' } });
  t.teardown(() => app.close());
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  const { line, sent } = await shutdownUnder(app.health, log, base, 4000, [
    { path: '/internal/metrics', headers: { 'user-agent': 'vmagent/1.100' } },
  ]);
  t.ok(sent >= 5, `scrapes got answers during the delay (${sent})`);
  t.equal(line.requests, 0, 'none counted');
  t.ok(line.delayMs < 3000, `the drain started after quiet ms (${line.delayMs} ms)`);
});

t.test('attach(): metricsPath is validated', async (t) => {
  const health = createHealth({ shutdown: false, logger: recordingLogger() });
  const { createServer } = await import('node:http');
  for (const bad of ['metrics', '/metrics/', 5, '']) {
    t.throws(
      () => health.attach(createServer(), { metricsPath: bad as string }),
      { code: 'PROBEKIT_ERR_OPTION_INVALID', message: /metricsPath/ },
      JSON.stringify(bad),
    );
  }
});
