// The end of a registry's life is one ordered list of participants read phase by phase: announce at the signal, the
// delay, drain, close (hooks, the framework, the check timers, the checks' close hooks), destroy at the deadline.
// Every close runs at most once, whichever of a signal, app.close() or health.close() comes first; a liveness kill
// skips the delay.
import Fastify from 'fastify';
import t from 'tap';
import { InvalidOptionError } from '../../src/core/errors.js';
import type { Participant } from '../../src/core/participant.js';
import probekit from '../../src/fastify/index.js';
import { createHealth, type Health } from '../../src/health.js';
import { recordingLogger } from '../helpers/logger.js';
import { waitFor } from '../helpers/wait.js';

/** A registry whose every participant writes what it does into `steps`. */
function recorded(options: { delay?: number; signals?: NodeJS.Signals[] } = {}) {
  const steps: string[] = [];
  const logger = recordingLogger();
  const health = createHealth({
    logger,
    shutdown: { exit: false, delay: options.delay ?? 0, signals: options.signals ?? ['SIGUSR2'], timeout: 5000 },
    checks: [
      { name: 'db', run: async () => {}, interval: 60_000, timeout: 1000, close: () => void steps.push('close check db') },
    ],
  });
  const participant = (name: string, phase?: Participant['phase']): Participant => ({
    name,
    ...(phase !== undefined && { phase }),
    announce: (trigger) => void steps.push(`announce ${name} (${trigger})`),
    drain: async () => void steps.push(`drain ${name}`),
    close: () => void steps.push(`close ${name}`),
  });
  health.addParticipant(participant('server'));
  health.onShutdown(() => void steps.push('close hook first'), 'first');
  health.addParticipant(participant('framework', 'app'));
  health.onShutdown(() => void steps.push('close hook second'), 'second');
  health.addParticipant(participant('late integration', 'app'));
  return { health, steps, logger };
}

t.test('the documented order: announce, drain, then close by phase (hooks, app, schedule, checks), each LIFO', async (t) => {
  const { health, steps, logger } = recorded();
  health.start();
  const result = await health.shutdown();
  t.equal(result.code, 0);
  t.same(steps, [
    'announce server (manual)',
    'announce framework (manual)',
    'announce late integration (manual)',
    'drain server',
    'drain framework',
    'drain late integration',
    'close hook second',
    'close hook first',
    'close server',
    'close late integration',
    'close framework',
    'close check db',
  ]);
  t.equal(health.isRunning, false, 'the check schedule stopped');
  const started = logger.entries.find((e) => e.msg === 'probekit: shutdown started, readiness failing');
  t.same((started?.obj as { participants?: string[] } | undefined)?.participants, [
    'check schedule',
    'close hook of check db',
    'server',
    'shutdown hook first',
    'framework',
    'shutdown hook second',
    'late integration',
  ]);
  const drained = logger.entries.find((e) => e.msg === 'probekit: connections drained');
  t.same((drained?.obj as { participants?: string[] } | undefined)?.participants, ['server', 'framework', 'late integration']);
});

t.test('a failing step is logged with the participant and the phase; the others still run', async (t) => {
  const { health, steps, logger } = recorded();
  health.addParticipant({
    name: 'broken',
    announce: () => {
      throw new Error('announce broke');
    },
    drain: () => Promise.reject(new Error('drain broke')),
    close: () => {
      throw new Error('close broke');
    },
  });
  const result = await health.shutdown();
  t.equal(result.code, 1, 'a failed step makes the exit code 1');
  t.ok(steps.includes('close check db') && steps.includes('drain server'), 'the others ran');
  const errors = logger.entries.filter((e) => e.level === 'error').map((e) => e.obj as { participant?: string; phase?: string });
  t.match(errors, [
    { participant: 'broken', phase: 'announce' },
    { participant: 'broken', phase: 'drain' },
    { participant: 'broken', phase: 'close' },
  ]);
});

t.test('a liveness kill is not a rollout: /live failing at the signal skips the delay', async (t) => {
  const logger = recordingLogger();
  let live = true;
  const health = createHealth({
    logger,
    shutdown: { exit: false, delay: 4000, timeout: 10_000 },
    checks: [
      {
        name: 'wedged',
        probes: ['live'],
        interval: 60_000,
        timeout: 1000,
        failureThreshold: 1,
        run: async () => {
          if (!live) throw new Error('wedged');
        },
      },
    ],
  });
  let drainedAt = 0;
  health.addParticipant({
    name: 'server',
    drain: async () => {
      drainedAt = Date.now();
    },
  });
  live = false;
  health.start();
  await waitFor(() => health.evaluate('live') === 'fail', '/live to fail');
  const t0 = Date.now();
  const result = await health.shutdown('SIGTERM');
  t.equal(result.code, 0);
  t.ok(drainedAt - t0 < 1000, `drained without the 4 s delay (${drainedAt - t0} ms)`);
  const line = logger.entries.find((e) => (e.obj as { delayReason?: string }).delayReason !== undefined);
  t.match(line?.obj, { delayReason: 'liveness', delayMs: 0 });

  // A passing /live keeps the delay.
  const kept = createHealth({ logger: recordingLogger(), shutdown: { exit: false, delay: 300, timeout: 5000 } });
  const t1 = Date.now();
  await kept.shutdown('SIGTERM');
  t.ok(Date.now() - t1 >= 290, 'the delay is kept while /live passes');
});

/** A Fastify app on `health` with one hook and one participant of each close phase, counting each close. */
async function fastifyApp(health: Health) {
  const counts: Record<string, number> = {};
  const count = (name: string) => () => {
    counts[name] = (counts[name] ?? 0) + 1;
  };
  const app = Fastify({ logger: false });
  await app.register(probekit, { health });
  app.addHook('onClose', async () => count('fastify onClose')());
  health.onShutdown(count('hook'), 'hook');
  health.register({ name: 'cache', run: async () => {}, interval: 60_000, timeout: 1000, close: count('check close') });
  health.addParticipant({ name: 'consumer', phase: 'app', close: count('consumer') });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, counts };
}

const ALL_ONCE = { hook: 1, 'fastify onClose': 1, 'check close': 1, consumer: 1 };

for (const first of ['signal', 'app.close()', 'health.close()'] as const) {
  t.test(`every close runs once when ${first} comes first, then the two others`, async (t) => {
    const health = createHealth({
      logger: recordingLogger(),
      shutdown: { exit: false, delay: 0, signals: ['SIGUSR2'], timeout: 5000 },
    });
    const { app, counts } = await fastifyApp(health);
    const signal = async () => {
      // Once the registry closed it no longer traps signals (a real one would end the process): the sequence is
      // then started the way the signal would have started it.
      if (health.isRunning) {
        process.kill(process.pid, 'SIGUSR2');
        await waitFor(() => health.isShuttingDown, 'the signal to start the shutdown');
      }
      await health.shutdown('SIGUSR2');
    };
    const order = {
      signal: [signal, () => app.close(), () => health.close()],
      'app.close()': [() => app.close(), () => health.close(), signal],
      'health.close()': [() => health.close(), () => app.close(), signal],
    }[first];
    for (const step of order) await step();
    t.same(counts, ALL_ONCE);
    t.equal(health.isRunning, false);
  });
}

t.test('app.close() during the sequence does not close twice, and nothing waits for itself', async (t) => {
  const health = createHealth({ logger: recordingLogger(), shutdown: { exit: false, delay: 200, timeout: 5000 } });
  const { app, counts } = await fastifyApp(health);
  const sequence = health.shutdown();
  const closing = app.close();
  const [result] = await Promise.all([sequence, closing]);
  t.equal(result.code, 0);
  t.same(counts, ALL_ONCE);
});

t.test('addParticipant refuses a bad participant with a clear error', async (t) => {
  const health = createHealth({ logger: recordingLogger(), shutdown: false });
  const bad: unknown[] = [null, {}, { name: '' }, { name: 'x', phase: 'later' }, { name: 'x', drain: 'soon' }];
  for (const p of bad) t.throws(() => health.addParticipant(p as Participant), InvalidOptionError, JSON.stringify(p));
  const leave = health.addParticipant({ name: 'ok', close: () => t.fail('left before closing') });
  leave();
  await health.close();
});
