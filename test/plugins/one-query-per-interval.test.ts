// One check command per interval, whatever the probe traffic: under 5 s of 100 concurrent probe requests against real
// MariaDB and Redis, the servers themselves count one check command per check interval (MariaDB's Com_select, Redis'
// INFO commandstats), not one per probe hit.
import { Redis } from 'ioredis';
import mysql from 'mysql2/promise';
import t from 'tap';
import { mysqlCheck } from '../../plugins/mysql.js';
import { redisCheck } from '../../plugins/redis.js';
import { exclusive } from '../helpers/exclusive.js';
import { probeLoad, startApp, waitFor, waitForReady, watchRuns } from '../helpers/integration.js';
import { SERVICES, skipReason } from '../services/services.js';

// The shared servers it uses are its alone while it runs: test/helpers/exclusive.ts.
await exclusive('mariadb', 'redis');

const reason = await skipReason(['mariadb', 'redis']);
if (reason) t.plan(0, reason);
else {
  const INTERVAL = 1000;
  const pool = mysql.createPool({ ...SERVICES.mariadb, connectionLimit: 3 });
  const redis = new Redis({ ...SERVICES.redis, lazyConnect: true });
  // The counters are read on connections of their own, with statements that are not what the checks send.
  const admin = await mysql.createConnection(SERVICES.mariadb);
  const redisAdmin = new Redis({ ...SERVICES.redis, lazyConnect: true });
  await Promise.all([redis.connect(), redisAdmin.connect()]);
  t.teardown(async () => {
    await pool.end();
    await admin.end();
    redis.disconnect();
    redisAdmin.disconnect();
  });

  const selects = async () => {
    const [rows] = await admin.query("SHOW GLOBAL STATUS LIKE 'Com_select'");
    return Number((rows as { Value: string }[])[0]?.Value);
  };
  const pings = async () => Number(/cmdstat_ping:calls=(\d+)/.exec(await redisAdmin.info('commandstats'))?.[1] ?? 0);

  t.test('the servers see one check command per interval, whatever the probe traffic', async (t) => {
    const db = watchRuns(mysqlCheck({ pool, interval: INTERVAL, timeout: 500 }));
    const cache = watchRuns(redisCheck({ client: redis, interval: INTERVAL, timeout: 500 }));
    const { url } = await startApp(t, [db.check, cache.check]);
    await waitForReady(url, 200, 10_000);
    const quiet = () => waitFor('no run in flight', () => db.log.inFlight === 0 && cache.log.inFlight === 0, 2000);

    await quiet();
    const before = { selects: await selects(), pings: await pings(), db: db.log.runs, cache: cache.log.runs };
    const load = await probeLoad(url, '/ready', 100, 5000);
    await quiet();
    const after = { selects: await selects(), pings: await pings(), db: db.log.runs, cache: cache.log.runs };

    const dbRuns = after.db - before.db;
    const cacheRuns = after.cache - before.cache;
    t.equal(load.errors, 0, `no client error (${load.errors}: ${load.errorSample.join('; ')})`);
    t.ok(load.requests >= 1000, `${load.requests} probe requests in 5 s`);
    t.equal(load.statuses[200], load.requests, 'all answered 200');
    t.ok(dbRuns >= 4 && dbRuns <= 6, `${dbRuns} MariaDB check runs in 5 s at a ${INTERVAL} ms interval`);
    t.ok(cacheRuns >= 4 && cacheRuns <= 6, `${cacheRuns} Redis check runs in 5 s`);
    // A run may start between reading the counter and reading the run count: one either way, never per hit.
    t.ok(Math.abs(after.selects - before.selects - dbRuns) <= 1, `MariaDB counted ${after.selects - before.selects} SELECTs`);
    t.ok(Math.abs(after.pings - before.pings - cacheRuns) <= 1, `Redis counted ${after.pings - before.pings} PINGs`);
  });
}
