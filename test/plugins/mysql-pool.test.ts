// mysqlPoolCheck: its options, then the pool-check suite against a real MariaDB (test/services).
import mysqlCallback from 'mysql2';
import mysql from 'mysql2/promise';
import t from 'tap';
import { mysqlCheck, mysqlPoolCheck } from '../../plugins/mysql.js';
import { InvalidOptionError } from '../../src/core/errors.js';
import { exclusive } from '../helpers/exclusive.js';
import { SERVICES, skipReason } from '../services/services.js';
import { poolCheckSuite } from './pool-check-suite.js';

// The shared servers it uses are its alone while it runs: test/helpers/exclusive.ts.
await exclusive('mariadb');

const DB = SERVICES.mariadb;

/** mysql2's pool internals: the only way to count its connections and its queued requests. */
function internals(pool: mysql.Pool) {
  return (
    pool as unknown as {
      pool: { _allConnections: { length: number }; _freeConnections: { length: number }; _connectionQueue: { length: number } };
    }
  ).pool;
}

t.test('options', async (t) => {
  const pool = mysql.createPool({ ...DB, connectionLimit: 1 });
  t.teardown(() => pool.end());
  const connect = () => mysql.createConnection(DB);
  const check = mysqlPoolCheck({ pool, connect });
  t.match(check, { name: 'mysql-pool', probes: ['live'], timeout: 2000, interval: 5000 });
  t.match(mysqlPoolCheck({ pool, connect, name: 'db-pool', timeout: 1000, poolTimeout: 300, critical: false }), {
    name: 'db-pool',
    timeout: 1000,
    critical: false,
  });
  const bads: [unknown, RegExp][] = [
    [undefined, /mysqlPoolCheck\(\): Expected an options object/],
    [{ pool }, /mysqlPoolCheck\(\): Expected `connect` to be a function returning a mysql2 connection.*got `undefined`/],
    [{ pool, connect: DB }, /Expected `connect` to be a function .*got `object`$/],
    [{ connect }, /mysqlPoolCheck\(\): Expected `pool` to be a mysql2 pool or connection, got `undefined`/],
    [{ pool: {}, connect }, /mysqlPoolCheck\(\): Expected `pool` to be a mysql2 pool or connection/],
    [{ pool, connect, query: '' }, /mysqlPoolCheck\(\): Expected `query` to be a non-empty string/],
    [{ pool, connect, poolTimeout: 5000 }, /mysqlPoolCheck\(\): Expected `poolTimeout` to be an integer in 1-1799/],
    [{ pool, connect, timeout: 100, interval: 100 }, /Expected `timeout` to be < `interval`/],
    [{ pool, connect, pooltimeout: 5 }, /mysqlPoolCheck\(\): Unknown option `pooltimeout`/],
  ];
  for (const [bad, message] of bads) {
    t.throws(() => mysqlPoolCheck(bad as never), InvalidOptionError);
    t.throws(() => mysqlPoolCheck(bad as never), { message });
  }
});

const reason = await skipReason(['mariadb']);
if (reason) {
  t.skip(reason, async () => {});
} else {
  // A pool of one, so that the admin connection comes back by itself after the server restarts.
  const admin = mysql.createPool({ ...DB, connectionLimit: 1 });
  poolCheckSuite<mysql.Pool>(t, {
    server: 'mariadb',
    protocol: 'mysql',
    target: DB,
    checkName: 'mysql-pool',
    makePool: (size, port = DB.port) => mysql.createPool({ ...DB, port, connectionLimit: size, connectTimeout: 2000 }),
    endPool: (pool) => pool.end(),
    poolCounts(pool) {
      const p = internals(pool);
      return { taken: p._allConnections.length - p._freeConnections.length, waiting: p._connectionQueue.length };
    },
    async leak(pool) {
      await pool.getConnection();
    },
    async connect(port = DB.port) {
      const conn = await mysql.createConnection({ ...DB, port, connectTimeout: 2000 });
      return { conn, id: conn.threadId };
    },
    poolCheck: (options) => mysqlPoolCheck(options as never),
    readyCheck: (options) => mysqlCheck(options as never),
    async stillOpen(ids) {
      if (ids.length === 0) return [];
      const [rows] = await admin.query('SELECT ID AS id FROM information_schema.PROCESSLIST WHERE ID IN (?)', [ids]);
      return (rows as { id: number }[]).map((r) => Number(r.id));
    },
    closeAdmin: () => admin.end(),
  });

  t.test('the callback API: a callback pool and a callback connection from connect()', async (t) => {
    const pool = mysqlCallback.createPool({ ...DB, connectionLimit: 1 });
    t.teardown(() => new Promise((r) => pool.end(r)));
    const leaked = await new Promise<mysqlCallback.PoolConnection>((resolve, reject) =>
      pool.getConnection((err, c) => (err ? reject(err) : resolve(c))),
    );
    t.teardown(() => leaked.release());
    const ids: number[] = [];
    const connect = () => {
      const c = mysqlCallback.createConnection(DB);
      c.once('connect', () => ids.push(c.threadId as number));
      return c;
    };
    const check = mysqlPoolCheck({ pool, connect, timeout: 3000, interval: 4000, poolTimeout: 300 });
    await t.rejects(check.run(new AbortController().signal), { message: /^pool broken: timed out after 300 ms/ });
    t.equal(ids.length, 1);
  });
}
