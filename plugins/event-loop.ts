import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import { defineCheck, factoryOptions } from '../src/core/define.js';
import { InvalidOptionError, showValue } from '../src/core/errors.js';
import type { Check, CheckOptions } from '../src/core/types.js';

/** Options of {@link eventLoopCheck}. */
export interface EventLoopCheckOptions extends CheckOptions {
  /** Highest acceptable event-loop delay, in ms, at `percentile` over the last interval. Default 1000. */
  maxDelayMs?: number;
  /** Percentile of the delay histogram that is compared (1-100). Default 99. */
  percentile?: number;
  /** Sampling resolution of the histogram, in ms. Default 20. */
  resolution?: number;
  /** Check name. Default `event-loop`. */
  name?: string;
}

/**
 * A liveness check on event-loop delay (`perf_hooks.monitorEventLoopDelay`): fails when the delay at `percentile`
 * over the last interval exceeds `maxDelayMs`. Defaults to `probes: ['live']`. Reports the delay as `observedValue` (ms).
 * @throws InvalidOptionError for a non-positive `maxDelayMs`, `resolution` or a `percentile` outside 1-100.
 */
export function eventLoopCheck(options: EventLoopCheckOptions = {}): Check {
  factoryOptions('eventLoopCheck', options, ['maxDelayMs', 'percentile', 'resolution']);
  const maxDelayMs = options.maxDelayMs ?? 1000;
  const percentile = options.percentile ?? 99;
  const resolution = options.resolution ?? 20;
  if (typeof maxDelayMs !== 'number' || !(maxDelayMs > 0)) {
    throw new InvalidOptionError(
      `eventLoopCheck(): Expected \`maxDelayMs\` to be a positive number, got \`${showValue(maxDelayMs)}\``,
    );
  }
  if (typeof percentile !== 'number' || !(percentile > 0 && percentile <= 100)) {
    throw new InvalidOptionError(`eventLoopCheck(): Expected \`percentile\` to be in (0, 100], got \`${showValue(percentile)}\``);
  }
  if (!Number.isInteger(resolution) || resolution < 1) {
    throw new InvalidOptionError(
      `eventLoopCheck(): Expected \`resolution\` to be a positive integer, got \`${showValue(resolution)}\``,
    );
  }
  // Created on the first run, not here: a check that is never started must not sample the loop.
  let histogram: IntervalHistogram | undefined;
  /** performance.now() at the last reset: the span the next run reads. */
  let since = 0;
  return defineCheck(
    'eventLoopCheck',
    options,
    { name: 'event-loop', probes: ['live'] },
    {
      async run() {
        const now = performance.now();
        if (histogram === undefined) {
          histogram = monitorEventLoopDelay({ resolution });
          histogram.enable();
          since = now;
          return { observedValue: 0, observedUnit: 'ms' };
        }
        const delayMs = Math.max(0, Math.round(observedDelay(histogram, now - since, resolution, percentile) * 100) / 100);
        histogram.reset();
        since = now;
        if (delayMs > maxDelayMs) {
          throw new Error(`event loop delay p${percentile} ${delayMs} ms exceeds ${maxDelayMs} ms`);
        }
        return { observedValue: delayMs, observedUnit: 'ms' };
      },
      close() {
        histogram?.disable();
        histogram = undefined;
      },
    },
  );
}

/**
 * The delay, in ms, over the `elapsedMs` since the histogram's last reset. The histogram records the time between two
 * of its timer's ticks, so an idle loop reads `resolution`: only the excess is delay. Two spans are never recorded: the
 * one before the first tick after a reset (a reset forgets the last tick) and the one since the last tick. A loop
 * blocked in either (a block that ends just as this run's timer fires, ahead of the histogram's, or one that starts
 * right after the last run) would go unseen; what the ticks did not cover, beyond those two periods (and the
 * histogram's rounding to three significant digits), is delay too.
 */
function observedDelay(histogram: IntervalHistogram, elapsedMs: number, resolution: number, percentile: number): number {
  const count = histogram.count;
  const recordedMs = count > 0 ? (histogram.mean * count) / 1e6 : 0;
  const unseenMs = elapsedMs - recordedMs - 2 * resolution - elapsedMs / 1000;
  const percentileMs = count > 0 ? histogram.percentile(percentile) / 1e6 - resolution : 0;
  return Math.max(percentileMs, unseenMs);
}
