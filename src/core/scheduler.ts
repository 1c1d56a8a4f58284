import { getEventListeners } from 'node:events';
import { MAX_TIMER_MS } from './bounds.js';
import { CheckFailedError, CheckPendingError, CheckTimeoutError, toError } from './errors.js';
import type { NormalizedCheck } from './options.js';
import { describeError, sanitizeText } from './sanitize.js';
import { type SharedTimer, TimerSlot } from './shared-timer.js';
import type { Outcome } from './state.js';
import type { CheckDetails, Timers } from './types.js';

/**
 * How early a jittered run may start to share a wake-up of the registry's timer with other runs, as a share of its
 * interval: its jitter (100 ms of a 1 s interval with the default 0.1, 500 ms of a 5 s one), and never more than a
 * quarter. So a run starts at most `interval x (1 + jitter)` after the one before, and at least `interval x (1 - 2 x
 * jitter)` (0.8 x interval with the default; a quarter of it with the largest jitter, 0.5). `jitter: 0`: never early.
 * Why in proportion to the interval: a wake-up of the event loop cost 100-340 us of CPU on a 2-core VM (a bare timer
 * loop at 100 and at 1 wake-up a second), more than ten no-op runs. A window of W ms bounds the wake-ups to 1000 / W a
 * second, so a run bears `wake-up x interval / (W x checks)`: the same at every interval. At 1,000 checks every 5 s
 * (past the first 30 s), half the jitter (250 ms, 4 wake-ups a second) made a no-op run cost 15-18 us, the whole
 * jitter (500 ms, 2 a second) 11-12 us.
 */
export const MAX_EARLY_SHARE = 0.25;

/**
 * How many runs in a row one AbortSignal may serve, at most. A fresh AbortController cost 3-7 us of CPU per run on a
 * 2-core VM, more than the rest of a no-op run (bench:run-cost); so a run that ended without being aborted and left no
 * `abort` listener on its signal hands that signal to the next run. The cap bounds what can still gather on a shared
 * signal without a listener to show for it: `AbortSignal.any()` results that name it as a source (Node 20 keeps a
 * weak reference to each on the source for as long as the source lives), and listeners a run adds after it ended.
 */
export const SIGNAL_REUSE = 32;

/** Reason given to a run's signal when the registry stops while it is running. */
export class StoppedReason extends Error {
  override name = 'AbortError';
  constructor() {
    super('health registry stopped');
  }
}

/**
 * Runs one check on the registry's {@link SharedTimer}: one run at a time, a timeout that aborts the run's signal,
 * and a timer re-armed after each run (never an interval timer), so a slow run can not pile up runs behind it.
 * The first run starts at once; then runs start an interval apart (start to start), each interval drawn anew from
 * `interval x (1 +/- jitter)` so that replicas started together drift apart (exactly `interval` with `jitter: 0`).
 * A run never overlaps the next: when a drawn interval is shorter than a run that used its whole `timeout`, the next
 * starts when that run ends. Since `timeout < interval`, a gap is at most `interval x (1 + jitter)`, and a dependency
 * that hangs is failed within `interval x (1 + jitter) x failureThreshold + timeout`.
 * A jittered run may start up to its slack early (see {@link MAX_EARLY_SHARE}); the next interval then counts from the
 * time it was due, so that the runs do not drift earlier.
 * The runners and their shared timer own the only timers and AbortControllers of the core.
 */
export class CheckRunner {
  /** A run that timed out and has still not settled; while set, due runs fail with {@link CheckPendingError}. */
  private abandoned: Promise<unknown> | null = null;
  /** The next run. */
  private readonly next = new TimerSlot(() => this.tick());
  /** The timeout of the run in progress: aborts it. */
  private readonly deadline = new TimerSlot(() => this.abortRun(new CheckTimeoutError(this.check.timeout)));
  /** How early a run may start (see {@link MAX_EARLY_SHARE}). */
  private readonly slack: number;
  /** The run in progress (its promise, its signal's controller) until it is finished: settled, timed out or stopped. */
  private inflight: Promise<unknown> | null = null;
  private current: AbortController | null = null;
  /** When the run in progress started, and the time its interval counts from (see {@link tick}). */
  private startedAt = 0;
  private base = 0;
  /** The signal of the last run, when the next run may have it (see {@link SIGNAL_REUSE}). */
  private spare: AbortController | null = null;
  /** How many runs the spare has served. */
  private spareUses = 0;
  private active = false;
  /** Number of runs started (the pending-failure ticks not included). */
  runs = 0;

  constructor(
    readonly check: NormalizedCheck,
    private readonly timers: Timers,
    private readonly shared: SharedTimer,
    private readonly onOutcome: (outcome: Outcome) => void,
  ) {
    this.slack = Math.floor(check.interval * Math.min(check.jitter, MAX_EARLY_SHARE));
  }

  /** Starts the schedule: the first run after `delay` ms (default at once). */
  start(delay = 0): void {
    if (this.active) return;
    this.active = true;
    this.arm(delay);
  }

  /** Stops the schedule and aborts the run in progress; its result is dropped. */
  stop(): void {
    this.active = false;
    this.shared.cancel(this.next);
    // A stop from inside `run()` itself comes before the run is in flight (see execute): its signal aborts here.
    if (this.inflight !== null) this.abortRun(new StoppedReason());
    else this.current?.abort(new StoppedReason());
    this.current = null;
    this.spare = null;
  }

  /** Resolves once the abandoned (timed-out) run, if any, has settled, or after `ms`. For shutdown and tests. */
  async settled(): Promise<void> {
    if (this.abandoned) await this.abandoned;
  }

  private arm(ms: number): void {
    if (!this.active) return;
    this.shared.schedule(this.next, ms, this.slack);
  }

  private tick(): void {
    if (!this.active) return;
    if (this.abandoned) {
      // Never two runs in flight: the hung run still holds whatever it holds (a connection, a socket).
      this.onOutcome({ ok: false, durationMs: 0, error: new CheckPendingError(), fatal: false });
      this.arm(this.nextInterval());
      return;
    }
    // Start to start, but a run started early (within its slack) counts from its due time: the runs do not drift
    // earlier. A run started late (a busy event loop) counts from the wake-up that started it, never catching up with
    // a short gap; the same time for every run of that wake-up, so that checks due together stay together (counting
    // from each run's own start spread them by the time the runs before took, and a burst over several wake-ups).
    this.base = Math.max(this.shared.firedAt, this.next.due);
    this.execute();
  }

  /** The interval before the next run, drawn once per run from `interval x (1 +/- jitter)`. */
  private nextInterval(): number {
    const { interval, jitter } = this.check;
    if (jitter === 0) return interval;
    const r = this.timers.random ? this.timers.random() : Math.random();
    // An injected source that strays out of [0, 1) (or gives NaN) draws the middle, never a busy loop.
    const u = r >= 0 && r < 1 ? r : 0.5;
    // The factor is in [1 - jitter, 1 + jitter). Whole milliseconds, and never past a timer's range.
    return Math.min(MAX_TIMER_MS, Math.round(interval * (1 + jitter * (2 * u - 1))));
  }

  private clock(): number {
    return this.shared.now();
  }

  /** The signal's controller for a new run: the last run's when it may serve again, else a new one. */
  private controller(): AbortController {
    const spare = this.spare;
    if (spare !== null) {
      this.spare = null;
      this.spareUses++;
      return spare;
    }
    this.spareUses = 1;
    return new AbortController();
  }

  /**
   * Starts one run, raced against its timeout; {@link finish} records it. No promise of its own: the run's promise
   * gets two handlers, and the runner's fields hold the rest (one run at a time).
   */
  private execute(): void {
    this.runs++;
    const ac = this.controller();
    this.current = ac;
    this.startedAt = this.clock();
    const run = invoke(this.check, ac.signal);
    // Stopped from inside `run()` itself: the signal is aborted already and the result is dropped.
    if (this.current !== ac) return;
    this.inflight = run;
    this.shared.schedule(this.deadline, this.check.timeout);
    // A settlement that comes after the run was finished (a timed-out or stopped run) is not this run's any more.
    run.then(
      (value) => {
        if (this.inflight === run) this.finish(interpret(value));
      },
      (err: unknown) => {
        if (this.inflight === run) this.finish({ ok: false, error: toError(err) });
      },
    );
    // `finish` only throws what recording threw, after re-arming; these handlers' promise is then rejected unhandled,
    // as a listener's error would be anywhere else (the logger and the events are guarded: they do not throw).
  }

  /**
   * Aborts the run in progress: at its timeout (the run is failed at once, and while its promise has not settled no
   * other run starts) or at a stop (its result is dropped). A check that ignores its signal still fails on time: the
   * abort ends the race, not the check. Called directly rather than through an 'abort' listener: an EventTarget
   * listener per run costs more than the rest of a no-op run.
   */
  private abortRun(reason: Error): void {
    const run = this.inflight;
    if (run === null) return;
    (this.current as AbortController).abort(reason);
    if (reason instanceof CheckTimeoutError) {
      this.abandoned = run;
      const clear = () => {
        if (this.abandoned === run) this.abandoned = null;
      };
      run.then(clear, clear);
    }
    this.finish({ ok: false, error: reason });
  }

  /** Ends the run in progress with `result`: hands its signal on (when it may be), records it and arms the next run. */
  private finish(result: { ok: true; details: CheckDetails | null } | { ok: false; error: Error }): void {
    const ac = this.current as AbortController;
    this.inflight = null;
    this.current = null;
    this.shared.cancel(this.deadline);
    const signal = ac.signal;
    if (signal.aborted) {
      if (signal.reason instanceof StoppedReason) return;
    } else if (this.active && this.spareUses < SIGNAL_REUSE && getEventListeners(signal, 'abort').length === 0) {
      this.spare = ac;
    }
    if (!this.active) return;
    const durationMs = round(this.clock() - this.startedAt);
    let outcome: Outcome;
    if (result.ok) {
      outcome = { ok: true, durationMs, details: result.details };
    } else {
      const error = result.error;
      // Built once, here, defensively: getters that throw and non-string messages end as a safe one-line text.
      const description = describeError(error);
      let fatal = false;
      try {
        // `instanceof` runs a Proxy's getPrototypeOf trap, and the classifier is the user's: either may throw.
        fatal = !(error instanceof CheckTimeoutError) && this.check.fatal(error) === true;
      } catch {
        fatal = false;
      }
      outcome = { ok: false, durationMs, error, fatal, description };
    }
    try {
      this.onOutcome(outcome);
    } finally {
      // Whatever recording did (a logger or a listener that threw), the schedule goes on: a check never freezes.
      this.arm(Math.max(0, this.nextInterval() - (this.clock() - this.base)));
    }
  }
}

/** A success without details: the common result, made once. */
const PASSED: { ok: true; details: null } = Object.freeze({ ok: true, details: null });

function round(ms: number): number {
  return Math.max(0, Math.round(ms * 100) / 100);
}

/** Calls `run`, turning a synchronous throw or a non-promise into a rejected promise. The result always has a handler. */
function invoke(check: NormalizedCheck, signal: AbortSignal): Promise<unknown> {
  let value: unknown;
  try {
    value = check.run(signal);
  } catch (err) {
    return Promise.reject(toError(err));
  }
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) {
    return Promise.reject(new CheckFailedError(`run() must return a promise, got ${value === null ? 'null' : typeof value}`));
  }
  try {
    // Reading `then` runs a getter (or a Proxy trap) of the check's: it may throw, here or inside Promise.resolve.
    if (typeof (value as PromiseLike<unknown>).then !== 'function') {
      return Promise.reject(new CheckFailedError(`run() must return a promise, got ${typeof value}`));
    }
    return Promise.resolve(value as PromiseLike<unknown>);
  } catch (err) {
    return Promise.reject(toError(err));
  }
}

/** Reads a resolved value: nothing, `true` or CheckDetails = success; `false` = failure; other fields are ignored. */
function interpret(value: unknown): { ok: true; details: CheckDetails | null } | { ok: false; error: Error } {
  try {
    return readResult(value);
  } catch (err) {
    return { ok: false, error: new CheckFailedError('run() resolved a value that could not be read', { cause: err }) };
  }
}

function readResult(value: unknown): { ok: true; details: CheckDetails | null } | { ok: false; error: Error } {
  if (value === false) return { ok: false, error: new CheckFailedError('check resolved false') };
  if (value === null || typeof value !== 'object') return PASSED;
  const v = value as Record<string, unknown>;
  // Each field is read once (a getter may answer differently twice) and text is sanitised here, once per run.
  const observedValue = v.observedValue;
  const observedUnit = v.observedUnit;
  const output = v.output;
  const details: CheckDetails = {};
  if (typeof observedValue === 'number' && Number.isFinite(observedValue)) details.observedValue = observedValue;
  if (typeof observedUnit === 'string') details.observedUnit = sanitizeText(observedUnit);
  if (typeof output === 'string') details.output = sanitizeText(output);
  return Object.keys(details).length > 0 ? { ok: true, details } : PASSED;
}
