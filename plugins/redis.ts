import { abortable, defineCheck } from '../src/core/define.js';
import { CheckFailedError, InvalidOptionError } from '../src/core/errors.js';
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

/** Why the client can not take a command now, or `null` when it can. Read at each run: no event listener is added. */
type Readiness = () => string | null;

function readiness(client: unknown): Readiness {
  if (client === null || typeof client !== 'object' || typeof (client as { ping?: unknown }).ping !== 'function') {
    throw new InvalidOptionError(
      `redisCheck(): Expected \`client\` to be an ioredis or node-redis client (with \`ping()\`), got \`${client === null ? 'null' : typeof client}\``,
    );
  }
  const c = client as Partial<IoRedisLike & NodeRedisLike>;
  if (typeof c.status === 'string') {
    return () => (c.status === 'ready' ? null : `client not ready (status ${c.status})`);
  }
  if (typeof c.isReady === 'boolean') {
    return () => {
      if (c.isReady === true) return null;
      return c.isOpen === true ? 'client not ready (reconnecting)' : 'client closed';
    };
  }
  // node-redis before 4.1 has `isOpen` only.
  if (typeof c.isOpen === 'boolean') return () => (c.isOpen === true ? null : 'client closed');
  throw new InvalidOptionError(
    'redisCheck(): Expected `client` to be an ioredis client (with `status`) or a node-redis v4+ client (with `isReady`)',
  );
}

/**
 * Sends `PING` through the app's Redis client and expects `PONG`. Works with ioredis (`Redis`, `Cluster`) and
 * node-redis v4 or later, told apart by shape (ioredis has a `status` string, node-redis `isReady`/`isOpen`).
 *
 * A client that is not ready (connecting, reconnecting, closed) fails the run at once without sending anything,
 * so ioredis' offline queue can not hold the PING until the timeout. A run that finds the previous PING still
 * unanswered (a hung server) waits for that one, within its own timeout, instead of queueing another: one PING at
 * most is ever outstanding.
 * @throws InvalidOptionError when `client` is neither.
 */
export function redisCheck(options: RedisCheckOptions): Check {
  const notReady = readiness(options?.client);
  const client = options.client;
  // The PING of an earlier run that is still unanswered: later runs wait for it rather than queue another.
  const ping = singleFlight(() => client.ping());
  return defineCheck(
    'redisCheck',
    options,
    { name: 'redis' },
    {
      async run(signal) {
        const why = notReady();
        if (why !== null) throw new CheckFailedError(why);
        const reply = await abortable(ping(), signal);
        if (reply !== 'PONG') throw new CheckFailedError('unexpected reply to PING');
      },
    },
  );
}
