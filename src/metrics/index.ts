export { metricsHandler } from './handler.js';
export type { HealthMetrics } from './metrics.js';
export { healthMetrics } from './metrics.js';
export type { HealthMetricsOptions } from './options.js';
