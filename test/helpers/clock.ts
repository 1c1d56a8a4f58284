import { type Clock, createClock } from '@sinonjs/fake-timers';
import type { Timers } from '../../src/core/types.js';

/** Start of fake time in every test: 2030-01-01T00:00:00.000Z, so that `since` and `lastRun` are known strings. */
export const EPOCH = Date.UTC(2030, 0, 1);

/** ISO text of a fake time `ms` after {@link EPOCH}. */
export function at(ms: number): string {
  return new Date(EPOCH + ms).toISOString();
}

/** A fake clock and the `timers` object that hands it to `createHealth`. */
export interface FakeClock {
  readonly clock: Clock;
  readonly timers: Timers;
  /** Advances fake time by `ms`, letting promise callbacks run between timers. */
  tick(ms: number): Promise<void>;
  /** Number of timers still scheduled on the fake clock (0 after `stop()`). */
  pending(): number;
}

/**
 * A sinon fake clock that is NOT installed globally: only the code that receives `timers` sees fake time,
 * so tap, Fastify and sockets keep real timers.
 */
export function fakeClock(start = EPOCH): FakeClock {
  const clock = createClock(start);
  const timers: Timers = {
    setTimeout: (fn, ms) => clock.setTimeout(fn, ms),
    clearTimeout: (handle) => clock.clearTimeout(handle as never),
    now: () => clock.now,
  };
  return {
    clock,
    timers,
    tick: async (ms) => {
      await clock.tickAsync(ms);
    },
    pending: () => clock.countTimers(),
  };
}
