import type { Connection, Pool, PoolConnection } from 'mysql2';
import type {
  Connection as PromiseConnection,
  Pool as PromisePool,
  PoolConnection as PromisePoolConnection,
} from 'mysql2/promise';
import { abortable, defineCheck, factoryOptions } from '../src/core/define.js';
import { InvalidOptionError } from '../src/core/errors.js';
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
  const client = options?.pool as unknown;
  if (client === null || typeof client !== 'object') {
    throw new InvalidOptionError(
      `mysqlCheck(): Expected \`pool\` to be a mysql2 pool or connection, got \`${client === null ? 'null' : typeof client}\``,
    );
  }
  const c = client as Record<string, unknown>;
  const promiseApi = typeof c.promise !== 'function';
  const acquire = acquirer(c, promiseApi);
  if (acquire === null && typeof c.query !== 'function') {
    throw new InvalidOptionError(
      'mysqlCheck(): Expected `pool` to be a mysql2 pool or connection (an object with `getConnection` or `query`)',
    );
  }
  const sql = options.query ?? 'SELECT 1';
  if (typeof sql !== 'string' || sql.trim().length === 0) {
    throw new InvalidOptionError(`mysqlCheck(): Expected \`query\` to be a non-empty string, got \`${String(sql)}\``);
  }
  const borrow = acquire === null ? null : borrower(acquire, (lease) => lease.release());
  const body: Pick<Check, 'run'> =
    borrow === null
      ? singleConnection(client, promiseApi, sql)
      : {
          async run(signal) {
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
          },
        };
  return defineCheck('mysqlCheck', options, { name: 'mysql', dependency: true }, body);
}

function singleConnection(client: object, promiseApi: boolean, sql: string): Pick<Check, 'run'> {
  const query = singleFlight(() =>
    promiseApi ? (client as PromiseConnection).query(sql) : callbackQuery(client as CallbackQueryable, sql),
  );
  return {
    async run(signal) {
      await abortable(query(), signal);
    },
  };
}
