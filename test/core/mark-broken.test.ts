// `health.markBroken(reason)`: liveness fails with that reason from then on, on the app server, the probe server
// and gRPC's `liveness` service; readiness is not touched; it is logged once.
import t from 'tap';
import { InvalidOptionError } from '../../src/index.js';
import { client, serve } from '../grpc/harness.js';
import { recordingLogger } from '../helpers/logger.js';
import { appBase, get, probeBase, until, withProbeServer } from '../probe-server/helpers.js';

t.test('markBroken fails /live on both servers and gRPC liveness, logged once', async (t) => {
  const logger = recordingLogger();
  const health = withProbeServer(t, { logger, checks: [{ name: 'db', interval: 60_000, run: async () => {} }] });
  const app = await appBase(t, health);
  const probe = await probeBase(health);
  const grpc = client(t, (await serve(t, health)).address);
  health.start();
  await until(async () => (await get(probe, '/ready')).statusCode === 200, 'ready');
  t.same(await grpc.check('liveness'), { status: 'SERVING' }, 'gRPC liveness SERVING before');

  health.markBroken('cache corrupted');
  health.markBroken('something else');
  const main = await get(app, '/live');
  t.equal(main.statusCode, 503, 'app server: /live 503');
  t.same(JSON.parse(main.body), { status: 'fail', reason: 'cache corrupted', checks: {} }, 'with the first reason');
  t.equal((await get(app, '/live?verbose')).body, '[-]broken failed: cache corrupted\nlive check failed\n', 'verbose');
  await until(async () => (await get(probe, '/live')).statusCode === 503, 'the probe server to follow');
  t.equal((await get(probe, '/live')).body, main.body, 'probe server: the same answer');
  t.equal((await get(app, '/ready')).statusCode, 200, 'readiness untouched');
  t.equal((await get(probe, '/ready')).statusCode, 200, 'readiness untouched on the probe server');
  t.equal(health.evaluate('live'), 'fail', 'evaluate(live) fails');
  t.same(await grpc.check('liveness'), { status: 'NOT_SERVING' }, 'gRPC liveness NOT_SERVING');
  const logged = logger.entries.filter((e) => e.msg?.includes('marked broken'));
  t.equal(logged.length, 1, 'logged once');
  t.equal(logged[0]?.level, 'error', 'as an error');
  t.same(logged[0]?.obj, { reason: 'cache corrupted' }, 'with the reason');
});

t.test('markBroken validates its reason', async (t) => {
  const health = withProbeServer(t);
  for (const bad of ['', undefined, 42, null, {}]) {
    t.throws(() => health.markBroken(bad as string), InvalidOptionError, `rejects ${JSON.stringify(bad)}`);
  }
  t.equal(health.evaluate('live'), 'pass', 'a rejected call marks nothing');
});
