import { Registry, type RegistryContentType } from 'prom-client';
import { InvalidOptionError, showValue } from '../core/errors.js';
import type { HealthCore } from '../core/health.js';

/** Options of {@link healthMetrics}. */
export interface HealthMetricsOptions {
  /**
   * The prom-client registry to register the series on. Default: a new `Registry` of their own (see
   * `metrics.registry`), never prom-client's global `register` unless it is passed here.
   */
  registry?: Registry<RegistryContentType>;
  /**
   * Put before every metric name instead of `probekit_`: empty, or a metric-name-like word ending in `_`
   * (`myapp_` gives `myapp_check_up`). Default `'probekit_'`.
   */
  prefix?: string;
}

/** {@link HealthMetricsOptions} after validation. */
export interface NormalizedMetricsOptions {
  readonly registry: Registry<RegistryContentType>;
  readonly prefix: string;
}

const KNOWN = new Set(['registry', 'prefix']);
// No `:` (reserved for recording rules) and a trailing `_`, so that `prefix + 'check_up'` reads as one name.
const PREFIX = /^(?:[a-zA-Z_][a-zA-Z0-9_]*_)?$/;
const REGISTRY_METHODS = ['registerMetric', 'getSingleMetric', 'removeSingleMetric', 'metrics'] as const;
const HEALTH_MEMBERS = ['on', 'off', 'snapshot', 'evaluate'] as const;

/**
 * Validates the arguments of {@link healthMetrics} once, without writing to them, and fills in the defaults.
 * @throws InvalidOptionError for something that is not a health registry, a bad option or an unknown key.
 */
export function normalizeMetricsOptions(health: HealthCore, options: HealthMetricsOptions | undefined): NormalizedMetricsOptions {
  const h = health as unknown as Record<string, unknown> | null;
  if (
    h === null ||
    typeof h !== 'object' ||
    HEALTH_MEMBERS.some((m) => typeof h[m] !== 'function') ||
    !Array.isArray(h.checkNames)
  ) {
    throw new InvalidOptionError(`healthMetrics(): Expected a health registry (createHealth()), got \`${showValue(health)}\``);
  }
  const input = options ?? {};
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new InvalidOptionError(`healthMetrics(): Expected an options object, got \`${showValue(options)}\``);
  }
  for (const key of Object.keys(input)) {
    if (!KNOWN.has(key)) throw new InvalidOptionError(`healthMetrics(): Unknown option \`${key}\``);
  }
  const prefix = input.prefix ?? 'probekit_';
  if (typeof prefix !== 'string' || !PREFIX.test(prefix)) {
    throw new InvalidOptionError(
      `healthMetrics(): Expected \`prefix\` to be empty or to match [a-zA-Z_][a-zA-Z0-9_]* and end with \`_\`, got \`${showValue(prefix)}\``,
    );
  }
  const registry = input.registry ?? new Registry();
  const r = registry as unknown as Record<string, unknown> | null;
  // Duck-typed rather than `instanceof`: the app's prom-client may be another copy than the one resolved here.
  if (r === null || typeof r !== 'object' || REGISTRY_METHODS.some((m) => typeof r[m] !== 'function')) {
    throw new InvalidOptionError(
      `healthMetrics(): Expected \`registry\` to be a prom-client Registry, got \`${showValue(registry)}\``,
    );
  }
  return Object.freeze({ registry, prefix });
}
