// postgresCheck against a real PostgreSQL (test/services), seen from a Fastify app's point of view.
import pg from 'pg';
import t from 'tap';
import { postgresCheck } from '../../plugins/postgres.js';
import { CheckTimeoutError, InvalidOptionError } from '../../src/core/errors.js';
import type { TransitionEvent } from '../../src/core/types.js';
import { exclusive } from '../helpers/exclusive.js';
import {
  assertHungQuerySentOnce,
  get,
  probeLoad,
  ready,
  rejectionSpy,
  startApp,
  waitFor,
  waitForReady,
  watchRuns,
} from '../helpers/integration.js';
import { SERVICES, skipReason, startService, stopService } from '../services/services.js';
import { silentServer, startProxy } from './silent-server.js';

// The shared servers it uses are its alone while it runs: test/helpers/exclusive.ts.
await exclusive('postgres');

const DB = SERVICES.postgres;
const CFG = { interval: 500, timeout: 300, failureThreshold: 2 } as const;
// For the probe-load test: 100 clients saturate the app's event loop in this process, beside the other test files,
// and a run can then outlast 300 ms (two did in one CI run): a wider timeout and threshold, the same interval.
const LOADED = { ...CFG, timeout: 450, failureThreshold: 5 } as const;
const FAIL_WITHIN = CFG.interval * CFG.failureThreshold + CFG.timeout + 2000;
const RECOVER_WITHIN = CFG.interval * 1 + 8000;

/** A pool the way an app sets one up: an `error` listener, since pg-pool re-emits idle clients' errors. */
function makePool(options: pg.PoolConfig): pg.Pool {
  const pool = new pg.Pool({ ...DB, max: 3, connectionTimeoutMillis: 3000, ...options });
  pool.on('error', () => {});
  return pool;
}

t.test('options', async (t) => {
  const pool = makePool({});
  t.teardown(() => pool.end());
  const client = new pg.Client(DB);
  const check = postgresCheck({ pool, timeout: 100, failureThreshold: 5 });
  t.equal(check.name, 'postgres');
  t.equal(check.timeout, 100);
  t.equal(check.failureThreshold, 5);
  t.equal(postgresCheck({ pool: client, name: 'pg' }).name, 'pg');
  const bads = [undefined, null, {}, { pool: 'postgres://user:secret@host/db' }, { pool: {} }, { pool, query: ' ' }];
  bads.forEach((bad, i) => {
    t.throws(() => postgresCheck(bad as never), InvalidOptionError, `bad options #${i}`);
  });
  t.throws(() => postgresCheck({ pool: 'postgres://user:secret@host/db' as never }), { message: /got `string`/ });
});

const reason = await skipReason(['postgres']);
if (reason) {
  t.skip(reason, async () => {});
} else {
  t.test('a Pool and a Client both pass; the pool gets its client back', async (t) => {
    const pool = makePool({});
    const client = new pg.Client(DB);
    await client.connect();
    t.teardown(async () => {
      await pool.end();
      await client.end();
    });
    await postgresCheck({ pool }).run(new AbortController().signal);
    await postgresCheck({ pool: client, query: 'SELECT 2' }).run(new AbortController().signal);
    t.equal(pool.totalCount, 1);
    t.equal(pool.idleCount, 1, 'released');
  });

  t.test('credentials never show in the output', async (t) => {
    const secret = 'sekrit-Pw-4711';
    const pool = makePool({ password: secret });
    t.teardown(() => pool.end());
    const { url } = await startApp(t, [postgresCheck({ pool, ...CFG })]);
    await waitFor('the check fails', async () => (await ready(url)).json.checks.postgres?.status === 'fail', FAIL_WITHIN);
    const r = await get(`${url}/ready`);
    t.match(JSON.parse(r.body).checks.postgres.output, /^28P01: password authentication failed/);
    t.notMatch(r.body, secret);
  });

  t.test('server stopped and started again', async (t) => {
    const rejections = rejectionSpy(t);
    const pool = makePool({});
    t.teardown(() => pool.end());
    const { url } = await startApp(t, [postgresCheck({ pool, ...CFG })], () => pool.query('SELECT 2 AS two'));
    await waitForReady(url, 200, 5000);
    t.equal((await ready(url)).json.checks.postgres?.status, 'pass', 'healthy server: pass');
    try {
      await stopService('postgres');
      const failMs = await waitForReady(url, 503, FAIL_WITHIN);
      t.pass(`503 ${failMs} ms after the server stopped`);
      const down = (await ready(url)).json.checks.postgres;
      t.match(down, { status: 'fail', output: /ECONNREFUSED/ }, 'connection refused (fatal: no threshold wait)');
      t.equal((await get(`${url}/hello`, 1000)).status, 200, 'the app keeps serving other routes');
    } finally {
      await startService('postgres');
    }
    const upMs = await waitForReady(url, 200, RECOVER_WITHIN);
    t.pass(`200 again ${upMs} ms after the server started`);
    t.equal((await get(`${url}/work`)).status, 200, 'the app runs its own query');
    t.same(rejections, [], 'no unhandled rejection');
  });

  t.test('hung server: the run times out, the client is dropped from the pool, the pool stays usable', async (t) => {
    const rejections = rejectionSpy(t);
    const proxy = await startProxy({ target: DB, protocol: 'postgres' });
    const pool = makePool({ port: proxy.port });
    t.teardown(async () => {
      proxy.resume();
      await pool.end();
      await proxy.close();
    });
    const { check, log } = watchRuns(postgresCheck({ pool, ...CFG }));
    const { app, url } = await startApp(t, [check], () => pool.query('SELECT 2 AS two'));
    const transitions: TransitionEvent[] = [];
    app.health.on('transition', (e: TransitionEvent) => transitions.push(e));
    await waitForReady(url, 200, 5000);

    const runsBefore = log.runs;
    let maxPool = 0;
    const sampler = setInterval(() => {
      maxPool = Math.max(maxPool, pool.totalCount);
    }, 20);
    try {
      proxy.stall();
      await waitForReady(url, 503, FAIL_WITHIN + CFG.timeout);
      t.equal(transitions.at(-1)?.to, 'fail');
      t.equal(transitions.at(-1)?.error?.message, `timed out after ${CFG.timeout} ms`);
      await waitFor('four more runs', () => log.runs >= runsBefore + 6, 6 * (CFG.interval + CFG.timeout) + 2000);
      t.equal((await ready(url)).json.checks.postgres?.output, `timed out after ${CFG.timeout} ms`);
      t.ok(
        log.signals.slice(runsBefore, -1).every((s) => s.aborted && s.reason instanceof CheckTimeoutError),
        'every run against the hung server had its signal aborted by the timeout',
      );
    } finally {
      clearInterval(sampler);
      proxy.resume();
    }
    t.equal(log.maxInFlight, 1, 'at most one run in flight');
    t.ok(maxPool <= 1, `the check held at most one pool client (max ${maxPool} of 3)`);
    const upMs = await waitForReady(url, 200, RECOVER_WITHIN);
    t.pass(`200 again ${upMs} ms after the server answered again`);
    t.equal((await get(`${url}/work`)).status, 200, 'the app can still run its own query');
    t.same(rejections, [], 'no unhandled rejection');
  });

  t.test('a server that accepts and never answers: one checkout, not one per run', async (t) => {
    const silent = await silentServer();
    const pool = makePool({ port: silent.port, connectionTimeoutMillis: 10_000 });
    const { check, log } = watchRuns(postgresCheck({ pool, ...CFG }));
    const { url, close } = await startApp(t, [check]);
    try {
      await waitForReady(url, 503, FAIL_WITHIN + CFG.timeout);
      await waitFor('five runs', () => log.runs >= 5, 5 * (CFG.interval + CFG.timeout) + 2000);
      t.equal((await ready(url)).json.checks.postgres?.output, `timed out after ${CFG.timeout} ms`);
      t.equal(log.maxInFlight, 1, 'at most one run in flight');
      t.equal(silent.accepted, 1, 'the pending connection attempt was shared, not repeated');
      t.equal(pool.totalCount, 1, 'the pool holds that one attempt only');
    } finally {
      await close();
      await silent.close();
      await pool.end().catch(() => {});
    }
  });

  t.test('a single Client is never closed; a hung query is not sent twice', async (t) => {
    const proxy = await startProxy({ target: DB, protocol: 'postgres', match: (sql) => sql === 'SELECT 1' });
    const client = new pg.Client({ ...DB, port: proxy.port });
    await client.connect();
    t.teardown(async () => {
      proxy.resume();
      await client.end();
      await proxy.close();
    });
    await assertHungQuerySentOnce(t, postgresCheck({ pool: client }), proxy);
    t.same((await client.query('SELECT 3 AS three')).rows, [{ three: 3 }], 'the client still works');
  });

  t.test('100 concurrent probe requests for 5 s: one query per interval reaches the server', async (t) => {
    const proxy = await startProxy({ target: DB, protocol: 'postgres', match: (sql) => sql === 'SELECT 1' });
    const pool = makePool({ port: proxy.port });
    t.teardown(async () => {
      await pool.end();
      await proxy.close();
    });
    const { check, log } = watchRuns(postgresCheck({ pool, ...LOADED }));
    const { url } = await startApp(t, [check]);
    await waitForReady(url, 200, 5000);
    const queries0 = proxy.count;
    const runs0 = log.runs;
    const load = await probeLoad(url, '/ready', 100, 5000);
    const queries = proxy.count - queries0;
    const runs = log.runs - runs0;
    t.equal(load.errors, 0, `no client error (${load.errors}: ${load.errorSample.join('; ')})`);
    t.equal(load.statuses[200], load.requests, `${load.requests} probe requests, all 200`);
    // No query but the runs' own (a run that timed out before its query left sent none).
    t.ok(queries <= runs + 1 && queries >= 3, `${queries} queries reached the server for ${runs} runs`);
    t.ok(runs >= 3 && runs <= 5000 / CFG.interval + 1, `${runs} runs in 5 s at a ${CFG.interval} ms interval`);
  });
}
