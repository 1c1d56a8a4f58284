import { describeError } from './sanitize.js';
import type { CheckDetails, CheckStatus } from './types.js';

/** The state one check carries between runs. Immutable: {@link applyResult} returns a new one. */
export interface CheckState {
  readonly status: CheckStatus;
  readonly consecutiveFailures: number;
  readonly consecutiveSuccesses: number;
  /** Time of the last transition (ms since epoch), `null` while unknown. */
  readonly since: number | null;
  /** End time of the last run, `null` before the first. */
  readonly lastRun: number | null;
  readonly durationMs: number | null;
  readonly lastError: Error | null;
  /** The last error as shown (sanitised, one line), computed once when it was recorded; `null` after a success. */
  readonly errorText: string | null;
  readonly details: CheckDetails | null;
  /** Has the check ever been `pass`? Startup latches on it. */
  readonly passedOnce: boolean;
}

/** The result of one run, as the scheduler reports it. */
export type Outcome =
  | { readonly ok: true; readonly durationMs: number; readonly details?: CheckDetails | null }
  | {
      readonly ok: false;
      readonly durationMs: number;
      readonly error: Error;
      readonly fatal: boolean;
      /** The error as shown (sanitised); the scheduler builds it once per run. Default: `describeError(error)`. */
      readonly description?: string;
    };

/** Thresholds the state machine needs. */
export interface ThresholdConfig {
  readonly failureThreshold: number;
  readonly successThreshold: number;
}

/** The new state, plus the transition when the status changed. */
export interface Applied {
  readonly state: CheckState;
  readonly transition?: { readonly from: CheckStatus; readonly to: CheckStatus };
}

/** The state of a check that has not run yet. */
export const INITIAL_STATE: CheckState = Object.freeze({
  status: 'unknown',
  consecutiveFailures: 0,
  consecutiveSuccesses: 0,
  since: null,
  lastRun: null,
  durationMs: null,
  lastError: null,
  errorText: null,
  details: null,
  passedOnce: false,
});

/**
 * The threshold machine. Pure: reads no clock (`now` is passed in) and does no I/O.
 * - unknown -> pass on the first success;
 * - fail -> pass after `successThreshold` consecutive successes;
 * - unknown/pass -> fail after `failureThreshold` consecutive failures, or at once on a fatal error.
 */
export function applyResult(state: CheckState, outcome: Outcome, cfg: ThresholdConfig, now: number): Applied {
  const from = state.status;
  let to: CheckStatus = from;
  let next: CheckState;
  if (outcome.ok) {
    const successes = state.consecutiveSuccesses + 1;
    if (from === 'unknown' || (from === 'fail' && successes >= cfg.successThreshold)) to = 'pass';
    next = {
      status: to,
      consecutiveFailures: 0,
      consecutiveSuccesses: successes,
      since: to === from ? state.since : now,
      lastRun: now,
      durationMs: outcome.durationMs,
      lastError: null,
      errorText: null,
      details: outcome.details ?? null,
      passedOnce: state.passedOnce || to === 'pass',
    };
  } else {
    const failures = state.consecutiveFailures + 1;
    if (from !== 'fail' && (outcome.fatal || failures >= cfg.failureThreshold)) to = 'fail';
    next = {
      status: to,
      consecutiveFailures: failures,
      consecutiveSuccesses: 0,
      since: to === from ? state.since : now,
      lastRun: now,
      durationMs: outcome.durationMs,
      lastError: outcome.error,
      errorText: outcome.description ?? describeError(outcome.error),
      details: null,
      passedOnce: state.passedOnce,
    };
  }
  return to === from ? { state: next } : { state: next, transition: { from, to } };
}
