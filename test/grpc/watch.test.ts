// Watch through grpc-js's own client: the exact sequence of statuses across a failing and recovering check, a hold
// and the shutdown (NOT_SERVING at once, then the end with OK after the delay, before the server has closed),
// SERVICE_UNKNOWN answered later, a slow reader, 10,000 watch/cancel cycles, and RPC traffic that runs no check.
import { setImmediate as tick } from 'node:timers/promises';
import * as grpc from '@grpc/grpc-js';
import t from 'tap';
import { waitFor } from '../helpers/wait.js';
import { client, flag, received, registry, serve } from './harness.js';

/** A unary method of the app's own that answers after `ms`, to have an RPC in flight during the drain. */
const SLOW = {
  Wait: {
    path: '/test.Slow/Wait',
    requestStream: false,
    responseStream: false,
    requestSerialize: (b: Buffer) => b,
    requestDeserialize: (b: Buffer) => b,
    responseSerialize: (b: Buffer) => b,
    responseDeserialize: (b: Buffer) => b,
  },
} satisfies grpc.ServiceDefinition;

t.test('the exact sequence across a failure, a recovery, a hold and the shutdown', async (t) => {
  const db = flag('db');
  const delay = 400;
  const health = registry(t, [db.check], { shutdown: { delay, timeout: 10_000, exit: false, signals: ['SIGUSR2'] } });
  const s = await serve(t, health, { services: { 'shop.Orders': ['db'], 'shop.Alive': 'live' } });
  s.server.addService(SLOW, {
    Wait: (_call: unknown, cb: grpc.sendUnaryData<Buffer>) => setTimeout(() => cb(null, Buffer.alloc(0)), delay + 600),
  });
  const c = client(t, s.address);
  health.start();
  await waitFor(() => s.grpc.status('') === 'SERVING', 'ready');
  const whole = c.watch('');
  const orders = c.watch('shop.Orders');
  const alive = c.watch('liveness');
  const mappedAlive = c.watch('shop.Alive');
  for (const w of [whole, orders, alive, mappedAlive]) await received(w, 1);

  db.control.ok = false;
  await received(orders, 2);
  db.control.ok = true;
  await received(orders, 3);
  await received(whole, 3);
  const release = health.hold('warming cache');
  const release2 = health.hold('a second hold changes nothing more');
  await received(whole, 4);
  t.equal(orders.statuses.length, 4, 'the hold applies to a mapped service too');
  release();
  release2();
  await received(whole, 5);
  await received(orders, 5);

  const slow = new Promise<{ code: number; at: number }>((resolve) => {
    const raw = new grpc.Client(s.address, grpc.credentials.createInsecure());
    t.teardown(() => raw.close());
    raw.makeUnaryRequest(
      '/test.Slow/Wait',
      (b: Buffer) => b,
      (b: Buffer) => b,
      Buffer.alloc(0),
      (err) => resolve({ code: err?.code ?? 0, at: Date.now() }),
    );
  });
  await waitFor(() => s.grpc.watcherCount === 4, 'the four streams on the server');
  const t0 = Date.now();
  const shutdown = health.shutdown('test').then((r) => ({ ...r, at: Date.now() }));
  await received(whole, 6, 2000);
  await received(orders, 6, 2000);
  const notServingAfter = Date.now() - t0;
  t.ok(notServingAfter < delay, `NOT_SERVING reached the client ${notServingAfter} ms after the signal, within the delay`);
  t.notOk(whole.isEnded, 'the stream stays open through the delay');
  const ended = await whole.ended;
  const endedAt = Date.now();
  t.same(ended, { code: grpc.status.OK, details: 'OK' }, 'then it ends with OK, so that the client re-resolves');
  t.ok(endedAt - t0 >= delay - 20, `after the delay (${endedAt - t0} ms)`);
  const expected = ['SERVING', 'NOT_SERVING', 'SERVING', 'NOT_SERVING', 'SERVING', 'NOT_SERVING'];
  t.same(whole.statuses, expected, "'' : fail, recover, hold, release, shutdown");
  t.same(orders.statuses, expected, "'shop.Orders' (mapped to db): the same");
  t.same(await orders.ended, { code: grpc.status.OK, details: 'OK' });
  t.same(alive.statuses, ['SERVING'], 'liveness stays SERVING through all of it');
  t.same(mappedAlive.statuses, ['SERVING'], 'so does a service mapped to live');
  t.same(await alive.ended, { code: grpc.status.OK, details: 'OK' }, 'and ends with OK too');
  const slowDone = await slow;
  t.equal(slowDone.code, grpc.status.OK, 'the RPC in flight during the drain finished');
  t.ok(endedAt <= slowDone.at, 'the Watch streams ended before the server closed (it was still serving that RPC)');
  const result = await shutdown;
  t.match(result, { code: 0, timedOut: false });
  t.ok(result.at >= slowDone.at, 'the drain waited for it');
  t.equal(s.grpc.watcherCount, 0);
  t.match(await c.check('', 500), { code: grpc.status.UNAVAILABLE }, 'the server has closed');
});

t.test('an unknown service gets SERVICE_UNKNOWN and stays open until the name appears', async (t) => {
  const health = registry(t, [flag('db').check]);
  const s = await serve(t, health);
  const c = client(t, s.address);
  health.start();
  await waitFor(() => s.grpc.status('') === 'SERVING', 'ready');
  const w = c.watch('shop.Later');
  await received(w, 1);
  t.same(w.statuses, ['SERVICE_UNKNOWN']);
  t.notOk(w.isEnded, 'the call is not ended');
  s.grpc.setService('shop.Later', ['db']);
  await received(w, 2);
  s.grpc.setService('shop.Later', 'live');
  s.grpc.removeService('shop.Later');
  await received(w, 3);
  s.grpc.setService('shop.Later', ['nope']);
  await received(w, 4);
  t.same(w.statuses, ['SERVICE_UNKNOWN', 'SERVING', 'SERVICE_UNKNOWN', 'NOT_SERVING'], 'redefining it as SERVING sent nothing');
  t.notOk(w.isEnded);
  w.cancel();
  await waitFor(() => s.grpc.watcherCount === 0, 'the cancel to reach the server');
});

t.test('a slow reader gets the latest status, not a queue of every change', async (t) => {
  const health = registry(t, [flag('db').check]);
  const s = await serve(t, health);
  const c = client(t, s.address);
  health.start();
  await waitFor(() => s.grpc.status('') === 'SERVING', 'ready');
  const w = c.watch('');
  await received(w, 1);
  w.call.pause(); // stops reading: HTTP/2 flow control soon blocks the server's writes
  const changes = 40_000;
  let release: (() => void) | undefined;
  for (let i = 0; i < changes; i++) {
    if (release === undefined) release = health.hold(`hold ${i}`);
    else {
      release();
      release = undefined;
    }
    // One tick per change: each write can complete before the next, so only flow control can hold them back.
    await tick();
  }
  const final = s.grpc.status('');
  w.call.resume();
  await waitFor(() => w.statuses.at(-1) === final && w.statuses.length > 1, 'the latest status to arrive', 20_000);
  // Anything still in flight arrives within a few ticks; none of it is older than the latest status.
  for (let i = 0; i < 50; i++) await tick();
  t.equal(w.statuses.at(-1), final, 'the last status received is the current one');
  t.ok(w.statuses.length < changes / 2, `${w.statuses.length} messages for ${changes} changes: the backlog was dropped`);
  for (let i = 1; i < w.statuses.length; i++) {
    if (w.statuses[i] === w.statuses[i - 1]) t.fail(`the same status twice in a row at ${i}`);
  }
});

t.test('10,000 watch/cancel cycles leave the listener and watcher counts where they started', async (t) => {
  const health = registry(t, [flag('db').check]);
  const s = await serve(t, health, { services: { 'shop.Orders': ['db'] } });
  health.start();
  await waitFor(() => s.grpc.status('') === 'SERVING', 'ready');
  const before = { change: health.listenerCount('change'), watchers: s.grpc.watcherCount };
  const batch = 100;
  const names = ['', 'shop.Orders', 'liveness', 'shop.Nobody'];
  // A fresh connection every 500 cancels: Node's HTTP/2 server closes a session whose client resets streams faster
  // than nghttp2's rapid-reset limit allows (burst 1000, CVE-2023-44487), which is the server protecting itself.
  const fresh = () => client(t, s.address, { 'grpc.use_local_subchannel_pool': 1 });
  let c = fresh();
  for (let done = 0; done < 10_000; done += batch) {
    if (done > 0 && done % 500 === 0) {
      c.raw.close();
      c = fresh();
    }
    const streams = Array.from({ length: batch }, (_, i) => c.watch(names[i % names.length] as string));
    await waitFor(() => streams.every((w) => w.statuses.length === 1), 'every stream to get its first status', 20_000);
    for (const w of streams) w.cancel();
    // Forgotten at once: the server sees each cancel as a stream reset and drops the watcher then.
    await waitFor(() => s.grpc.watcherCount === before.watchers, 'the cancels to reach the server', 10_000);
  }
  t.equal(health.listenerCount('change'), before.change, `'change' listeners: ${before.change} before and after`);
  t.equal(s.grpc.watcherCount, before.watchers, `watchers: ${before.watchers} before and after`);
  t.equal(before.change, 1, 'one listener per grpcHealth, whatever the number of streams');
  const w = c.watch('');
  await received(w, 1);
  t.same(w.statuses, ['SERVING'], 'still answering');
});

t.test('200 concurrent Watch streams and a flood of Check calls start no check run', async (t) => {
  const db = flag('db', { interval: 60_000, timeout: 1000 });
  const health = registry(t, [db.check]);
  const s = await serve(t, health, { services: { 'shop.Orders': ['db'] } });
  const c = client(t, s.address);
  health.start();
  await waitFor(() => s.grpc.status('') === 'SERVING', 'the first run');
  const runs = db.control.runs;
  const streams = Array.from({ length: 200 }, (_, i) => c.watch(i % 2 === 0 ? '' : 'shop.Orders'));
  await waitFor(() => streams.every((w) => w.statuses.length === 1), 'every stream to get its first status', 20_000);
  let answered = 0;
  for (let round = 0; round < 20; round++) {
    const answers = await Promise.all(Array.from({ length: 250 }, (_, i) => c.check(i % 2 === 0 ? '' : 'shop.Orders')));
    answered += answers.filter((a) => 'status' in a && a.status === 'SERVING').length;
  }
  t.equal(answered, 5000, 'every Check answered SERVING');
  t.equal(db.control.runs, runs, `check runs: ${runs} before, ${db.control.runs} after 5,000 Checks and 200 Watch streams`);
  for (const w of streams) w.cancel();
  await waitFor(() => s.grpc.watcherCount === 0, 'the cancels');
});
