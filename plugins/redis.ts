import { abortable, defineCheck, factoryOptions } from '../src/core/define.js';
import { CheckFailedError, InvalidOptionError } from '../src/core/errors.js';
import { isConnectionError } from '../src/core/options.js';
import { singleFlight } from '../src/core/single-flight.js';
import type { Check, CheckOptions } from '../src/core/types.js';

/** The part of an ioredis client (`Redis` or `Cluster`) the check uses. */
export interface IoRedisLike {
  /** `ready` once connected; `connecting`, `reconnecting`, `close`, `end`, `wait` otherwise. */
  readonly status: string;
  ping(): Promise<unknown>;
  /** Starts the connection of a `lazyConnect` client; rejects when it fails. */
  connect?(): Promise<unknown>;
  once?(event: string, listener: (...args: unknown[]) => void): unknown;
  off?(event: string, listener: (...args: unknown[]) => void): unknown;
}

/** The part of a node-redis (v4 or later) client the check uses. */
export interface NodeRedisLike {
  /** Connected and ready for commands. */
  readonly isReady: boolean;
  /** Connected or connecting (false once `quit`/`disconnect`/`destroy` was called). */
  readonly isOpen: boolean;
  ping(): Promise<unknown>;
}

/** Options of {@link redisCheck}. */
export interface RedisCheckOptions extends CheckOptions {
  /** The app's ioredis or node-redis client. The check borrows it and never closes it. */
  client: IoRedisLike | NodeRedisLike;
  /** Check name. Default `redis`. */
  name?: string;
}

/**
 * The client has no connection (lost, or never made): the run fails fatally, so `/ready` turns 503 on the first
 * such run rather than after `failureThreshold` of them, like a connection refused.
 */
class NotConnectedError extends CheckFailedError {}

/**
 * What a run does with the client as it is now: `null` to send the PING, `'first-connect'` to wait for ioredis'
 * first connection (within the run's timeout) before sending it, or the reason it fails (fatal) without sending.
 */
type Gate = () => string | null | 'first-connect';

function gate(client: unknown): Gate {
  if (client === null || typeof client !== 'object' || typeof (client as { ping?: unknown }).ping !== 'function') {
    throw new InvalidOptionError(
      `redisCheck(): Expected \`client\` to be an ioredis or node-redis client (with \`ping()\`), got \`${client === null ? 'null' : typeof client}\``,
    );
  }
  const c = client as Partial<IoRedisLike & NodeRedisLike>;
  if (typeof c.status === 'string') {
    let seenReady = false;
    return () => {
      const status = c.status;
      if (status === 'ready') {
        seenReady = true;
        return null;
      }
      // `wait` (lazyConnect) and a first `connecting` are the start-up connect: the run waits for its outcome, so
      // a refused one fails this very run. Anything else, or any status after a `ready`, is a lost connection.
      if (!seenReady && (status === 'wait' || status === 'connecting' || status === 'connect')) return 'first-connect';
      return `client not connected (status ${String(status)})`;
    };
  }
  if (typeof c.isReady === 'boolean') {
    // node-redis is connected explicitly (`await client.connect()`): not ready afterwards means the connection is gone.
    return () => {
      if (c.isReady === true) return null;
      return c.isOpen === true ? 'client not connected (reconnecting)' : 'client closed';
    };
  }
  // node-redis before 4.1 has `isOpen` only.
  if (typeof c.isOpen === 'boolean') return () => (c.isOpen === true ? null : 'client closed');
  throw new InvalidOptionError(
    'redisCheck(): Expected `client` to be an ioredis client (with `status`) or a node-redis v4+ client (with `isReady`)',
  );
}

/**
 * Waits for ioredis' first connection (started here for a `lazyConnect` client): the client's `ready`, or its
 * `error` (ECONNREFUSED when refused: fatal), listened to for this run only. Nothing is queued meanwhile: ioredis'
 * offline queue would hold a PING past the refused connect until the timeout.
 */
function firstConnect(c: IoRedisLike, signal: AbortSignal): Promise<void> {
  if (typeof c.once !== 'function' || typeof c.off !== 'function') return Promise.resolve();
  const once = c.once.bind(c);
  const off = c.off.bind(c);
  return new Promise<void>((resolve, reject) => {
    const done = (err?: unknown) => {
      off('ready', onReady);
      off('error', onError);
      off('end', onEnd);
      signal.removeEventListener('abort', onAbort);
      if (err === undefined) resolve();
      else reject(err);
    };
    const onReady = () => done();
    const onError = (err: unknown) => done(err);
    const onEnd = () => done(new NotConnectedError('client not connected (status end)'));
    const onAbort = () => done(signal.reason);
    once('ready', onReady);
    once('error', onError);
    once('end', onEnd);
    signal.addEventListener('abort', onAbort, { once: true });
    // A lazyConnect client connects now. Its promise rejects with a bare "Connection is closed."; the socket error
    // (ECONNREFUSED, which `fatal` knows) comes through the 'error' event just before it.
    if (c.status === 'wait' && typeof c.connect === 'function') c.connect().catch(() => {});
  });
}

/** The default `fatal` of a Redis check: no connection, or the default connection errors. */
function redisFatal(error: Error): boolean {
  return error instanceof NotConnectedError || isConnectionError(error);
}

/**
 * Sends `PING` through the app's Redis client and expects `PONG`. Works with ioredis (`Redis`, `Cluster`) and
 * node-redis v4 or later, told apart by shape (ioredis has a `status` string, node-redis `isReady`/`isOpen`).
 *
 * A client that has lost its connection, or could not make it (ioredis `reconnecting`, `close`, `end`; node-redis
 * not ready), fails the run at once, fatally (`/ready` answers 503 from that first run on, whatever
 * `failureThreshold` says) and sends nothing, so ioredis' offline queue can not hold the PING until the timeout.
 * A run that finds the previous PING still unanswered (a hung server) waits for that one, within its own timeout,
 * instead of queueing another: one PING at most is ever outstanding.
 * @throws InvalidOptionError when `client` is neither.
 */
export function redisCheck(options: RedisCheckOptions): Check {
  factoryOptions('redisCheck', options, ['client']);
  const notReady = gate(options.client);
  const client = options.client;
  // The PING of an earlier run that is still unanswered: later runs wait for it rather than queue another.
  const ping = singleFlight(() => client.ping());
  return defineCheck(
    'redisCheck',
    options,
    { name: 'redis', dependency: true, fatal: redisFatal },
    {
      async run(signal) {
        const why = notReady();
        if (why === 'first-connect') await firstConnect(client as IoRedisLike, signal);
        else if (why !== null) throw new NotConnectedError(why);
        const reply = await abortable(ping(), signal);
        if (reply !== 'PONG') throw new CheckFailedError('unexpected reply to PING');
      },
    },
  );
}
