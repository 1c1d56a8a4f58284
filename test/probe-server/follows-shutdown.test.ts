// The probe server follows the registry: readiness fails at the shutdown signal, and the server goes away when
// the registry stops.
import t from 'tap';
import { get, probeBase, until, withProbeServer } from './helpers.js';

t.test('/ready answers 503 at the shutdown signal, and the server closes when the sequence ends', async (t) => {
  const health = withProbeServer(t, {
    checks: [{ name: 'db', interval: 60_000, run: async () => {} }],
    shutdown: { exit: false, signals: ['SIGUSR2'], delay: 1500 },
  });
  const probe = await probeBase(health);
  health.start();
  await until(async () => (await get(probe, '/ready')).statusCode === 200, 'ready');
  const done = health.shutdown();
  const started = Date.now();
  await until(async () => (await get(probe, '/ready')).statusCode === 503, 'readiness to fail', 1000);
  t.ok(Date.now() - started < 1000, 'within the delay');
  t.equal(JSON.parse((await get(probe, '/ready')).body).reason, 'shutting down', 'reason shutting down');
  t.equal((await get(probe, '/live')).statusCode, 200, 'liveness untouched during the delay');
  await done;
  await t.rejects(get(probe, '/live'), { code: 'ECONNREFUSED' }, 'closed with the registry');
});

t.test('stop() closes the probe server', async (t) => {
  const health = withProbeServer(t);
  const probe = await probeBase(health);
  t.equal((await get(probe, '/live')).statusCode, 200, 'answers before start()');
  await health.stop();
  await t.rejects(get(probe, '/live'), { code: 'ECONNREFUSED' }, 'refused after stop()');
  await health.stop();
  t.pass('stop() twice is harmless');
});
