// `overload`: readiness answers 503 `overloaded` while the event loop lags, and 200 again once it does not;
// liveness never changes. In-process, with the loop blocked for real.
import t from 'tap';
import { createHealth } from '../../src/index.js';
import { recordingLogger } from '../helpers/logger.js';
import { waitFor } from '../helpers/wait.js';

function spin(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // Busy on purpose: the loop does nothing else.
  }
}

t.test('a lagging loop holds readiness with reason overloaded, then lets it go', async (t) => {
  const logger = recordingLogger();
  const health = createHealth({
    logger,
    shutdown: false,
    overload: { maxEventLoopDelayMs: 100 },
    checks: [{ name: 'db', interval: 60_000, run: async () => {} }],
  });
  t.teardown(() => health.stop());
  health.start();
  await waitFor(() => health.evaluate('ready') === 'pass', 'ready');
  const statuses = new Set<string>();
  health.on('change', () => statuses.add(health.evaluate('live')));
  // Two turns of 400 ms: whichever window of the sampler they fall in, one sees the delay.
  for (let i = 0; i < 2; i++) {
    spin(400);
    await new Promise((resolve) => setImmediate(resolve));
  }
  await waitFor(() => health.evaluate('ready') === 'fail', 'readiness to fail', 5000, 20);
  const body = JSON.parse(health.report('ready').body);
  t.equal(body.reason, 'overloaded', 'reason overloaded');
  t.equal(health.report('live').statusCode, 200, 'liveness 200 while overloaded');
  t.ok(
    logger.entries.some((e) => e.level === 'warn' && e.msg?.includes('overloaded')),
    'logged as a warning',
  );
  await waitFor(() => health.evaluate('ready') === 'pass', 'readiness back', 5000, 20);
  t.equal(health.report('ready').statusCode, 200, 'ready 200 again once the loop is quiet');
  t.same([...statuses], ['pass'], 'liveness never changed');
  t.ok(
    logger.entries.some((e) => e.level === 'info' && e.msg?.includes('no longer overloaded')),
    'the recovery logged',
  );
});

t.test('a quiet loop is never overloaded, and stop() ends the sampling', async (t) => {
  const health = createHealth({
    logger: recordingLogger(),
    shutdown: false,
    overload: { maxEventLoopDelayMs: 200 },
    checks: [{ name: 'db', interval: 60_000, run: async () => {} }],
  });
  health.start();
  await waitFor(() => health.evaluate('ready') === 'pass', 'ready');
  let failed = false;
  health.on('change', () => {
    if (health.evaluate('ready') === 'fail') failed = true;
  });
  await new Promise((resolve) => setTimeout(resolve, 2500));
  t.notOk(failed, 'ready never failed in 2.5 s of a quiet loop');
  await health.stop();
  t.pass('stopped');
});
