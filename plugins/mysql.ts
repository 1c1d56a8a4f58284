import type { Connection, Pool, PoolConnection } from 'mysql2';
import type {
  Connection as PromiseConnection,
  Pool as PromisePool,
  PoolConnection as PromisePoolConnection,
} from 'mysql2/promise';
import { abortable, defineCheck, factoryOptions } from '../src/core/define.js';
import { InvalidOptionError, showValue } from '../src/core/errors.js';
import { definePoolCheck, type PoolLivenessOptions } from '../src/core/pool-liveness.js';
import { borrower, singleFlight } from '../src/core/single-flight.js';
import type { Check, CheckOptions } from '../src/core/types.js';

/** What {@link mysqlCheck} accepts: a mysql2 pool or connection, promise or callback API. */
export type MysqlClient = Pool | PromisePool | Connection | PromiseConnection;

/** Options of {@link mysqlCheck}. */
export interface MysqlCheckOptions extends CheckOptions {
  /**
   * The app's mysql2 pool (`createPool`, either API) or a single connection (`createConnection`).
   * The check borrows it and never ends it. Set `connectTimeout` on it (mysql2's default is 10 s): a connection
   * attempt that is still pending holds a pool slot, and the check will not start another one meanwhile.
   */
  pool: MysqlClient;
  /** The statement run on each check. Default `SELECT 1`. */
  query?: string;
  /** Check name. Default `mysql`. */
  name?: string;
}

/** Options of {@link mysqlPoolCheck}. */
export interface MysqlPoolCheckOptions extends PoolLivenessOptions {
  /** The app's mysql2 pool (either API), or its single connection. Borrowed, never ended. */
  pool: MysqlClient;
  /**
   * Opens a fresh connection, outside the pool, when the pool fails: a connected mysql2 connection or a promise of
   * one, e.g. `() => mysql.createConnection(config)`. The check closes it after one query, whatever happens. Give
   * it a `connectTimeout` below the check's `timeout`: an attempt still pending when the run gives up is closed
   * when it connects, but until then it is an open socket.
   */
  connect: () => Connection | PromiseConnection | Promise<Connection | PromiseConnection>;
  /** The statement run through the pool and on the fresh connection. Default `SELECT 1`. */
  query?: string;
  /** Check name. Default `mysql-pool`. */
  name?: string;
}

/** One borrowed connection, whatever the API. */
interface Lease {
  query(sql: string): Promise<unknown>;
  /** Back to the pool (no-op for a single connection). */
  release(): void;
  /** Closed and taken out of the pool, so a hung connection can not be handed out again. */
  destroy(): void;
}

type Callback<T> = (err: Error | null, value: T) => void;
interface CallbackQueryable {
  query(sql: string, cb: Callback<unknown>): unknown;
}
interface CallbackPool {
  getConnection(cb: Callback<PoolConnection>): void;
}

function callbackQuery(c: CallbackQueryable, sql: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    c.query(sql, (err, rows) => (err ? reject(err) : resolve(rows)));
  });
}

function leaseOf(conn: PromisePoolConnection | PoolConnection, promiseApi: boolean): Lease {
  return {
    query: (sql) =>
      promiseApi ? (conn as PromisePoolConnection).query(sql) : callbackQuery(conn as unknown as CallbackQueryable, sql),
    release: () => conn.release(),
    destroy: () => conn.destroy(),
  };
}

/** The pool's `getConnection`, as a promise of a {@link Lease}; `null` for a single connection. */
function acquirer(client: Record<string, unknown>, promiseApi: boolean): (() => Promise<Lease>) | null {
  if (typeof client.getConnection !== 'function') return null;
  if (promiseApi) return async () => leaseOf(await (client as unknown as PromisePool).getConnection(), true);
  return () =>
    new Promise((resolve, reject) => {
      (client as unknown as CallbackPool).getConnection((err, conn) => (err ? reject(err) : resolve(leaseOf(conn, false))));
    });
}

/**
 * Runs `SELECT 1` (or `query`) on a connection of the app's mysql2 pool; works with MySQL and MariaDB.
 *
 * With a pool, the check borrows one connection per run and returns it. When the run times out (its signal
 * aborts), that connection is destroyed instead: it is removed from the pool at once, so a hung server can not
 * leave the pool holding connections that never answer. The check never has more than one connection attempt
 * pending: a run that finds one waits for it (within its own timeout) rather than asking the pool for another.
 * With a single connection (the app's own, never destroyed: mysql2 connections do not reconnect), a run that finds
 * the previous query still unanswered waits for that query instead of queueing another one.
 * The callback API (mysql2's core `Pool`/`Connection`) is told apart from the promise wrappers by its `promise()`
 * method, which the wrappers lack.
 * Errors are reported as mysql2 gives them (`ER_ACCESS_DENIED_ERROR: Access denied ...`); the connection config
 * is never shown. Connection refused is fatal (fails at once) through the default `fatal` classifier.
 * @throws InvalidOptionError when `pool` is not a mysql2 pool or connection, or `query` is not a non-empty string.
 */
export function mysqlCheck(options: MysqlCheckOptions): Check {
  factoryOptions('mysqlCheck', options, ['pool', 'query']);
  const run = queryRunner('mysqlCheck', options.pool, options.query);
  return defineCheck('mysqlCheck', options, { name: 'mysql', dependency: true }, { run });
}

/** The run of a check that queries through `client` (validated here, for `factory`'s messages). */
function queryRunner(factory: string, client: unknown, query: unknown): Check['run'] {
  if (client === null || typeof client !== 'object') {
    throw new InvalidOptionError(
      `${factory}(): Expected \`pool\` to be a mysql2 pool or connection, got \`${client === null ? 'null' : typeof client}\``,
    );
  }
  const c = client as Record<string, unknown>;
  const promiseApi = typeof c.promise !== 'function';
  const acquire = acquirer(c, promiseApi);
  if (acquire === null && typeof c.query !== 'function') {
    throw new InvalidOptionError(
      `${factory}(): Expected \`pool\` to be a mysql2 pool or connection (an object with \`getConnection\` or \`query\`)`,
    );
  }
  const sql = query ?? 'SELECT 1';
  if (typeof sql !== 'string' || sql.trim().length === 0) {
    throw new InvalidOptionError(`${factory}(): Expected \`query\` to be a non-empty string, got \`${showValue(sql)}\``);
  }
  if (acquire === null) return singleConnection(client, promiseApi, sql);
  const borrow = borrower(acquire, (lease) => lease.release());
  return async (signal) => {
    const lease = await borrow(signal);
    try {
      await abortable(lease.query(sql), signal);
    } catch (err) {
      // Timed out (or stopped): never hand this connection out again. A query error with `fatal` set
      // means mysql2 already closed it; anything else (a SQL error) leaves a healthy connection.
      if (signal.aborted || (err as { fatal?: unknown }).fatal === true) lease.destroy();
      else lease.release();
      throw err;
    }
    lease.release();
  };
}

function singleConnection(client: object, promiseApi: boolean, sql: string): Check['run'] {
  const query = singleFlight(() =>
    promiseApi ? (client as PromiseConnection).query(sql) : callbackQuery(client as CallbackQueryable, sql),
  );
  return async (signal) => {
    await abortable(query(), signal);
  };
}

/**
 * Liveness for a mysql2 pool that asks whether a restart would help (`probes: ['live']` by default): each run
 * queries through the pool, within `poolTimeout` (default half the `timeout`); when that fails or times out, it
 * opens a fresh connection with `connect`, queries, and closes it (`end()`, or `destroy()` when it did not answer),
 * within the rest of the `timeout`. Pool works: pass. Pool fails, fresh connection works: the pool is broken
 * (leaked or wedged connections), the run fails and says so. Both fail: the server is down or unreachable, which
 * a restart cannot fix, and the run passes with output `server unreachable: not a liveness matter` (keep a
 * {@link mysqlCheck} on `/ready` for that). The pool side borrows as {@link mysqlCheck} does: at most one request
 * for a connection is pending, given back on arrival when no run waits for it any more.
 * @throws InvalidOptionError when `pool` or `connect` is missing or of the wrong kind, or for a bad `query`,
 * `poolTimeout` or check option.
 */
export function mysqlPoolCheck(options: MysqlPoolCheckOptions): Check {
  factoryOptions('mysqlPoolCheck', options, ['pool', 'connect', 'query', 'poolTimeout']);
  const viaPool = queryRunner('mysqlPoolCheck', options.pool, options.query);
  const sql = options.query ?? 'SELECT 1';
  type Fresh = Connection | PromiseConnection;
  const callbackApi = (conn: Fresh): conn is Connection => typeof (conn as { promise?: unknown }).promise === 'function';
  return definePoolCheck<Fresh>('mysqlPoolCheck', options, 'mysql-pool', {
    viaPool,
    connect: options.connect,
    connectionKind: 'a mysql2 connection (or a promise of one)',
    isConnection(value): value is Fresh {
      if (value === null || typeof value !== 'object') return false;
      const v = value as Record<string, unknown>;
      if (typeof v.query !== 'function' || typeof v.end !== 'function' || typeof v.destroy !== 'function') return false;
      // Ours until it is closed: an error it emits later must not become an uncaught 'error' event.
      if (typeof v.on === 'function') (value as Fresh).on('error', () => {});
      return true;
    },
    query: (conn) => (callbackApi(conn) ? callbackQuery(conn as unknown as CallbackQueryable, sql) : conn.query(sql)),
    close(conn, settled) {
      if (!settled) return conn.destroy();
      if (!callbackApi(conn)) return conn.end();
      return new Promise((resolve) => conn.end(() => resolve(undefined)));
    },
  });
}
