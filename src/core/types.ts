/** The three probe endpoints. */
export type Probe = 'live' | 'ready' | 'startup';

/** The probes, in a fixed order. */
export const PROBES: readonly Probe[] = Object.freeze(['live', 'ready', 'startup']);

/** Optional detail a check can resolve with; it is shown in the probe body. */
export interface CheckDetails {
  /** A measurement, e.g. replication lag or event-loop delay. */
  observedValue?: number;
  /** Unit of `observedValue`, e.g. `ms`. */
  observedUnit?: string;
  /** Free text shown with the check (credentials in URLs are masked). */
  output?: string;
}

/** What a check's `run` may return. */
// biome-ignore lint/suspicious/noConfusingVoidType: `async () => {}` returns Promise<void>, which must fit.
export type CheckRunResult = Promise<void | CheckDetails | undefined | null | boolean>;

/** Settings every check accepts; plugin factories take them too. */
export interface CheckOptions {
  /** Endpoints the check counts for. Default `['ready']`. */
  probes?: readonly Probe[];
  /** A failing non-critical check leaves the probe at 200 with status `warn`. Default `true`. */
  critical?: boolean;
  /** Milliseconds from the start of one run to the start of the next (see `jitter`). Default 5000. */
  interval?: number;
  /**
   * Spread of the schedule, a fraction from 0 to 0.5: each interval is drawn anew from `interval x (1 +/- jitter)`, so
   * that replicas started together do not run their checks in the same millisecond forever. `0` keeps a fixed
   * schedule. The first run starts at once either way. Default 0.1.
   */
  jitter?: number;
  /** Milliseconds a run may take; then its signal is aborted and the run fails. Default 2000, must be < `interval`. */
  timeout?: number;
  /** Consecutive failures that turn the check `fail`. Default 3. */
  failureThreshold?: number;
  /** Consecutive successes that turn a failed check back to `pass`. Default 1. */
  successThreshold?: number;
  /**
   * Classifies an error as fatal: the check fails at once, ignoring `failureThreshold`.
   * Default {@link isConnectionError}: ECONNREFUSED, ENOTFOUND, EHOSTUNREACH, ENETUNREACH.
   */
  fatal?: (error: Error) => boolean;
  /**
   * A dependency every replica uses (the database, the cache). With the registry's `fleet` option, while it fails
   * the instance asks its peers, and a failure they see too keeps `/ready` at 200 `warn` (a shared outage). Without
   * a `fatal` of its own it fails only after `failureThreshold` runs, so that the peers' answer is in first.
   * Default `false`.
   */
  shared?: boolean;
}

/** A dependency check: a name, a function that resolves when healthy, and its settings. */
export interface Check extends CheckOptions {
  /** Unique name, `[a-z0-9][a-z0-9._-]*`. */
  name: string;
  /**
   * One attempt. Resolve (with nothing or {@link CheckDetails}) = success; reject = failure.
   * Resolving with `false` counts as a failure too. Stop work when `signal` aborts (at the run's timeout, or when the
   * registry stops during the run). A run that ended without an abort and left no `abort` listener may hand its
   * signal to the next runs (32 at most; a listener left on it, as Node's fetch leaves one, means a new signal next
   * time): do not keep the signal past the run.
   */
  run(signal: AbortSignal): CheckRunResult;
  /** Releases what the check created itself (never the app's own client). Called when the registry stops. */
  close?(): void | Promise<void>;
}

/** Per-check state as the state machine keeps it. */
export type CheckStatus = 'unknown' | 'pass' | 'fail';

/** Injected clock and timers, so that tests can drive the scheduler with fake timers. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  /** Wall clock in ms since the epoch. */
  now(): number;
  /** Monotonic clock for durations (`performance.now`); `now` is used when absent. */
  monotonic?(): number;
  /** Random numbers in [0, 1) for the checks' `jitter` (`Math.random` when absent); drawn once per run. */
  random?(): number;
}

/** How one run ended: `timeout` when it ran out of time, `pending` when it could not start (an earlier run hangs). */
export type RunResult = 'success' | 'failure' | 'timeout' | 'pending';

/** One finished run of a check, emitted as the `run` event (once per run, never per probe hit). */
export interface RunEvent {
  name: string;
  result: RunResult;
  durationMs: number;
  /** End of the run, ms since the epoch. */
  at: number;
  /** The check's status after this run. */
  status: CheckStatus;
}

/** A state change of one check, emitted as the `transition` event. */
export interface TransitionEvent {
  name: string;
  from: CheckStatus;
  to: CheckStatus;
  critical: boolean;
  durationMs: number;
  error?: Error;
  at: number;
}
