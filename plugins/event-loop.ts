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
  return defineCheck(
    'eventLoopCheck',
    options,
    { name: 'event-loop', probes: ['live'] },
    {
      async run() {
        if (histogram === undefined) {
          histogram = monitorEventLoopDelay({ resolution });
          histogram.enable();
          return { observedValue: 0, observedUnit: 'ms' };
        }
        // The histogram records the time between its timer's ticks, so an idle loop reads `resolution`: only the excess is delay.
        // It is empty when no sample was taken since the last reset (an interval shorter than the resolution).
        const raw = histogram.count > 0 ? histogram.percentile(percentile) / 1e6 - resolution : 0;
        const delayMs = Math.max(0, Math.round(raw * 100) / 100);
        histogram.reset();
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
