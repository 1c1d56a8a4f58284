// SIGTERM to a real process with open Watch streams: NOT_SERVING at once (liveness stays SERVING), the streams end
// with OK after the delay, in-flight RPCs finish, and the process exits within the deadline; with an RPC that
// outlasts the deadline, forceShutdown ends it and the exit still comes on time. With Fastify beside it, and alone.
import * as grpc from '@grpc/grpc-js';
import t from 'tap';
import { waitFor } from '../helpers/wait.js';
import { get } from '../shutdown/proc.js';
import { type Child, startFixture } from './child.js';
import { client, type WatchStream } from './harness.js';

/** Starts `/test.Slow/Wait` for `ms` on its own channel; resolves with the gRPC code it ended with, and when. */
function slowCall(t: Tap, address: string, ms: number): Promise<{ code: number; at: number }> {
  const raw = new grpc.Client(address, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
  t.teardown(() => raw.close());
  const identity = (b: Buffer) => b;
  return new Promise((resolve) => {
    raw.makeUnaryRequest('/test.Slow/Wait', identity, identity, Buffer.from(String(ms)), (err) =>
      resolve({ code: err?.code ?? grpc.status.OK, at: Date.now() }),
    );
  });
}

type Tap = { teardown(fn: () => unknown): void };

async function fixture(t: Tap, env: Record<string, string>): Promise<Child> {
  const app = await startFixture(env);
  t.teardown(() => app.kill());
  return app;
}

async function serving(w: WatchStream): Promise<void> {
  await waitFor(() => w.statuses.at(-1) === 'SERVING', 'the stream to report SERVING', 15_000);
}

t.test('Fastify and gRPC on one registry: SIGTERM with open Watch streams, exit 0 within the deadline', async (t) => {
  const delay = 1500;
  const timeout = 10_000;
  const app = await fixture(t, { MODE: 'fastify', SHUTDOWN_DELAY: String(delay), SHUTDOWN_TIMEOUT: String(timeout) });
  const address = `127.0.0.1:${app.grpcPort}`;
  const c = client(t, address);
  const whole = c.watch('');
  const orders = c.watch('shop.Orders');
  const live = c.watch('liveness');
  for (const w of [whole, orders, live]) await serving(w);
  const before = { whole: whole.statuses.length, orders: orders.statuses.length, live: live.statuses.length };
  const slow = slowCall(t, address, delay + 1000);
  await app.waitFor((l) => l.msg === 'slow call started', 5000);
  const t0 = Date.now();
  app.child.kill('SIGTERM');
  await waitFor(
    () => whole.statuses.length > before.whole && orders.statuses.length > before.orders,
    'NOT_SERVING on the streams',
    delay,
  );
  t.equal(whole.statuses.at(-1), 'NOT_SERVING', `'' turned NOT_SERVING ${Date.now() - t0} ms after SIGTERM`);
  t.equal(orders.statuses.at(-1), 'NOT_SERVING', "'shop.Orders' too");
  t.equal((await get(app.httpPort as number, '/ready')).status, 503, '/ready answers 503 meanwhile');
  t.equal((await get(app.httpPort as number, '/live')).status, 200, '/live answers 200');
  t.equal(live.statuses.length, before.live, 'liveness sent nothing: still SERVING');
  t.notOk(whole.isEnded, 'the streams stay open through the delay');
  for (const w of [whole, orders, live]) t.same(await w.ended, { code: grpc.status.OK, details: 'OK' }, 'ended with OK');
  const endedAfter = Date.now() - t0;
  t.ok(endedAfter >= delay - 50, `the streams ended ${endedAfter} ms after SIGTERM, after the delay`);
  const done = await slow;
  t.equal(done.code, grpc.status.OK, 'the RPC in flight finished');
  const exit = await app.exited(timeout + 5000);
  t.equal(exit.code, 0, 'exit code 0');
  t.ok(exit.at - t0 < timeout, `exited ${exit.at - t0} ms after SIGTERM, within the ${timeout} ms deadline`);
  t.ok(exit.at >= done.at, 'after the in-flight RPC');
});

t.test('gRPC only: SIGTERM with open Watch streams and no delay exits 0 at once', async (t) => {
  const app = await fixture(t, { MODE: 'grpc-only', SHUTDOWN_DELAY: '0', SHUTDOWN_TIMEOUT: '20000' });
  const c = client(t, `127.0.0.1:${app.grpcPort}`);
  const streams = Array.from({ length: 20 }, (_, i) => c.watch(i % 2 === 0 ? '' : 'shop.Orders'));
  for (const w of streams) await serving(w);
  const t0 = Date.now();
  app.child.kill('SIGTERM');
  for (const w of streams) t.same(await w.ended, { code: grpc.status.OK, details: 'OK' });
  t.ok(
    streams.every((w) => w.statuses.at(-1) === 'NOT_SERVING'),
    'every stream got NOT_SERVING before its end',
  );
  const exit = await app.exited(10_000);
  t.equal(exit.code, 0, 'exit code 0');
  t.ok(exit.at - t0 < 5000, `exited ${exit.at - t0} ms after SIGTERM: open Watch streams hold nothing up`);
});

t.test('gRPC only: an RPC that outlasts the deadline is cut by forceShutdown, and the exit comes on time', async (t) => {
  const timeout = 3000;
  const app = await fixture(t, { MODE: 'grpc-only', SHUTDOWN_DELAY: '500', SHUTDOWN_TIMEOUT: String(timeout) });
  const address = `127.0.0.1:${app.grpcPort}`;
  const c = client(t, address);
  const w = c.watch('');
  await serving(w);
  const stuck = c.watch('shop.Orders');
  await serving(stuck);
  stuck.call.pause(); // a reader that stopped reading
  const slow = slowCall(t, address, 60_000);
  await app.waitFor((l) => l.msg === 'slow call started', 5000);
  const t0 = Date.now();
  app.child.kill('SIGTERM');
  t.same(await w.ended, { code: grpc.status.OK, details: 'OK' }, 'the Watch stream ended with OK');
  const cut = await slow;
  t.not(cut.code, grpc.status.OK, `the hanging RPC was ended at the deadline (${grpc.status[cut.code]})`);
  const exit = await app.exited(timeout + 5000);
  t.equal(exit.code, 1, 'exit code 1: the deadline passed');
  t.ok(exit.at - t0 < timeout + 2000, `exited ${exit.at - t0} ms after SIGTERM (deadline ${timeout} ms): no hang`);
  const line = await app.waitFor((l) => /did not finish within/.test(l.msg ?? ''), 1000);
  t.match(line, { open: [{ connections: Number }] }, 'the log says what was still open');
});
