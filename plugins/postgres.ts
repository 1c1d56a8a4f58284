import type { Client, Pool } from 'pg';
import { abortable, defineCheck, factoryOptions } from '../src/core/define.js';
import { InvalidOptionError } from '../src/core/errors.js';
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

/** The error a checked-out client is released with when its run is aborted: pg-pool then closes that connection. */
class AbortedQueryError extends Error {
  override name = 'AbortError';
}

/** True when the server answered with an error that leaves the connection usable (a SQL error, not a FATAL one). */
function connectionUsable(err: unknown): boolean {
  const severity = (err as { severity?: unknown }).severity;
  return typeof severity === 'string' && severity !== 'FATAL' && severity !== 'PANIC';
}

function kind(client: unknown): 'pool' | 'client' {
  if (client !== null && typeof client === 'object') {
    const c = client as Record<string, unknown>;
    // pg's Pool keeps counters of its clients; a Client has none.
    if (typeof c.connect === 'function' && typeof c.totalCount === 'number' && typeof c.idleCount === 'number') return 'pool';
    if (typeof c.query === 'function') return 'client';
  }
  throw new InvalidOptionError(
    `postgresCheck(): Expected \`pool\` to be a pg Pool or Client, got \`${client === null ? 'null' : typeof client}\``,
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
  const type = kind(options?.pool);
  const sql = options.query ?? 'SELECT 1';
  if (typeof sql !== 'string' || sql.trim().length === 0) {
    throw new InvalidOptionError(`postgresCheck(): Expected \`query\` to be a non-empty string, got \`${String(sql)}\``);
  }
  let run: Check['run'];
  if (type === 'pool') {
    const pool = options.pool as Pool;
    const borrow = borrower(
      () => pool.connect(),
      (client) => client.release(),
    );
    run = async (signal) => {
      const client = await borrow(signal);
      try {
        await abortable(client.query(sql), signal);
      } catch (err) {
        client.release(
          signal.aborted || !connectionUsable(err)
            ? new AbortedQueryError('probekit: connection discarded by the health check')
            : undefined,
        );
        throw err;
      }
      client.release();
    };
  } else {
    const client = options.pool as Client;
    const query = singleFlight(() => client.query(sql));
    run = async (signal) => {
      await abortable(query(), signal);
    };
  }
  return defineCheck('postgresCheck', options, { name: 'postgres', dependency: true }, { run });
}
