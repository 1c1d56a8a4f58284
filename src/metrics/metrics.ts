import { Counter, Gauge, Histogram, type Registry, type RegistryContentType } from 'prom-client';
import { InvalidOptionError } from '../core/errors.js';
import type { HealthCore } from '../core/health.js';
import type { CheckSnapshot } from '../core/snapshot.js';
import { PROBES, type RunEvent } from '../core/types.js';
import { type HealthMetricsOptions, normalizeMetricsOptions } from './options.js';
import { DURATION_BUCKETS, RUN_RESULTS, SERIES, STATES } from './series.js';

/** What {@link healthMetrics} returns: the series on a registry, and what a `/metrics` route needs to serve them. */
export interface HealthMetrics {
  /** The registry the series are on: the one passed as `registry`, or the new one created for them. */
  readonly registry: Registry<RegistryContentType>;
  /** The `Content-Type` of {@link HealthMetrics.text} (the registry's: Prometheus text 0.0.4 unless set otherwise). */
  readonly contentType: string;
  /**
   * The exposition text of the whole registry (prom-client's `registry.metrics()`), the app's own metrics included.
   * The gauges are read from the health registry's state at this moment; no check runs because of it.
   */
  text(): Promise<string>;
  /** Stops listening to the health registry's runs and removes these series from the registry. Idempotent. */
  close(): void;
}

type SeriesKey = keyof typeof SERIES;
type Metric = Counter<string> | Gauge<string> | Histogram<string>;

/**
 * Exposes a health registry's state as Prometheus metrics, on a prom-client registry:
 * `probekit_check_up{check}`, `probekit_check_status{check,state}`, `probekit_check_runs_total{check,result}`,
 * `probekit_check_duration_seconds{check}` (histogram, 1 ms to 10 s), `probekit_check_last_success_timestamp_seconds{check}`,
 * `probekit_check_consecutive_failures{check}`, `probekit_probe_up{probe}`, `probekit_shutdown_in_progress`, and with
 * the registry's `fleet` option `probekit_check_shared_outage{check}` (1 while a shared check fails fleet-wide).
 *
 * The gauges are filled at scrape time from `health.snapshot()`, `health.evaluate()` and `health.isShuttingDown`
 * (one snapshot per scrape); the counter and the histogram are fed by the registry's `run` event, once per finished
 * run. A scrape never runs a check. Every registered check gets its four `runs_total` series (and its histogram) at 0
 * before its first run, so that `rate()` works from the first scrape; only registered check names become label values.
 *
 * Calling it twice on one registry (with the same `prefix`) throws: `close()` the first one, or share it.
 * @throws InvalidOptionError (`PROBEKIT_ERR_OPTION_INVALID`) for bad arguments, an unknown option, or a registry that
 * already holds one of these metric names.
 */
export function healthMetrics(health: HealthCore, options?: HealthMetricsOptions): HealthMetrics {
  const { registry, prefix } = normalizeMetricsOptions(health, options);
  // The shared-outage gauge exists only with the registry's `fleet` option.
  const keys = (Object.keys(SERIES) as SeriesKey[]).filter((k) => k !== 'sharedOutage' || health.hasFleet);
  const nameOf = (key: SeriesKey) => `${prefix}${SERIES[key][0]}`;
  for (const key of keys) {
    const taken = nameOf(key);
    if (registry.getSingleMetric(taken) !== undefined) {
      // Checked before anything is registered, so a refused call leaves the registry as it was.
      throw new InvalidOptionError(
        `healthMetrics(): the registry already has a metric named \`${taken}\` (healthMetrics() called twice on one registry?); ` +
          'close() the first one, reuse it, or pass another `prefix`',
      );
    }
  }
  const config = (key: SeriesKey) => ({ name: nameOf(key), help: SERIES[key][1], registers: [registry] });

  // One snapshot per scrape: prom-client starts every metric's collect() in the same tick (Promise.all), so the
  // gauges of one scrape agree with each other and a scrape copies the state once, not once per gauge.
  let current: Record<string, CheckSnapshot> | undefined;
  const checks = (): Record<string, CheckSnapshot> => {
    if (current === undefined) {
      current = health.snapshot().checks;
      queueMicrotask(() => {
        current = undefined;
      });
    }
    return current;
  };

  const lastSuccess = new Map<string, number>();
  for (const [check, c] of Object.entries(health.snapshot().checks)) {
    // Runs that ended before the metrics existed still tell when the check last passed.
    const last = c.history.findLast((h) => h.result === 'success');
    if (last !== undefined) lastSuccess.set(check, Date.parse(last.at) / 1000);
  }

  const known = new Set<string>();
  const seedAll = (): void => {
    for (const check of health.checkNames) {
      if (known.has(check)) continue;
      known.add(check);
      for (const result of RUN_RESULTS) runs.inc({ check, result }, 0);
      duration.zero({ check });
    }
  };

  const made: [string, Metric][] = [];
  const add = <M extends Metric>(key: SeriesKey, metric: M): M => {
    made.push([nameOf(key), metric]);
    return metric;
  };
  const removeAll = () => {
    for (const [name, metric] of made) if (registry.getSingleMetric(name) === metric) registry.removeSingleMetric(name);
  };

  let runs: Counter<'check' | 'result'>;
  let duration: Histogram<'check'>;
  try {
    add(
      'up',
      new Gauge({
        ...config('up'),
        labelNames: ['check'] as const,
        collect() {
          this.reset();
          for (const [check, c] of Object.entries(checks())) this.set({ check }, c.status === 'pass' ? 1 : 0);
        },
      }),
    );
    add(
      'status',
      new Gauge({
        ...config('status'),
        labelNames: ['check', 'state'] as const,
        collect() {
          this.reset();
          for (const [check, c] of Object.entries(checks())) {
            for (const state of STATES) this.set({ check, state }, c.status === state ? 1 : 0);
          }
        },
      }),
    );
    runs = add('runs', new Counter({ ...config('runs'), labelNames: ['check', 'result'] as const, collect: seedAll }));
    duration = add(
      'duration',
      new Histogram({ ...config('duration'), labelNames: ['check'] as const, buckets: [...DURATION_BUCKETS], collect: seedAll }),
    );
    add(
      'lastSuccess',
      new Gauge({
        ...config('lastSuccess'),
        labelNames: ['check'] as const,
        collect() {
          this.reset();
          for (const check of Object.keys(checks())) {
            const at = lastSuccess.get(check);
            if (at !== undefined) this.set({ check }, at);
          }
        },
      }),
    );
    add(
      'failures',
      new Gauge({
        ...config('failures'),
        labelNames: ['check'] as const,
        collect() {
          this.reset();
          for (const [check, c] of Object.entries(checks())) this.set({ check }, c.consecutiveFailures);
        },
      }),
    );
    add(
      'probe',
      new Gauge({
        ...config('probe'),
        labelNames: ['probe'] as const,
        collect() {
          for (const probe of PROBES) this.set({ probe }, health.evaluate(probe) === 'fail' ? 0 : 1);
        },
      }),
    );
    add(
      'shutdown',
      new Gauge({
        ...config('shutdown'),
        collect() {
          this.set(health.isShuttingDown ? 1 : 0);
        },
      }),
    );
    if (health.hasFleet) {
      add(
        'sharedOutage',
        new Gauge({
          ...config('sharedOutage'),
          labelNames: ['check'] as const,
          collect() {
            this.reset();
            for (const s of health.sharedStatus()) this.set({ check: s.check }, s.shared ? 1 : 0);
          },
        }),
      );
    }
  } catch (err) {
    // A registry that refuses a metric (another copy of prom-client, a name taken meanwhile) keeps none of ours.
    removeAll();
    throw err;
  }
  seedAll();

  const onRun = (event: RunEvent): void => {
    if (!RUN_RESULTS.includes(event.result)) return;
    if (!known.has(event.name)) {
      seedAll();
      // Only registered checks become label values, so the series stay bounded by what the app registered.
      if (!known.has(event.name)) return;
    }
    runs.inc({ check: event.name, result: event.result });
    // A pending run never started: its 0 ms would only pull the latency buckets down.
    if (event.result !== 'pending') duration.observe({ check: event.name }, event.durationMs / 1000);
    if (event.result === 'success') lastSuccess.set(event.name, event.at / 1000);
  };
  health.on('run', onRun);

  let closed = false;
  return Object.freeze({
    registry,
    get contentType(): string {
      return registry.contentType;
    },
    text: (): Promise<string> => registry.metrics(),
    close(): void {
      if (closed) return;
      closed = true;
      health.off('run', onRun);
      removeAll();
    },
  });
}
