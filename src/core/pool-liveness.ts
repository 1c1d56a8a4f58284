import { abortable, defineCheck } from './define.js';
import { CheckFailedError, CheckTimeoutError, InvalidOptionError, showValue } from './errors.js';
import { normalizeCheck, realTimers } from './options.js';
import { describeError } from './sanitize.js';
import type { Check, CheckOptions } from './types.js';

/** What a pool liveness check passes with when neither the pool nor a fresh connection reaches the server. */
export const UNREACHABLE_OUTPUT = 'server unreachable: not a liveness matter';

/** Options every pool liveness check takes (`mysqlPoolCheck`, `postgresPoolCheck`). */
export interface PoolLivenessOptions extends CheckOptions {
  /**
   * Milliseconds the query through the pool may take, waiting for a free connection included, before the check
   * tries a fresh connection. Default half of `timeout`; at most `timeout` less a tenth of it less 1 ms, so that the
   * fresh connection keeps the rest (`timeout - poolTimeout - timeout/10`: the last tenth is left for closing it).
   * Set it above the longest wait for a pool connection your app sees under load: a pool busy for longer than
   * this, `failureThreshold` runs in a row, reads as broken.
   */
  poolTimeout?: number;
  /** Check name. */
  name?: string;
}

/** The driver's side of a pool liveness check. */
export interface PoolLivenessParts<C> {
  /** The query through the app's pool; it gives back (or discards) what it borrowed when `signal` aborts. */
  viaPool(signal: AbortSignal): Promise<unknown>;
  /** The user's `connect` option: a connected connection, or a promise of one. */
  connect: unknown;
  /** What a connection must look like; a value `connect` gives that is not one fails the run. */
  isConnection(value: unknown): value is C;
  /** What `connect` must return, for the error message (`a mysql2 connection`). */
  connectionKind: string;
  /** The query on a fresh connection. */
  query(conn: C): Promise<unknown>;
  /** Closes a fresh connection: politely when `settled` (its query answered), at once otherwise. */
  close(conn: C, settled: boolean): unknown;
}

/** The type of `value`, never its content: a config object or a URL given by mistake may hold a password. */
function typeOf(value: unknown): string {
  return value === null ? 'null' : typeof value;
}

type Attempt = { ok: true } | { ok: false; error: unknown };

/** Runs `fn` with a signal that aborts when `signal` does or after `ms`, whichever comes first. */
async function attempt(fn: (signal: AbortSignal) => Promise<unknown>, ms: number, signal: AbortSignal): Promise<Attempt> {
  const budget = new AbortController();
  const timer = realTimers.setTimeout(() => budget.abort(new CheckTimeoutError(ms)), ms);
  const both = AbortSignal.any([signal, budget.signal]);
  try {
    await abortable(
      Promise.resolve().then(() => fn(both)),
      both,
    );
    return { ok: true };
  } catch (error) {
    return { ok: false, error };
  } finally {
    realTimers.clearTimeout(timer);
  }
}

/** Closes `conn` and drops whatever closing throws or rejects with: the run's answer is already decided. */
function closeQuietly<C>(parts: PoolLivenessParts<C>, conn: C, settled: boolean): void {
  Promise.resolve()
    .then(() => parts.close(conn, settled))
    .catch(() => {});
}

/**
 * Opens a fresh connection with the user's `connect`, runs the query on it, and closes it in every case: after the
 * answer, on an error, when `signal` aborts (timeout or stop), and, for a connection that only arrives after the
 * abort, when it arrives.
 */
async function freshProbe<C>(parts: PoolLivenessParts<C>, signal: AbortSignal): Promise<void> {
  const pending = Promise.resolve().then(() => (parts.connect as () => unknown)());
  let conn: unknown;
  try {
    conn = await abortable(pending, signal);
  } catch (err) {
    pending.then(
      (late) => {
        if (parts.isConnection(late)) closeQuietly(parts, late, false);
      },
      () => {},
    );
    throw err;
  }
  if (!parts.isConnection(conn)) {
    throw new InvalidOptionError(`Expected \`connect\` to return ${parts.connectionKind}, got \`${typeOf(conn)}\``);
  }
  const c = conn;
  let settled = false;
  try {
    await abortable(
      Promise.resolve()
        .then(() => parts.query(c))
        .finally(() => {
          settled = true;
        }),
      signal,
    );
  } finally {
    closeQuietly(parts, c, settled && !signal.aborted);
  }
}

/**
 * Builds a liveness check that asks whether a restart would help: each run queries through the app's pool; when
 * that fails or exceeds `poolTimeout`, it queries on a fresh connection from `connect`, within what is left of the
 * timeout. Pool works: pass. Pool fails and a fresh connection works: the pool is broken, a restart helps, the run
 * fails and says so. Both fail: the server is down or unreachable, which a restart cannot fix, so the run passes with
 * output {@link UNREACHABLE_OUTPUT} (readiness reports it). A `connect` that gives no connection fails the run.
 *
 * Defaults: `probes: ['live']`; `fatal` never (a broken pool fails only after `failureThreshold` runs); `interval`
 * and `timeout` as for every check, resolved here and never taken from the registry's `defaults`, because the
 * budgets are cut from the timeout.
 * @throws InvalidOptionError for a `connect` that is not a function, a bad `poolTimeout`, or a `timeout` too short
 * to split, and for any check option the registry would refuse.
 */
export function definePoolCheck<C>(
  factory: string,
  options: PoolLivenessOptions & { connect?: unknown },
  defaultName: string,
  parts: PoolLivenessParts<C>,
): Check {
  if (typeof parts.connect !== 'function') {
    throw new InvalidOptionError(
      `${factory}(): Expected \`connect\` to be a function returning ${parts.connectionKind}, got \`${typeOf(parts.connect)}\``,
    );
  }
  let poolMs = 0;
  let freshMs = 0;
  const check = defineCheck(
    factory,
    options,
    { name: defaultName, probes: ['live'], fatal: () => false },
    {
      async run(signal) {
        const pool = await attempt(parts.viaPool, poolMs, signal);
        if (pool.ok) return;
        if (signal.aborted) throw signal.reason;
        const fresh = await attempt((s) => freshProbe(parts, s), freshMs, signal);
        if (signal.aborted) throw signal.reason;
        if (!fresh.ok) {
          if (fresh.error instanceof InvalidOptionError) throw fresh.error;
          return { output: UNREACHABLE_OUTPUT };
        }
        throw new CheckFailedError(`pool broken: ${describeError(pool.error)}, while a fresh connection works: a restart helps`, {
          cause: pool.error,
        });
      },
    },
  );
  const normalized = normalizeCheck(check, {}, `${factory}(): `);
  check.interval = normalized.interval;
  check.timeout = normalized.timeout;
  const timeout = normalized.timeout;
  const reserve = Math.max(1, Math.floor(timeout / 10));
  const maxPool = timeout - reserve - 1;
  if (maxPool < 1) {
    throw new InvalidOptionError(
      `${factory}(): Expected \`timeout\` to be at least 3 (it is split between the pool and a fresh connection), got \`${timeout}\``,
    );
  }
  poolMs = options.poolTimeout ?? Math.floor(timeout / 2);
  if (!Number.isInteger(poolMs) || poolMs < 1 || poolMs > maxPool) {
    throw new InvalidOptionError(
      `${factory}(): Expected \`poolTimeout\` to be an integer in 1-${maxPool} (\`timeout\` ${timeout} leaves the rest to a fresh connection), got \`${showValue(options.poolTimeout)}\``,
    );
  }
  freshMs = timeout - reserve - poolMs;
  return check;
}
