import type { RunResult } from '../core/types.js';

/**
 * The metric names (after the prefix) and their help text, in the order they appear in a scrape.
 * Names follow prometheus.io/docs/practices/naming: base units, `_total` on the counter, no label names inside.
 */
export const SERIES = {
  up: ['check_up', 'Whether the check passes (1) or not (0: failing, or no result yet), from its state at scrape time.'],
  status: ['check_status', 'State of the check: 1 for the one it is in (pass, fail or unknown), 0 for the others.'],
  runs: [
    'check_runs_total',
    'Finished runs of the check by result: success, failure, timeout, or pending (not started: an earlier run still hangs).',
  ],
  duration: ['check_duration_seconds', 'Duration of the check runs that started (every result but pending).'],
  lastSuccess: [
    'check_last_success_timestamp_seconds',
    'End of the last successful run of the check, in seconds since the epoch (absent until its first success).',
  ],
  failures: ['check_consecutive_failures', 'Failed runs of the check in a row (it turns fail at its failureThreshold).'],
  probe: ['probe_up', 'Whether the probe answers 200 (1: pass or warn) or 503 (0: fail), from the state at scrape time.'],
  shutdown: ['shutdown_in_progress', '1 once the graceful shutdown has begun (readiness answers 503), else 0.'],
  sharedOutage: [
    'check_shared_outage',
    'With the fleet option: 1 while the shared check fails here and on a quorum of its peers (readiness kept at warn), else 0.',
  ],
} as const satisfies Record<string, readonly [string, string]>;

/** Every value of the `result` label, pre-created with 0 for each check. */
export const RUN_RESULTS: readonly RunResult[] = Object.freeze(['success', 'failure', 'timeout', 'pending']);

/** Every value of the `state` label of `check_status`. */
export const STATES = Object.freeze(['pass', 'fail', 'unknown'] as const);

/**
 * Buckets of `check_duration_seconds`, 1 ms to 10 s (1-2.5-5 steps): a check's timeout is at most its interval,
 * and intervals of more than 10 s are rare; a run that took longer lands in `+Inf`.
 */
export const DURATION_BUCKETS: readonly number[] = Object.freeze([
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
]);
