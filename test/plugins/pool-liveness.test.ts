// The logic shared by mysqlPoolCheck and postgresPoolCheck, with stand-in pools and connections (no server): the
// three verdicts, the budgets cut from the timeout, and a fresh connection closed in every case.
import t from 'tap';
import { CheckFailedError, InvalidOptionError } from '../../src/core/errors.js';
import { definePoolCheck, type PoolLivenessParts, UNREACHABLE_OUTPUT } from '../../src/core/pool-liveness.js';
import { deferred, waitFor } from '../helpers/wait.js';

/** A stand-in connection that records how it was closed. */
class FakeConn {
  closed: 'no' | 'politely' | 'at once' = 'no';
  constructor(readonly answer: () => Promise<unknown>) {}
}

// The checks' budget timers are unref()'d, as every probe timer is: something must keep this process alive.
const keepAlive = setInterval(() => {}, 1000);
t.teardown(() => clearInterval(keepAlive));

const never = () => new Promise<never>(() => {});

interface Setup {
  pool?: (signal: AbortSignal) => Promise<unknown>;
  connect?: unknown;
  timeout?: number;
  poolTimeout?: number;
}

function make(setup: Setup) {
  const seen: { poolSignals: AbortSignal[]; conns: FakeConn[] } = { poolSignals: [], conns: [] };
  const parts: PoolLivenessParts<FakeConn> = {
    viaPool: (signal) => {
      seen.poolSignals.push(signal);
      return (setup.pool ?? (async () => {}))(signal);
    },
    connect: setup.connect ?? (() => new FakeConn(async () => {})),
    isConnection: (v): v is FakeConn => v instanceof FakeConn,
    connectionKind: 'a fake connection',
    query: (c) => {
      seen.conns.push(c);
      return c.answer();
    },
    close: (c, settled) => {
      c.closed = settled ? 'politely' : 'at once';
    },
  };
  const options = { timeout: setup.timeout ?? 400, interval: 1000, poolTimeout: setup.poolTimeout };
  return { check: definePoolCheck('fakePoolCheck', options, 'fake-pool', parts), seen };
}

/** Parts that are never called: for option checks. */
const stub = (connect: unknown): PoolLivenessParts<FakeConn> => ({
  connect,
  connectionKind: 'a fake connection',
  viaPool: async () => {},
  isConnection: (v): v is FakeConn => v instanceof FakeConn,
  query: async () => {},
  close() {},
});

const run = (check: { run(s: AbortSignal): unknown }, signal = new AbortController().signal) =>
  check.run(signal) as Promise<unknown>;

t.test('defaults: live, never fatal, interval and timeout resolved, budgets from the timeout', async (t) => {
  const { check } = make({});
  t.same(check.probes, ['live']);
  t.equal(check.name, 'fake-pool');
  t.equal(check.timeout, 400);
  t.equal(check.interval, 1000);
  t.equal(check.fatal?.(Object.assign(new Error('x'), { code: 'ECONNREFUSED' })), false);
  const d = definePoolCheck(
    'fakePoolCheck',
    {},
    'fake-pool',
    stub(() => {}),
  );
  t.equal(d.timeout, 2000, 'the default timeout, fixed on the check');
  t.equal(d.interval, 5000);
});

t.test('pool works: pass, no fresh connection', async (t) => {
  let connects = 0;
  const { check } = make({
    connect: () => {
      connects++;
      return new FakeConn(async () => {});
    },
  });
  t.equal(await run(check), undefined);
  t.equal(connects, 0);
});

t.test('pool fails, fresh connection works: fail, saying so; the connection is ended politely', async (t) => {
  const { check, seen } = make({ pool: async () => Promise.reject(new Error('pool is closed')) });
  const err = await run(check).catch((e: unknown) => e);
  t.type(err, CheckFailedError);
  t.match((err as Error).message, /^pool broken: pool is closed, while a fresh connection works: a restart helps$/);
  t.equal(seen.conns.length, 1);
  t.equal(seen.conns[0]?.closed, 'politely');
});

t.test('pool hangs: cut at poolTimeout (half the timeout by default), its signal aborted', async (t) => {
  const { check, seen } = make({ pool: never, timeout: 400 });
  const started = performance.now();
  const err = await run(check).catch((e: unknown) => e);
  const took = performance.now() - started;
  t.match((err as Error).message, /^pool broken: timed out after 200 ms, while a fresh connection works/);
  t.ok(seen.poolSignals[0]?.aborted, 'the pool side was told to give up');
  t.ok(took >= 190, `the pool had its budget (${Math.round(took)} ms)`);
  const custom = make({ pool: never, timeout: 400, poolTimeout: 100 });
  t.match(await run(custom.check).catch((e: unknown) => (e as Error).message), /timed out after 100 ms/);
});

t.test('both fail: pass with the unreachable output; a hung fresh query is cut and destroyed', async (t) => {
  const refused = make({
    pool: async () => Promise.reject(new Error('ECONNREFUSED')),
    connect: async () => Promise.reject(new Error('ECONNREFUSED')),
  });
  t.same(await run(refused.check), { output: UNREACHABLE_OUTPUT });

  const hung = make({ pool: never, connect: () => new FakeConn(never), timeout: 400 });
  const started = performance.now();
  t.same(await run(hung.check), { output: UNREACHABLE_OUTPUT });
  t.ok(performance.now() - started < 400, 'within the timeout: the fresh side has its own budget');
  await waitFor(() => hung.seen.conns[0]?.closed !== 'no', 'the hung connection closed');
  t.equal(hung.seen.conns[0]?.closed, 'at once');

  const throwing = make({
    pool: never,
    connect: () => {
      throw new Error('sync throw');
    },
  });
  t.same(await run(throwing.check), { output: UNREACHABLE_OUTPUT }, 'a connect that throws counts as a failure');
});

t.test('a fresh connection that arrives after the run gave up is closed when it arrives', async (t) => {
  const arrival = deferred<FakeConn>();
  const { check } = make({ pool: never, connect: () => arrival.promise, timeout: 400 });
  t.same(await run(check), { output: UNREACHABLE_OUTPUT }, 'a connect still pending is a failure');
  const late = new FakeConn(async () => {});
  arrival.resolve(late);
  await waitFor(() => late.closed !== 'no', 'the late connection closed');
  t.equal(late.closed, 'at once');
});

t.test("the run's own signal: aborted during the fresh attempt, the run rejects with its reason", async (t) => {
  const arrival = deferred<FakeConn>();
  const { check } = make({ pool: async () => Promise.reject(new Error('broken')), connect: () => arrival.promise });
  const ac = new AbortController();
  const result = run(check, ac.signal).catch((e: unknown) => e);
  await new Promise((r) => setTimeout(r, 20));
  const reason = new Error('stopped');
  ac.abort(reason);
  t.equal(await result, reason);
  const late = new FakeConn(async () => {});
  arrival.resolve(late);
  await waitFor(() => late.closed !== 'no', 'the late connection closed');
  t.equal(late.closed, 'at once');
  const pre = new AbortController();
  pre.abort(reason);
  t.equal(await run(make({}).check, pre.signal).catch((e: unknown) => e), reason, 'already aborted');
});

t.test('a connect that gives no connection fails the run, naming `connect`', async (t) => {
  const { check } = make({ pool: never, connect: () => 'not a connection', timeout: 100 });
  await t.rejects(run(check), { name: 'InvalidOptionError', message: /`connect` to return a fake connection, got `string`$/ });
});

t.test('invalid options', async (t) => {
  const bad: [object, unknown, RegExp][] = [
    [{}, undefined, /fakePoolCheck\(\): Expected `connect` to be a function .*got `undefined`/],
    [{}, 'mysql://u:secret@x', /Expected `connect` to be a function .*got `string`$/],
    [{ timeout: 2, interval: 10 }, () => {}, /Expected `timeout` to be at least 3/],
    [{ poolTimeout: 0 }, () => {}, /Expected `poolTimeout` to be an integer in 1-1799 .*got `0`/],
    [{ poolTimeout: 1800 }, () => {}, /got `1800`/],
    [{ poolTimeout: '500' }, () => {}, /got `"500"`/],
    [{ poolTimeout: 1.5 }, () => {}, /got `1.5`/],
    [{ timeout: 0 }, () => {}, /fakePoolCheck\(\): Expected `timeout` to be a positive integer/],
    [{ timeout: 5000, interval: 5000 }, () => {}, /Expected `timeout` to be < `interval`/],
  ];
  for (const [options, connect, message] of bad) {
    t.throws(() => definePoolCheck('fakePoolCheck', options, 'fake-pool', stub(connect)), InvalidOptionError);
    t.throws(() => definePoolCheck('fakePoolCheck', options, 'fake-pool', stub(connect)), { message });
  }
  const ok = definePoolCheck(
    'fakePoolCheck',
    { interval: 1000 },
    'fake-pool',
    stub(() => {}),
  );
  t.equal(ok.timeout, 500, 'a short interval pulls the timeout down, as for every check');
});
