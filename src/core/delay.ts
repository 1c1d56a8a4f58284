import { timerOption } from './bounds.js';
import type { DrainTarget } from './drain-target.js';
import { InvalidOptionError, showValue } from './errors.js';
import type { Timers } from './types.js';

/**
 * The adaptive form of `shutdown.delay`, in ms: the drain starts once `min` has passed and no request (other than
 * probes and metrics scrapes) has reached any attached server for `quiet`, and at the latest at `max`. `quiet: 0`
 * drains at `min`.
 */
export interface AdaptiveDelay {
  min?: number;
  max?: number;
  quiet?: number;
}

/** The delay after validation: a fixed delay is `{ min: n, max: n, quiet: 0 }`. */
export interface NormalizedDelay {
  readonly min: number;
  readonly max: number;
  readonly quiet: number;
}

/**
 * The default under Kubernetes (`KUBERNETES_SERVICE_HOST` set). `quiet` 2 s: the load balancers and kube-proxy that
 * still route to a terminating pod send within a second or two once its endpoint is gone; `max` 10 s bounds a pod
 * whose clients never stop (and stays well inside the default 30 s grace period with the 25 s deadline); `min` 1 s:
 * the endpoint removal has to reach them at all.
 */
const KUBERNETES_DELAY: NormalizedDelay = Object.freeze({ min: 1000, max: 10_000, quiet: 2000 });

function ms(option: string, value: unknown): number {
  return timerOption(`shutdown.${option}`, value, 0);
}

/**
 * Validates `shutdown.delay`: a number of ms, or `{ min, max, quiet }`.
 * @throws InvalidOptionError for a bad number, an unknown key, or `min > max`.
 */
export function normalizeDelay(input: unknown, kubernetes: boolean): NormalizedDelay {
  if (input === undefined) return kubernetes ? KUBERNETES_DELAY : Object.freeze({ min: 0, max: 0, quiet: 0 });
  if (typeof input === 'number') {
    const n = ms('delay', input);
    return Object.freeze({ min: n, max: n, quiet: 0 });
  }
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new InvalidOptionError(`Expected \`shutdown.delay\` to be ms or { min, max, quiet }, got \`${showValue(input)}\``);
  }
  for (const key of Object.keys(input)) {
    if (!['min', 'max', 'quiet'].includes(key)) throw new InvalidOptionError(`Unknown option \`shutdown.delay.${key}\``);
  }
  const d = input as AdaptiveDelay;
  const min = ms('delay.min', d.min ?? 0);
  const max = ms('delay.max', d.max ?? KUBERNETES_DELAY.max);
  const quiet = ms('delay.quiet', d.quiet ?? KUBERNETES_DELAY.quiet);
  if (min > max) throw new InvalidOptionError(`Expected \`shutdown.delay.min\` to be <= \`max\` (${max}), got \`${min}\``);
  return Object.freeze({ min, max, quiet });
}

/** What the delay found, for the log. */
export interface DelayOutcome {
  readonly waitedMs: number;
  /** `quiet`: traffic had stopped; `max`: it never did; `fixed`: a plain delay. */
  readonly reason: 'quiet' | 'max' | 'fixed';
  /** Requests (not probes) that arrived during the delay. */
  readonly requests: number;
  /** Ms after the signal of the last such request, or `null` when none came. */
  readonly lastRequestMs: number | null;
}

/**
 * Waits out the delay: a fixed one on a timer; an adaptive one by watching the drain targets' traffic (only now: it
 * costs nothing before the signal) and re-arming one timer for the moment the conditions could next hold.
 */
export function waitDelay(
  delay: NormalizedDelay,
  targets: readonly Pick<DrainTarget, 'watchTraffic'>[],
  timers: Timers,
): Promise<DelayOutcome> {
  const t0 = timers.now();
  // Only `min === max` is a fixed delay. `quiet: 0` is adaptive: a quiet window of nothing holds as soon as `min` has
  // passed, so it drains at `min` (below), never at `max`.
  if (delay.max === delay.min) {
    if (delay.max === 0) return Promise.resolve({ waitedMs: 0, reason: 'fixed', requests: 0, lastRequestMs: null });
    return new Promise((resolve) => {
      timers.setTimeout(
        () => resolve({ waitedMs: timers.now() - t0, reason: 'fixed', requests: 0, lastRequestMs: null }),
        delay.max,
      );
    });
  }
  let requests = 0;
  let last = t0;
  const onTraffic = () => {
    requests++;
    last = timers.now();
  };
  const stops = targets.map((t) => t.watchTraffic?.(onTraffic));
  return new Promise((resolve) => {
    const check = () => {
      const now = timers.now();
      const due = Math.min(t0 + delay.max, Math.max(t0 + delay.min, last + delay.quiet));
      if (now < due) {
        timers.setTimeout(check, due - now);
        return;
      }
      for (const stop of stops) stop?.();
      resolve({
        waitedMs: now - t0,
        reason: now >= t0 + delay.max && last + delay.quiet > now ? 'max' : 'quiet',
        requests,
        lastRequestMs: requests === 0 ? null : last - t0,
      });
    };
    check();
  });
}
