import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import { InvalidOptionError, showValue } from './errors.js';
import type { SafeLogger } from './logger.js';

/** Options of `createHealth({ overload })`: readiness fails while the app's event loop lags. Off by default. */
export interface OverloadOptions {
  /**
   * Readiness answers 503 with reason `overloaded` while the event loop's delay (p99 over the last second) is above
   * this many ms, and 200 again once it is back under. Liveness is never affected. 1 to 60000.
   */
  maxEventLoopDelayMs: number;
}

/** {@link OverloadOptions} after validation. */
export interface NormalizedOverload {
  readonly maxEventLoopDelayMs: number;
}

/** The reason readiness gives while overloaded. */
const OVERLOADED = 'overloaded';
/** Sampling resolution of the delay histogram, in ms (subtracted from what it reports, as its own timer's period). */
const RESOLUTION_MS = 10;
/** The window the p99 is taken over. */
const WINDOW_MS = 1000;

/**
 * Validates the `overload` option once; `undefined` when it is not given (or `false`).
 * @throws InvalidOptionError for an unknown key or a `maxEventLoopDelayMs` that is not a number from 1 to 60000.
 */
export function normalizeOverload(input: unknown): NormalizedOverload | undefined {
  if (input === undefined || input === false) return undefined;
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new InvalidOptionError(
      `Expected \`overload\` to be an object like { maxEventLoopDelayMs: 200 }, got \`${showValue(input)}\``,
    );
  }
  for (const key of Object.keys(input)) {
    if (key !== 'maxEventLoopDelayMs') throw new InvalidOptionError(`Unknown option \`overload.${key}\``);
  }
  const max = (input as OverloadOptions).maxEventLoopDelayMs;
  if (typeof max !== 'number' || !Number.isFinite(max) || max < 1 || max > 60_000) {
    throw new InvalidOptionError(
      `Expected \`overload.maxEventLoopDelayMs\` to be a number from 1 to 60000, got \`${showValue(max)}\``,
    );
  }
  return Object.freeze({ maxEventLoopDelayMs: max });
}

/**
 * Watches the event loop's delay (perf_hooks' histogram, reset every second by an unref'd timer) and holds readiness
 * (`hold('overloaded')`) while its p99 is above the limit. Holding readiness sheds load to the other pods; liveness
 * stays untouched, since a restart would only move the load and lose the warm process. It measures the real loop, so
 * it uses the real timers, never the injected (possibly fake) ones.
 */
export class OverloadMonitor {
  private readonly histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  private timer: NodeJS.Timeout | undefined;
  private armedAt = 0;
  private release: (() => void) | undefined;

  constructor(
    private readonly cfg: NormalizedOverload,
    private readonly hold: (reason: string) => () => void,
    private readonly logger: SafeLogger,
  ) {
    this.histogram.enable();
    this.arm();
  }

  /** Stops sampling and lets readiness go. Idempotent. */
  close(): void {
    clearTimeout(this.timer);
    this.histogram.disable();
    this.release?.();
    this.release = undefined;
  }

  private arm(): void {
    this.armedAt = performance.now();
    this.timer = setTimeout(this.sample, WINDOW_MS);
    this.timer.unref();
  }

  private readonly sample = (): void => {
    // When each turn of the loop takes seconds, the histogram's own timer fires once a turn and a reset leaves it
    // with no sample at all: this timer's own lateness is then the measure (a turn that long delays it as much).
    const late = performance.now() - this.armedAt - WINDOW_MS;
    const p99 = this.histogram.count === 0 ? 0 : this.histogram.percentile(99) / 1e6 - RESOLUTION_MS;
    this.histogram.reset();
    const delay = Math.max(0, p99, late);
    const max = this.cfg.maxEventLoopDelayMs;
    const delayMs = Math.round(delay);
    if (delay > max && this.release === undefined) {
      this.release = this.hold(OVERLOADED);
      this.logger.warn({ delayMs, maxEventLoopDelayMs: max }, 'probekit: event loop overloaded, readiness failing');
    } else if (delay <= max && this.release !== undefined) {
      this.release();
      this.release = undefined;
      this.logger.info({ delayMs, maxEventLoopDelayMs: max }, 'probekit: event loop no longer overloaded, readiness back');
    }
    this.arm();
  };
}
