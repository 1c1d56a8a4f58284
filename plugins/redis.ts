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

/** What a run does with the client as it is now: send the PING, or fail (fatal) without sending anything. */
type Gate = () => string | null;

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
      // `wait` (lazyConnect) connects on the first command; a first `connecting` is the start-up connect, which the
      // PING waits for within the run's timeout. Anything else, or any status after a `ready`, is a lost connection.
      if (!seenReady && (status === 'wait' || status === 'connecting' || status === 'connect')) return null;
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
    { name: 'redis', fatal: redisFatal },
    {
      async run(signal) {
        const why = notReady();
        if (why !== null) throw new NotConnectedError(why);
        const reply = await abortable(ping(), signal);
        if (reply !== 'PONG') throw new CheckFailedError('unexpected reply to PING');
      },
    },
  );
}
