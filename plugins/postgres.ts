import type { Client, Pool } from 'pg';
import { abortable, defineCheck, factoryOptions } from '../src/core/define.js';
import { InvalidOptionError, showValue } from '../src/core/errors.js';
import { definePoolCheck, type PoolLivenessOptions } from '../src/core/pool-liveness.js';
import { borrower, singleFlight } from '../src/core/single-flight.js';
import type { Check, CheckOptions } from '../src/core/types.js';

/** Options of {@link postgresCheck}. */
export interface PostgresCheckOptions extends CheckOptions {
  /**
   * The app's `pg` Pool, or a connected `pg` Client. The check borrows it and never ends it.
   * Give the pool a `connectionTimeoutMillis` (pg's default is none): a connection attempt that is still pending
   * holds a pool slot, and the check will not start another one meanwhile.
   */
  pool: Pool | Client;
  /** The statement run on each check. Default `SELECT 1`. */
  query?: string;
  /** Check name. Default `postgres`. */
  name?: string;
}

/** Options of {@link postgresPoolCheck}. */
export interface PostgresPoolCheckOptions extends PoolLivenessOptions {
  /** The app's `pg` Pool (or its single Client). Borrowed, never ended. */
  pool: Pool | Client;
  /**
   * Opens a fresh client, outside the pool, when the pool fails: a connected `pg` Client or a promise of one, e.g.
   * `async () => { const c = new pg.Client(config); await c.connect(); return c; }`. The check ends it after one
   * query, whatever happens. Give it a `connectionTimeoutMillis` below the check's `timeout`: an attempt still
   * pending when the run gives up is ended when it connects, but until then it is an open socket.
   */
  connect: () => Client | Promise<Client>;
  /** The statement run through the pool and on the fresh client. Default `SELECT 1`. */
  query?: string;
  /** Check name. Default `postgres-pool`. */
  name?: string;
}

/** The error a checked-out client is released with when its run is aborted: pg-pool then closes that connection. */
class AbortedQueryError extends Error {
  override name = 'AbortError';
}

/** True when the server answered with an error that leaves the connection usable (a SQL error, not a FATAL one). */
function connectionUsable(err: unknown): boolean {
  const severity = (err as { severity?: unknown }).severity;
  return typeof severity === 'string' && severity !== 'FATAL' && severity !== 'PANIC';
}

function kind(factory: string, client: unknown): 'pool' | 'client' {
  if (client !== null && typeof client === 'object') {
    const c = client as Record<string, unknown>;
    // pg's Pool keeps counters of its clients; a Client has none.
    if (typeof c.connect === 'function' && typeof c.totalCount === 'number' && typeof c.idleCount === 'number') return 'pool';
    if (typeof c.query === 'function') return 'client';
  }
  throw new InvalidOptionError(
    `${factory}(): Expected \`pool\` to be a pg Pool or Client, got \`${client === null ? 'null' : typeof client}\``,
  );
}

/**
 * Runs `SELECT 1` (or `query`) through the app's node-postgres (`pg`) Pool or Client.
 *
 * With a pool, each run checks out one client and releases it. When the run times out (its signal aborts), the
 * client is released with an error, which makes pg-pool close its connection and drop it from the pool: a hung
 * server can not keep pool slots busy, and the server abandons the query when it sees the socket close (no
 * cancel request is sent: it would need a second connection to a server that is not answering). The check never
 * has more than one checkout pending: a run that finds one waits for it (within its own timeout).
 * With a single Client (the app's own, never closed), a run that finds the previous query still unanswered waits
 * for that query instead of queueing another one.
 * Errors are shown as `code: message` (e.g. `28P01: password authentication failed for user "app"`); the
 * connection string is never shown. Connection refused is fatal through the default `fatal` classifier.
 * @throws InvalidOptionError when `pool` is neither, or `query` is not a non-empty string.
 */
export function postgresCheck(options: PostgresCheckOptions): Check {
  factoryOptions('postgresCheck', options, ['pool', 'query']);
  const run = queryRunner('postgresCheck', options.pool, options.query);
  return defineCheck('postgresCheck', options, { name: 'postgres', dependency: true }, { run });
}

/** The run of a check that queries through `client` (validated here, for `factory`'s messages). */
function queryRunner(factory: string, client: unknown, query: unknown): Check['run'] {
  const type = kind(factory, client);
  const sql = query ?? 'SELECT 1';
  if (typeof sql !== 'string' || sql.trim().length === 0) {
    throw new InvalidOptionError(`${factory}(): Expected \`query\` to be a non-empty string, got \`${showValue(sql)}\``);
  }
  if (type === 'client') {
    const once = singleFlight(() => (client as Client).query(sql));
    return async (signal) => {
      await abortable(once(), signal);
    };
  }
  const pool = client as Pool;
  const borrow = borrower(
    () => pool.connect(),
    (c) => c.release(),
  );
  return async (signal) => {
    const c = await borrow(signal);
    try {
      await abortable(c.query(sql), signal);
    } catch (err) {
      c.release(
        signal.aborted || !connectionUsable(err)
          ? new AbortedQueryError('probekit: connection discarded by the health check')
          : undefined,
      );
      throw err;
    }
    c.release();
  };
}

/**
 * Liveness for a `pg` Pool that asks whether a restart would help (`probes: ['live']` by default): each run
 * queries through the pool, within `poolTimeout` (default half the `timeout`); when that fails or times out, it
 * opens a fresh client with `connect`, queries, and closes it (`end()`, which also drops a client whose query hangs),
 * within the rest of the `timeout`. Pool works: pass. Pool fails, fresh client works: the pool is broken (leaked or
 * wedged clients), the run fails and says so. Both fail: the server is down or unreachable, which a restart cannot
 * fix, and the run passes with output `server unreachable: not a liveness matter` (keep a {@link postgresCheck} on
 * `/ready` for that). The pool side checks out as {@link postgresCheck} does: at most one `pool.connect()` is
 * pending, released on arrival when no run waits for it any more (or failed by the pool's `connectionTimeoutMillis`).
 * @throws InvalidOptionError when `pool` or `connect` is missing or of the wrong kind, or for a bad `query`,
 * `poolTimeout` or check option.
 */
export function postgresPoolCheck(options: PostgresPoolCheckOptions): Check {
  factoryOptions('postgresPoolCheck', options, ['pool', 'connect', 'query', 'poolTimeout']);
  const viaPool = queryRunner('postgresPoolCheck', options.pool, options.query);
  const sql = options.query ?? 'SELECT 1';
  return definePoolCheck<Client>('postgresPoolCheck', options, 'postgres-pool', {
    viaPool,
    connect: options.connect,
    connectionKind: 'a connected pg Client (or a promise of one)',
    isConnection(value): value is Client {
      if (value === null || typeof value !== 'object') return false;
      const v = value as Record<string, unknown>;
      if (typeof v.query !== 'function' || typeof v.end !== 'function') return false;
      // Ours until it is closed: an error it emits later must not become an uncaught 'error' event.
      if (typeof v.on === 'function') (value as Client).on('error', () => {});
      return true;
    },
    query: (client) => client.query(sql),
    // pg's end() destroys the socket of a client whose query is still running, and says goodbye otherwise.
    close: (client) => client.end(),
  });
}
