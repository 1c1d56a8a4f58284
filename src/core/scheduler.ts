import { getEventListeners } from 'node:events';
import { MAX_TIMER_MS } from './bounds.js';
import { CheckFailedError, CheckPendingError, CheckTimeoutError, toError } from './errors.js';
import type { NormalizedCheck } from './options.js';
import { describeError, sanitizeText } from './sanitize.js';
import { type SharedTimer, TimerSlot } from './shared-timer.js';
import type { Outcome } from './state.js';
import type { CheckDetails, Timers } from './types.js';

/**
 * How early a jittered run may start to share a wake-up of the registry's timer with another run, at most, in ms; and
 * never more than a quarter of the check's own spread (`interval x jitter`: 25 ms of the +/-100 ms of a 1 s interval
 * with the default jitter). A run with `jitter: 0` is never early. Why that wide: a wake-up of the event loop cost
 * 47-108 us of CPU on a loaded 2-core VM (a bare timer, nothing else), more than a no-op run itself; at 1,000 runs a
 * second, 2 ms windows made a run cost 43 us, 10 ms 33 us and 25 ms 20-21 us, the jitter-0 figure (bench:run-cost).
 */
export const BATCH_MS = 25;

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
 * A jittered run may start up to its slack early (see {@link BATCH_MS}); the next interval then counts from the time
 * it was due, so that the runs do not drift earlier.
 * The runners and their shared timer own the only timers and AbortControllers of the core.
 */
export class CheckRunner {
  /** A run that timed out and has still not settled; while set, due runs fail with {@link CheckPendingError}. */
  private abandoned: Promise<unknown> | null = null;
  /** The next run. */
  private readonly next = new TimerSlot(() => this.tick());
  /** The timeout of the run in progress: aborts it. */
  private readonly deadline = new TimerSlot(() => this.abortRun?.(new CheckTimeoutError(this.check.timeout)));
  /** How early a run may start (see {@link BATCH_MS}). */
  private readonly slack: number;
  private current: AbortController | null = null;
  /** The signal of the last run, when the next run may have it (see {@link SIGNAL_REUSE}). */
  private spare: AbortController | null = null;
  /** How many runs the spare has served. */
  private spareUses = 0;
  /** Aborts the run in progress and settles it (with `null` for a stop). */
  private abortRun: ((reason: Error) => void) | null = null;
  private active = false;
  /** Number of runs started (the pending-failure ticks not included). */
  runs = 0;

  constructor(
    readonly check: NormalizedCheck,
    private readonly timers: Timers,
    private readonly shared: SharedTimer,
    private readonly onOutcome: (outcome: Outcome) => void,
  ) {
    this.slack = check.jitter === 0 ? 0 : Math.min(BATCH_MS, Math.floor((check.interval * check.jitter) / 4));
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
    const abort = this.abortRun;
    this.abortRun = null;
    if (abort !== null) abort(new StoppedReason());
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
    // earlier. A run started late (a busy event loop) counts from its start, never catching up with a short gap.
    const started = Math.max(this.clock(), this.next.due);
    void this.execute().then((outcome) => {
      if (!this.active || outcome === null) return;
      try {
        this.onOutcome(outcome);
      } finally {
        // Whatever recording did (a logger or a listener that threw), the schedule goes on: a check never freezes.
        this.arm(Math.max(0, this.nextInterval() - (this.clock() - started)));
      }
    });
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

  /** One run, raced against its timeout. Resolves with `null` when the registry stopped meanwhile. Never rejects. */
  private execute(): Promise<Outcome | null> {
    this.runs++;
    const { check, shared, deadline } = this;
    const ac = this.controller();
    this.current = ac;
    const started = this.clock();
    const run = invoke(check, ac.signal);
    return new Promise<Outcome | null>((resolve) => {
      let done = false;
      const finish = (result: { ok: true; details: CheckDetails | null } | { ok: false; error: Error }) => {
        if (done) return;
        done = true;
        shared.cancel(deadline);
        if (this.current === ac) {
          this.current = null;
          this.abortRun = null;
        }
        if (ac.signal.aborted) {
          if (ac.signal.reason instanceof StoppedReason) return resolve(null);
        } else if (this.active && this.spareUses < SIGNAL_REUSE && getEventListeners(ac.signal, 'abort').length === 0) {
          this.spare = ac;
        }
        const durationMs = round(this.clock() - started);
        if (result.ok) return resolve({ ok: true, durationMs, details: result.details });
        const error = result.error;
        // Built once, here, defensively: getters that throw and non-string messages end as a safe one-line text.
        const description = describeError(error);
        let fatal = false;
        try {
          // `instanceof` runs a Proxy's getPrototypeOf trap, and the classifier is the user's: either may throw.
          fatal = !(error instanceof CheckTimeoutError) && check.fatal(error) === true;
        } catch {
          fatal = false;
        }
        resolve({ ok: false, durationMs, error, fatal, description });
      };
      // A check that ignores its signal still fails on time: the abort settles the race, not the check. The abort
      // is called here rather than heard through an 'abort' listener: an EventTarget listener per run costs more
      // than the rest of a no-op run.
      const abort = (reason: Error) => {
        if (done) return;
        ac.abort(reason);
        if (reason instanceof CheckTimeoutError) {
          this.abandoned = run;
          const clear = () => {
            if (this.abandoned === run) this.abandoned = null;
          };
          run.then(clear, clear);
        }
        finish({ ok: false, error: reason });
      };
      this.abortRun = abort;
      shared.schedule(deadline, check.timeout);
      run.then(
        (value) => finish(interpret(value)),
        (err: unknown) => finish({ ok: false, error: toError(err) }),
      );
      // `finish` never throws (interpret and toError are total), so this chain can not reject unhandled.
    });
  }
}

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
  if (value === null || typeof value !== 'object') return { ok: true, details: null };
  const v = value as Record<string, unknown>;
  // Each field is read once (a getter may answer differently twice) and text is sanitised here, once per run.
  const observedValue = v.observedValue;
  const observedUnit = v.observedUnit;
  const output = v.output;
  const details: CheckDetails = {};
  if (typeof observedValue === 'number' && Number.isFinite(observedValue)) details.observedValue = observedValue;
  if (typeof observedUnit === 'string') details.observedUnit = sanitizeText(observedUnit);
  if (typeof output === 'string') details.output = sanitizeText(output);
  return { ok: true, details: Object.keys(details).length > 0 ? details : null };
}
