import { EventEmitter } from 'node:events';
import type { Gates, HealthStatus, ProbeResponse } from './aggregate.js';
import { runBounded } from './bounded.js';
import type { DrainTarget } from './drain-target.js';
import { InvalidOptionError, showValue } from './errors.js';
import { Lifecycle } from './lifecycle.js';
import { type Logger, normalizeLogger } from './logger.js';
import { normalizeDefaults, normalizeTimers } from './options.js';
import { type CheckView, Registry, type ReportQuery } from './registry.js';
import { describeError } from './sanitize.js';
import { normalizeShutdown, type ShutdownOptions, type ShutdownResult } from './shutdown.js';
import type { HealthSnapshot } from './snapshot.js';
import type { Check, CheckOptions, Probe, RunEvent, Timers } from './types.js';

export type { Logger } from './logger.js';
export type { ReportQuery } from './registry.js';

/** Options of {@link createHealth}. */
export interface HealthOptions {
  /** Checks to register at once (more can be added with `register`). */
  checks?: readonly Check[];
  /** Settings applied to every check that does not set its own. */
  defaults?: CheckOptions;
  /** A pino (or pino-compatible) logger. Default: a pino logger named `probekit` on stdout. */
  logger?: Logger;
  /** Clock and timers, for tests with fake timers. Default: the globals, unref'ed. */
  timers?: Timers;
  /** How long a check's `close` hook may take when the registry stops, in ms (1 to 2^31-1). Default 5000. */
  closeTimeout?: number;
  /** The graceful shutdown on SIGTERM/SIGINT (see {@link ShutdownOptions}); `false` turns it off. Default on. */
  shutdown?: ShutdownOptions | false;
  /** How many past run results each check keeps for `snapshot()` and the status page (0 to 1000). Default 60. */
  historySize?: number;
}

const MAX_TIMER_MS = 2_147_483_647;
const KNOWN_OPTIONS = new Set(['checks', 'defaults', 'logger', 'timers', 'closeTimeout', 'shutdown', 'historySize']);

/**
 * The health registry without any HTTP: checks and their answers ({@link Registry}), plus the process lifecycle
 * ({@link Lifecycle}). `Health` (from `probekit`) adds `attach()` for node:http servers on top of it.
 * Events: `transition` on every status change of a check, `run` after every run of a check ({@link RunEvent}),
 * `startup` once startup completes, `change` whenever any probe's answer may have changed, `start` when `start()`
 * first starts the checks, `shutdown` (with the trigger) when the shutdown sequence begins. Listeners that throw or reject are logged; they never break the schedule.
 */
export class HealthCore extends EventEmitter {
  /** The logger, wrapped so that it never throws. */
  readonly logger: Logger;
  protected readonly timers: Timers;
  private readonly closeTimeout: number;
  private readonly registry: Registry;
  private readonly lifecycle: Lifecycle;
  private stopping: Promise<void> | null = null;

  constructor(options: HealthOptions = {}) {
    super();
    if (options === null || typeof options !== 'object') {
      throw new InvalidOptionError(`Expected options to be an object, got \`${String(options)}\``);
    }
    for (const key of Object.keys(options)) {
      if (!KNOWN_OPTIONS.has(key)) throw new InvalidOptionError(`Unknown option \`${key}\``);
    }
    const defaults = normalizeDefaults(options.defaults);
    this.timers = normalizeTimers(options.timers);
    const closeTimeout = options.closeTimeout ?? 5000;
    if (typeof closeTimeout !== 'number' || !Number.isInteger(closeTimeout) || closeTimeout < 1 || closeTimeout > MAX_TIMER_MS) {
      throw new InvalidOptionError(
        `Expected \`closeTimeout\` to be a positive integer <= ${MAX_TIMER_MS}, got \`${showValue(closeTimeout)}\``,
      );
    }
    this.closeTimeout = closeTimeout;
    const historySize = options.historySize ?? 60;
    if (typeof historySize !== 'number' || !Number.isInteger(historySize) || historySize < 0 || historySize > 1000) {
      throw new InvalidOptionError(`Expected \`historySize\` to be an integer from 0 to 1000, got \`${showValue(historySize)}\``);
    }
    const shutdown = normalizeShutdown(options.shutdown);
    this.logger = normalizeLogger(options.logger);
    this.registry = new Registry(
      this.logger,
      this.timers,
      defaults,
      {
        transition: (event) => this.safeEmit('transition', event),
        // The hot part of a run's end: skipped entirely while nobody listens (metrics do).
        run: (event) => {
          if (this.listenerCount('run') > 0) this.safeEmit('run', event);
        },
        startup: () => this.safeEmit('startup'),
        change: () => this.safeEmit('change'),
      },
      historySize,
    );
    this.lifecycle = new Lifecycle(shutdown, this.logger, this.timers, {
      markShuttingDown: (trigger) => {
        this.registry.markShuttingDown();
        this.safeEmit('shutdown', trigger);
      },
      stopChecks: () => this.stop(),
    });
    if (options.checks !== undefined && !Array.isArray(options.checks)) {
      throw new InvalidOptionError('Expected `checks` to be an array of checks');
    }
    for (const c of options.checks ?? []) this.register(c);
  }

  /**
   * Adds a check. After `start()` it runs at once.
   * @throws InvalidOptionError for bad settings, DuplicateCheckError for a taken name, RegistryStoppedError after `stop()`.
   */
  register(check: Check): this {
    this.registry.register(check);
    return this;
  }

  /** Names of the registered checks, in registration order. */
  get checkNames(): string[] {
    return this.registry.checkNames;
  }

  /**
   * Holds readiness (503 with `reason`) until the returned function is called, e.g. while a cache warms.
   * Calling the release function twice is harmless.
   */
  hold(reason: string): () => void {
    return this.registry.hold(reason);
  }

  /** Starts every check's schedule (first runs at once) and the signal handling. Idempotent. */
  start(): void {
    const first = !this.registry.isRunning;
    this.registry.start();
    this.lifecycle.trap();
    if (first) this.safeEmit('start');
  }

  /**
   * Adds a cleanup hook for the shutdown sequence (close your pools here). Hooks run once, in reverse order of
   * registration, each bounded by `shutdown.hookTimeout`; one that throws or hangs is logged and the others still
   * run. They run on the shutdown signal, on `health.shutdown()`, or on `health.close()` (Fastify: `app.close()`),
   * whichever comes first.
   * @param name Shown in the logs. Default: the function's name.
   */
  onShutdown(fn: () => unknown, name?: string): this {
    this.lifecycle.addHook(fn, name);
    return this;
  }

  /**
   * Runs the shutdown sequence: readiness 503 at once, `delay`, drain the attached servers, cleanup hooks,
   * stop the checks, then `process.exit` (unless `shutdown.exit` is false) once every registry of the process has
   * finished its own sequence. Calling it again returns the same promise.
   */
  shutdown(trigger = 'manual'): Promise<ShutdownResult> {
    return this.lifecycle.shutdown(trigger);
  }

  /**
   * Closes the registry without the shutdown sequence (no delay, no drain, no exit): runs the cleanup hooks (once;
   * not again if a shutdown already ran them) and stops the checks. What an app's own `close()` calls.
   * During a shutdown sequence it does nothing: the sequence does all of this itself.
   */
  async close(): Promise<void> {
    if (this.lifecycle.inProgress) return;
    await this.lifecycle.runHooks();
    await this.stop();
  }

  /**
   * Adds something to drain in the shutdown sequence (step 3): a gRPC server, a queue consumer. `health.attach()`
   * does this for node:http servers. Returns a function that removes it.
   * @throws InvalidOptionError when `target` lacks `drain`, `destroy` or `openWork`.
   */
  addDrainTarget(target: DrainTarget): () => void {
    return this.lifecycle.addTarget(target);
  }

  /** @internal Lets a framework adapter close its app after the cleanup hooks. */
  addCloser(fn: () => unknown, name: string): () => void {
    return this.lifecycle.addCloser(fn, name);
  }

  /** True after `start()` and before `stop()`. */
  get isRunning(): boolean {
    return this.registry.isRunning;
  }

  /** True once the shutdown sequence began. */
  get isShuttingDown(): boolean {
    return this.registry.isShuttingDown;
  }

  /**
   * Stops every timer and aborts every run in progress, then calls the checks' `close` hooks
   * (each bounded by `closeTimeout`; one that throws or hangs is logged and the others still run). Idempotent.
   */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.lifecycle.release();
      const closers = this.registry.stop().reverse();
      for (const c of closers) {
        await runBounded(this.logger, this.timers, `close hook of check ${c.name}`, () => c.close?.(), this.closeTimeout);
      }
    })();
    return this.stopping;
  }

  /**
   * The answer for a probe, built from the cached state: no I/O, and for the plain case no allocation
   * beyond the first hit after a change.
   */
  report(probe: Probe, query?: ReportQuery): ProbeResponse {
    return this.registry.report(probe, query);
  }

  /**
   * The status a probe would answer now: `pass`, `warn` (200) or `fail` (503). With `checks`, only those checks
   * count (a name that is not registered counts as failing); the probe's gates (shutdown, holds, startup) still apply.
   * Pure and cheap; for answers that follow changes, call it on the `change` event.
   */
  evaluate(probe: Probe, checks?: readonly string[]): HealthStatus {
    return this.registry.evaluate(probe, checks);
  }

  /** A copy of the whole registry's state. */
  snapshot(): HealthSnapshot {
    return this.registry.snapshot();
  }

  /**
   * @internal For the watch streams and the status page: the checks, live, in registration order. Read only; the
   * objects change as the checks run.
   */
  get checkViews(): readonly CheckView[] {
    return this.registry.views;
  }

  /** @internal The registry-wide conditions of readiness (shutting down, holds, startup), without a snapshot. */
  get gateState(): Gates {
    return this.registry.gates();
  }

  /** @internal Runs recorded so far, all checks together: a watch stream's run-by-run fields moved when it did. */
  get runCount(): number {
    return this.registry.runs;
  }

  /**
   * @internal A number that moves whenever `probe`'s answer (or one check's, with `check`) changes in substance:
   * a status, a reason, a check's status, critical flag or output. Without `probe`, any such change. -1 for a
   * check that is not registered.
   */
  substanceOf(probe?: Probe, check?: string): number {
    return this.registry.substanceOf(probe, check);
  }

  /**
   * Emits to each listener on its own: one that throws, or an async one that rejects, is logged and the others
   * still hear the event (a throw would otherwise surface in the check's schedule as an unhandled rejection).
   */
  private safeEmit(event: string, ...args: unknown[]): void {
    for (const listener of this.rawListeners(event) as ((...a: unknown[]) => unknown)[]) {
      try {
        const result = listener.apply(this, args);
        if (result !== null && typeof result === 'object' && typeof (result as Promise<unknown>).then === 'function') {
          (result as Promise<unknown>).then(undefined, (err: unknown) => this.listenerFailed(event, err));
        }
      } catch (err) {
        this.listenerFailed(event, err);
      }
    }
  }

  private listenerFailed(event: string, err: unknown): void {
    this.logger.error({ event, error: describeError(err) }, `probekit: a '${event}' listener failed`);
  }
}
