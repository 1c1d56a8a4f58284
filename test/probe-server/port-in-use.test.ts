// A probe server port that is taken: a clear error, logged and on `listening`, never a crash; the app's own
// answers keep working.
import { createServer } from 'node:net';
import t from 'tap';
import { createHealth, ProbeServerError } from '../../src/index.js';
import { recordingLogger } from '../helpers/logger.js';
import { waitFor } from '../helpers/wait.js';

t.test('EADDRINUSE is logged and rejects `listening`; the registry keeps working', async (t) => {
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  t.teardown(() => taken.close());
  const port = (taken.address() as { port: number }).port;
  const logger = recordingLogger();
  const health = createHealth({ logger, shutdown: false, probeServer: { port, host: '127.0.0.1' } });
  t.teardown(() => health.stop());
  const err = await health.probeServer?.listening.then(
    () => undefined,
    (e: unknown) => e,
  );
  t.type(err, ProbeServerError, 'listening rejects with a ProbeServerError');
  t.match(err, { code: 'PROBEKIT_ERR_PROBE_SERVER_FAILED', syscallCode: 'EADDRINUSE' }, 'with the codes');
  t.match((err as Error).message, `127.0.0.1:${port}`, 'naming the address');
  await waitFor(() => logger.entries.some((e) => e.level === 'error'), 'the error log');
  const logged = logger.entries.filter((e) => e.level === 'error');
  t.equal(logged.length, 1, 'logged once');
  t.match(logged[0]?.msg, /could not listen on 127\.0\.0\.1:\d+: .*EADDRINUSE/, 'a clear message');
  health.start();
  t.equal(health.report('live').statusCode, 200, 'the registry still answers');
  await health.stop();
  t.pass('stop() after the failure resolves');
});

t.test('an app that never reads `listening` gets no unhandled rejection', async (t) => {
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  t.teardown(() => taken.close());
  const port = (taken.address() as { port: number }).port;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  t.teardown(() => process.off('unhandledRejection', onUnhandled));
  const logger = recordingLogger();
  const health = createHealth({ logger, shutdown: false, probeServer: { port, host: '127.0.0.1' } });
  t.teardown(() => health.stop());
  await waitFor(() => logger.entries.some((e) => e.level === 'error'), 'the error log');
  await new Promise((resolve) => setImmediate(resolve));
  t.same(unhandled, [], 'no unhandled rejection');
});
