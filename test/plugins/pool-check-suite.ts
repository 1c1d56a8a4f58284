// One suite for mysqlPoolCheck and postgresPoolCheck against their real servers (test/services): a leaked pool
// fails it while the server is fine, a stopped server keeps it passing while the ready check fails, a healthy pool
// passes, and no fresh connection is left open, counted on the server from a separate admin connection.
import type tap from 'tap';
import { UNREACHABLE_OUTPUT } from '../../src/core/pool-liveness.js';
import type { Check } from '../../src/core/types.js';
import { get, ready, rejectionSpy, startApp, waitFor } from '../helpers/integration.js';
import { type ServerName, startService, stopService } from '../services/services.js';
import { startProxy } from './silent-server.js';

type Tap = Parameters<Parameters<typeof tap.test>[0]>[0];

/** A fresh connection made for the check, with its id on the server. */
export interface Fresh {
  conn: unknown;
  id: number;
}

/** What the suite needs from one database and its client library. */
export interface PoolDriver<P> {
  server: ServerName;
  protocol: 'mysql' | 'postgres';
  target: { host: string; port: number };
  /** The pool check's default name. */
  checkName: string;
  /** A pool of at most `size` connections, on `port` (the server's by default). */
  makePool(size: number, port?: number): P;
  endPool(pool: P): Promise<void>;
  /** Connections the pool handed out and not yet got back, and requests for one that wait. */
  poolCounts(pool: P): { taken: number; waiting: number };
  /** Takes one connection from the pool and never gives it back: an app's leak. */
  leak(pool: P): Promise<void>;
  /** Opens a connection outside any pool (to `port`, the server's by default). */
  connect(port?: number): Promise<Fresh>;
  poolCheck(options: { pool: P; connect: () => unknown } & Partial<Check> & { poolTimeout?: number }): Check;
  readyCheck(options: { pool: P } & Partial<Check>): Check;
  /** Of `ids`, those the server still has a connection for. */
  stillOpen(ids: number[]): Promise<number[]>;
  closeAdmin(): Promise<void>;
}

// Generous budgets: the machine that runs this may be busy, and a fresh connection must fit in its share.
const READY_OPTS = { timeout: 3000, interval: 4000 } as const;
const OPTS = { ...READY_OPTS, poolTimeout: 500 } as const;
const signal = () => new AbortController().signal;

/** Registers the suite's tests on `t` for `driver`. */
export function poolCheckSuite<P>(t: Tap, driver: PoolDriver<P>): void {
  const { checkName: name } = driver;
  /** A `connect` that records every connection it makes. */
  const recording = (port?: number) => {
    const made: Fresh[] = [];
    return {
      made,
      ids: () => made.map((f) => f.id),
      connect: async () => {
        const fresh = await driver.connect(port);
        made.push(fresh);
        return fresh.conn;
      },
    };
  };
  const allClosed = (ids: () => number[]) =>
    waitFor('every fresh connection closed on the server', async () => (await driver.stillOpen(ids())).length === 0, 10_000);

  t.teardown(() => driver.closeAdmin());

  t.test('the server-side count sees an open connection and its end', async (t) => {
    const rec = recording();
    const conn = await rec.connect();
    t.same(await driver.stillOpen(rec.ids()), rec.ids(), 'listed while open');
    await (conn as { end(): Promise<void> }).end();
    await allClosed(rec.ids);
    t.pass('gone once ended');
  });

  t.test('healthy pool: pass, and no fresh connection is opened', async (t) => {
    const pool = driver.makePool(2);
    t.teardown(() => driver.endPool(pool));
    const rec = recording();
    const check = driver.poolCheck({ pool, connect: rec.connect, ...OPTS });
    for (let i = 0; i < 3; i++) t.equal(await check.run(signal()), undefined, `run ${i + 1} passes`);
    t.equal(rec.made.length, 0);
    t.same(driver.poolCounts(pool), { taken: 0, waiting: 0 }, 'the pool got its connection back');
  });

  t.test('a leaked pool (every connection taken, never released) fails the check while the server is fine', async (t) => {
    const rejections = rejectionSpy(t);
    const pool = driver.makePool(2);
    t.teardown(() => driver.endPool(pool));
    await driver.leak(pool);
    await driver.leak(pool);
    const rec = recording();
    const check = driver.poolCheck({ pool, connect: rec.connect, ...OPTS });
    for (let i = 0; i < 3; i++) {
      await t.rejects(
        check.run(signal()),
        { message: `pool broken: timed out after ${OPTS.poolTimeout} ms, while a fresh connection works: a restart helps` },
        `run ${i + 1}`,
      );
    }
    const { waiting } = driver.poolCounts(pool);
    t.ok(waiting <= 1, `at most one request for a pool connection waits, not one per run (${waiting})`);
    t.equal(rec.made.length, 3, 'one fresh connection per run');
    await allClosed(rec.ids);
    t.pass('each fresh connection was closed');

    // The same through an app: /live turns 503, saying why; /ready (the plain check) stays 200.
    const other = driver.makePool(1);
    t.teardown(() => driver.endPool(other));
    const { url } = await startApp(t, [
      driver.poolCheck({ pool, connect: rec.connect, ...OPTS, failureThreshold: 1 }),
      driver.readyCheck({ pool: other, ...READY_OPTS }),
    ]);
    await waitFor('/live 503', async () => (await get(`${url}/live`)).status === 503, 15_000);
    const live = JSON.parse((await get(`${url}/live`)).body);
    t.match(live.checks[name], { status: 'fail', output: /^pool broken: .*a restart helps$/ });
    t.equal((await ready(url)).status, 200, 'the server is fine: ready');
    await allClosed(rec.ids);
    t.same(rejections, [], 'no unhandled rejection');
  });

  t.test('server stopped: the pool check passes (not a liveness matter) while the ready check fails', async (t) => {
    const rejections = rejectionSpy(t);
    const pool = driver.makePool(2);
    t.teardown(() => driver.endPool(pool));
    const rec = recording();
    const poolCheck = driver.poolCheck({ pool, connect: rec.connect, ...OPTS, failureThreshold: 1 });
    const readyCheck = driver.readyCheck({ pool, ...READY_OPTS, failureThreshold: 1 });
    const { url } = await startApp(t, [poolCheck, readyCheck]);
    await waitFor('/ready 200', async () => (await ready(url)).status === 200, 10_000);
    t.equal((await get(`${url}/live`)).status, 200);
    // Other test files use this server too: started again at once, and on teardown should anything throw.
    t.teardown(() => startService(driver.server));
    try {
      await stopService(driver.server);
      t.same(await poolCheck.run(signal()), { output: UNREACHABLE_OUTPUT }, 'one run: pass, with the reason');
      await t.rejects(readyCheck.run(signal()), 'the ready check fails');
      await waitFor('/ready 503', async () => (await ready(url)).status === 503, 15_000);
      // The app's own scheduled run of the pool check comes on its interval, not with the ready check's.
      let live = await get(`${url}/live`);
      await waitFor(
        'a scheduled run of the pool check since the stop',
        async () => {
          live = await get(`${url}/live`);
          return JSON.parse(live.body).checks[name]?.output === UNREACHABLE_OUTPUT;
        },
        15_000,
      );
      t.equal(live.status, 200, '/live stays 200');
      t.match(JSON.parse(live.body).checks[name], { status: 'pass', output: UNREACHABLE_OUTPUT });
    } finally {
      await startService(driver.server);
    }
    await waitFor('/ready 200 again', async () => (await ready(url)).status === 200, 20_000);
    t.equal((await get(`${url}/live`)).status, 200);
    await allClosed(rec.ids);
    t.same(rejections, [], 'no unhandled rejection');
  });

  t.test('a fresh connection whose query hangs is closed at the fresh budget; the run passes in time', async (t) => {
    const pool = driver.makePool(1);
    const proxy = await startProxy({ target: driver.target, protocol: driver.protocol });
    t.teardown(async () => {
      proxy.resume();
      await driver.endPool(pool);
      await proxy.close();
    });
    await driver.leak(pool);
    const made: Fresh[] = [];
    // Connected through the proxy, which then goes silent: the server holds the connection, the query never arrives.
    const connect = async () => {
      const fresh = await driver.connect(proxy.port);
      made.push(fresh);
      proxy.stall();
      return fresh.conn;
    };
    const check = driver.poolCheck({ pool, connect, ...OPTS });
    const started = performance.now();
    t.same(await check.run(signal()), { output: UNREACHABLE_OUTPUT }, 'a fresh connection that does not answer fails');
    t.ok(performance.now() - started < OPTS.timeout, 'within the check timeout');
    t.equal(made.length, 1);
    await allClosed(() => made.map((f) => f.id));
    t.pass('the hung connection is gone from the server');
  });

  t.test('a fresh connection that arrives after the run gave up is closed when it arrives', async (t) => {
    const pool = driver.makePool(1);
    t.teardown(() => driver.endPool(pool));
    await driver.leak(pool);
    let arrive!: () => void;
    const gate = new Promise<void>((r) => {
      arrive = r;
    });
    const made: Fresh[] = [];
    let called = false;
    const connect = async () => {
      called = true;
      await gate;
      const fresh = await driver.connect();
      made.push(fresh);
      return fresh.conn;
    };
    const check = driver.poolCheck({ pool, connect, ...OPTS });
    const ac = new AbortController();
    const run = check.run(ac.signal).catch((e: unknown) => e);
    await waitFor('the fresh attempt started', () => called, 5000);
    ac.abort(new Error('stopped'));
    t.match(await run, { message: 'stopped' }, 'the run ends with its signal');
    arrive();
    await waitFor('the late connection made', () => made.length === 1, 5000);
    await allClosed(() => made.map((f) => f.id));
    t.pass('the late connection is gone from the server');
  });
}
