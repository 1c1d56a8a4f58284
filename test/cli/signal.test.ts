// SIGTERM and SIGINT cancel a probe at once (the kubelet and Docker kill a probe that runs past its timeout).
import { once } from 'node:events';
import t from 'tap';
import { waitFor } from '../helpers/wait.js';
import { ensureBuilt, finished, spawnCli } from './cli.js';
import { silentServer } from './servers.js';

ensureBuilt();

/** Starts a probe that will wait 30 s, waits until its request reached the server, signals it, times the exit. */
async function cancel(args: string[], signal: NodeJS.Signals, reached: () => boolean) {
  const child = spawnCli(args);
  const done = finished(child);
  await once(child, 'spawn');
  await waitFor(reached, 'the probe to reach the server', 10_000);
  const sent = performance.now();
  child.kill(signal);
  const run = await done;
  return { ...run, afterSignalMs: performance.now() - sent };
}

t.test('SIGTERM or SIGINT during the request: exit at once, with the phase in the code', async (t) => {
  const silent = await silentServer();
  t.teardown(() => silent.close());
  const url = `http://127.0.0.1:${silent.port}/live`;
  for (const [signal, mode, code] of [
    ['SIGTERM', 'detailed', 3],
    ['SIGINT', 'detailed', 3],
    ['SIGTERM', 'simple', 1],
  ] as const) {
    const before = silent.received;
    const run = await cancel(['probe', url, '--timeout', '30s', '--exit-codes', mode], signal, () => silent.received > before);
    t.equal(run.code, code, `${signal}, ${mode}: exit ${code}`);
    t.match(run.stderr, new RegExp(`^request cancelled: ${url}: ${signal}\\n$`));
    t.ok(run.afterSignalMs < 1000, `exited ${run.afterSignalMs.toFixed(1)} ms after ${signal} (bound 1000 ms)`);
    t.comment(`${signal} -> exit: ${run.afterSignalMs.toFixed(1)} ms`);
  }
});

t.test('SIGTERM while a gRPC connection waits for the server: connection phase', async (t) => {
  const silent = await silentServer();
  t.teardown(() => silent.close());
  const run = await cancel(
    ['probe', '--grpc', `127.0.0.1:${silent.port}`, '--timeout', '30s', '--exit-codes', 'detailed'],
    'SIGTERM',
    () => silent.received > 0,
  );
  t.equal(run.code, 2, 'no HTTP/2 settings yet: a connection failure');
  t.match(run.stderr, /^connection cancelled: gRPC 127\.0\.0\.1:\d+: SIGTERM\n$/);
  t.ok(run.afterSignalMs < 1000, `exited ${run.afterSignalMs.toFixed(1)} ms after SIGTERM (bound 1000 ms)`);
});
