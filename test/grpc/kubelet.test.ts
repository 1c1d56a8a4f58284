// The kubelet's native gRPC probe semantics as a test client (see kubelet.ts): the empty service by default, only
// SERVING passes, one deadline of timeoutSeconds for the dial and the RPC together.
import { once } from 'node:events';
import { createServer, type Socket } from 'node:net';
import t from 'tap';
import { waitFor } from '../helpers/wait.js';
import { freePort } from '../shutdown/proc.js';
import { flag, registry, serve } from './harness.js';
import { kubeletProbe } from './kubelet.js';

t.test('readiness (empty service) and liveness probes through a failure, a hold and the shutdown', async (t) => {
  const db = flag('db');
  const health = registry(t, [db.check], { shutdown: { delay: 2000, timeout: 10_000, exit: false, signals: ['SIGUSR2'] } });
  const s = await serve(t, health, { services: { 'shop.Orders': ['db'] } });
  const readiness = () => kubeletProbe({ port: s.port });
  const liveness = () => kubeletProbe({ port: s.port, service: 'liveness' });

  t.match(await readiness(), { result: 'failure', output: /NOT_SERVING/ }, 'not started yet');
  t.match(await liveness(), { result: 'success' }, 'liveness passes while starting');
  health.start();
  await waitFor(() => s.grpc.status('') === 'SERVING', 'ready');
  t.match(await readiness(), { result: 'success', output: 'service is healthy' });
  t.match(await kubeletProbe({ port: s.port, service: 'shop.Orders' }), { result: 'success' }, 'grpc.service set');
  t.match(await kubeletProbe({ port: s.port, service: 'shop.Nobody' }), { result: 'failure', output: /NOT_FOUND/ });

  db.control.ok = false;
  await waitFor(() => s.grpc.status('') === 'NOT_SERVING', 'db to fail');
  t.match(await readiness(), { result: 'failure', output: /NOT_SERVING/ }, 'a failing check');
  t.match(await liveness(), { result: 'success' }, 'does not fail liveness');
  db.control.ok = true;
  await waitFor(() => s.grpc.status('') === 'SERVING', 'db to recover');
  const release = health.hold('warming');
  t.match(await readiness(), { result: 'failure' }, 'a hold');
  release();
  t.match(await readiness(), { result: 'success' });

  const done = health.shutdown('test');
  t.match(await readiness(), { result: 'failure', output: /NOT_SERVING/ }, 'the shutdown: readiness fails at once');
  t.match(await liveness(), { result: 'success' }, 'while liveness passes (no restart during the drain)');
  await done;
  t.match(await readiness(), { result: 'failure', output: /could not connect/ }, 'closed');
});

t.test('one deadline covers the dial and the RPC: a port that accepts but never speaks fails on time', async (t) => {
  const sockets = new Set<Socket>();
  const mute = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
  });
  mute.listen(0, '127.0.0.1');
  await once(mute, 'listening');
  t.teardown(() => {
    for (const socket of sockets) socket.destroy();
    mute.close();
  });
  const port = (mute.address() as { port: number }).port;
  const r = await kubeletProbe({ port, timeoutSeconds: 1 });
  t.equal(r.result, 'failure', r.output);
  t.ok(r.elapsedMs >= 900 && r.elapsedMs < 1900, `failed after ${r.elapsedMs} ms: one deadline of 1 s, not one per step`);
  const closed = await kubeletProbe({ port: await freePort(), timeoutSeconds: 1 });
  t.equal(closed.result, 'failure', `nothing listening: ${closed.output}`);
});
