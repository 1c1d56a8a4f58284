// postgresPoolCheck: its options, then the pool-check suite against a real PostgreSQL (test/services).
import pg from 'pg';
import t from 'tap';
import { postgresCheck, postgresPoolCheck } from '../../plugins/postgres.js';
import { InvalidOptionError } from '../../src/core/errors.js';
import { exclusive } from '../helpers/exclusive.js';
import { SERVICES, skipReason } from '../services/services.js';
import { poolCheckSuite } from './pool-check-suite.js';

// The shared servers it uses are its alone while it runs: test/helpers/exclusive.ts.
await exclusive('postgres');

const DB = SERVICES.postgres;

/** A pool the way an app sets one up: an `error` listener, since pg-pool re-emits idle clients' errors. */
function makePool(size: number, port: number = DB.port): pg.Pool {
  const pool = new pg.Pool({ ...DB, port, max: size, connectionTimeoutMillis: 3000 });
  pool.on('error', () => {});
  return pool;
}

async function connect(port: number = DB.port): Promise<pg.Client> {
  const client = new pg.Client({ ...DB, port, connectionTimeoutMillis: 2000 });
  await client.connect();
  return client;
}

t.test('options', async (t) => {
  const pool = makePool(1);
  t.teardown(() => pool.end());
  const check = postgresPoolCheck({ pool, connect: () => connect() });
  t.match(check, { name: 'postgres-pool', probes: ['live'], timeout: 2000, interval: 5000 });
  t.match(postgresPoolCheck({ pool, connect: () => connect(), name: 'pg-pool', probes: ['live', 'startup'] }), {
    name: 'pg-pool',
    probes: ['live', 'startup'],
  });
  const bads: [unknown, RegExp][] = [
    [null, /postgresPoolCheck\(\): Expected an options object, got `null`/],
    [{ pool }, /postgresPoolCheck\(\): Expected `connect` to be a function returning a connected pg Client.*got `undefined`/],
    [{ pool, connect: 'postgres://u:p@h/db' }, /Expected `connect` to be a function .*got `string`$/],
    [{ connect }, /postgresPoolCheck\(\): Expected `pool` to be a pg Pool or Client, got `undefined`/],
    [{ pool, connect, query: 3 }, /postgresPoolCheck\(\): Expected `query` to be a non-empty string/],
    [{ pool, connect, poolTimeout: -1 }, /postgresPoolCheck\(\): Expected `poolTimeout` to be an integer in 1-1799 .*got `-1`/],
    [{ pool, connect, client: pool }, /postgresPoolCheck\(\): Unknown option `client`/],
  ];
  for (const [bad, message] of bads) {
    t.throws(() => postgresPoolCheck(bad as never), InvalidOptionError);
    t.throws(() => postgresPoolCheck(bad as never), { message });
  }
});

const reason = await skipReason(['postgres']);
if (reason) {
  t.skip(reason, async () => {});
} else {
  // A pool of one, so that the admin connection comes back by itself after the server restarts.
  const admin = makePool(1);
  const leaked = new WeakMap<pg.Pool, pg.PoolClient[]>();
  poolCheckSuite<pg.Pool>(t, {
    server: 'postgres',
    protocol: 'postgres',
    target: DB,
    checkName: 'postgres-pool',
    makePool,
    async endPool(pool) {
      // pg-pool's end() waits for every client to come back: the leaked ones are given back first.
      for (const c of leaked.get(pool) ?? []) c.release(true);
      await pool.end();
    },
    poolCounts: (pool) => ({ taken: pool.totalCount - pool.idleCount, waiting: pool.waitingCount }),
    async leak(pool) {
      const c = await pool.connect();
      leaked.set(pool, [...(leaked.get(pool) ?? []), c]);
    },
    async connect(port) {
      const conn = await connect(port);
      return { conn, id: (conn as unknown as { processID: number }).processID };
    },
    poolCheck: (options) => postgresPoolCheck(options as never),
    readyCheck: (options) => postgresCheck(options as never),
    async stillOpen(ids) {
      if (ids.length === 0) return [];
      const { rows } = await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE pid = ANY($1::int[])', [ids]);
      return rows.map((r) => r.pid);
    },
    closeAdmin: () => admin.end(),
  });
}
